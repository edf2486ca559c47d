import type { AnalysisResult } from './analyze.ts';

export interface RenderedFigure {
  readonly name: string;
  readonly title: string;
  readonly svg: string;
}

/** analysis.json: every number of the result (maps with their coordinates); NaN becomes null. */
export function analysisJson(r: AnalysisResult, extra: Record<string, unknown> = {}): string {
  const maps = r.maps.map((m) => ({
    side: m.side,
    method: m.method,
    seconds: m.seconds,
    points: m.ids.map((id, i) => ({
      id,
      name: m.names[i],
      x: m.xy[i * 2],
      y: m.xy[i * 2 + 1],
      ...Object.fromEntries(
        m.colourings.map((c) => [c.attribute, c.label[i]! >= 0 ? c.vocab[c.label[i]!] : null]),
      ),
    })),
  }));
  return JSON.stringify(
    { ...extra, ...r, maps },
    (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
    2,
  );
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const num = (v: number | null | undefined, d = 3) =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d);
const pval = (p: number) => (!Number.isFinite(p) ? '–' : p < 0.001 ? p.toExponential(1) : p.toFixed(3));

/**
 * One self-contained HTML page: tables and figures (SVG as data: URIs, so nothing is fetched).
 */
export function analysisHtml(r: AnalysisResult, figures: readonly RenderedFigure[], title: string): string {
  const img = (f: RenderedFigure) =>
    `<figure><img alt="${esc(f.title)}" src="data:image/svg+xml;base64,${Buffer.from(f.svg).toString('base64')}"><figcaption>${esc(f.title)}</figcaption></figure>`;
  const figs = (prefix: string) =>
    figures
      .filter((f) => f.name.startsWith(prefix))
      .map(img)
      .join('\n');
  const parts: string[] = [];
  parts.push(
    `<h1>${esc(title)}</h1><p>Model <b>${esc(r.model)}</b> on <b>${esc(r.dataset)}</b>: ${r.items} items, ${r.users} users, dimension ${r.dim}. Item attributes: ${esc(r.itemAttributes.join(', ') || 'none')}; user attributes: ${esc(r.userAttributes.join(', ') || 'none')}.</p>`,
  );
  parts.push('<h2>Nearest neighbours (cosine)</h2>');
  for (const n of r.neighbours) {
    parts.push(
      `<h3>${esc(n.name)} <small>(${esc(n.item)})</small></h3><table><tr><th>#</th><th>item</th><th>cosine</th></tr>${n.neighbours
        .map((x, i) => `<tr><td>${i + 1}</td><td>${esc(x.name)}</td><td>${num(x.cosine)}</td></tr>`)
        .join('')}</table>`,
    );
  }
  if (r.genre) {
    const g = r.genre;
    parts.push(
      `<h2>Attribute structure: ${esc(g.attribute)}</h2><p>Mean cosine similarity of item pairs sharing a value (intra) vs sharing none (inter), over ${g.rows} items with a value; p from ${g.permutations} label permutations (one-sided, intra − inter at least as large).</p>`,
      `<p class="big">intra ${num(g.overall.intra)} · inter ${num(g.overall.inter)} · difference ${num(g.overall.diff)} · p = ${pval(g.overall.p)}</p>`,
      `<table><tr><th>${esc(g.attribute)}</th><th>items</th><th>intra</th><th>inter</th><th>difference</th><th>p</th></tr>${[
        ...g.perValue,
      ]
        .sort((a, b) => (b.diff || -9) - (a.diff || -9))
        .map(
          (v) =>
            `<tr><td>${esc(v.value)}</td><td>${v.count}</td><td>${num(v.intra)}</td><td>${num(v.inter)}</td><td>${num(v.diff)}</td><td>${pval(v.p)}</td></tr>`,
        )
        .join('')}</table>`,
      figs('heatmap-'),
    );
  }
  if (r.popularity) {
    const p = r.popularity;
    parts.push(
      `<h2>Popularity bias</h2><p>Spearman correlation of an item's training interactions with its embedding norm: <b>${num(p.spearman.norm)}</b>; with its learned bias: <b>${p.spearman.bias === null ? 'no item bias in this model' : num(p.spearman.bias)}</b>; with how often it is in the users' top-${p.k} (${p.users} users, training items excluded): <b>${num(p.spearman.recommended)}</b>.</p>`,
      `<table><tr><th>most popular items</th><th>share of recommendations</th><th>share of interactions</th></tr>${p.headShare
        .map(
          (h) =>
            `<tr><td>top ${h.top * 100}% (${h.items})</td><td>${num(h.recommendations)}</td><td>${num(h.interactions)}</td></tr>`,
        )
        .join(
          '',
        )}</table><p>Gini coefficient: recommendations ${num(p.gini.recommendations)}, interactions ${num(p.gini.interactions)}.</p>`,
      figs('lorenz'),
    );
  }
  if (r.maps.length > 0) {
    parts.push(
      `<h2>Item maps</h2><p>${r.maps.find((m) => m.side === 'item')?.ids.length ?? 0} items (seeded sample), t-SNE perplexity ${r.options.perplexity}, ${r.options.tsneIterations} iterations; UMAP ${r.options.umapNeighbors} neighbours, min-dist ${r.options.umapMinDist}. Multi-valued items are coloured by their first value.</p>`,
      figs('item-'),
    );
    if (r.maps.some((m) => m.side === 'user')) parts.push('<h2>User maps</h2>', figs('user-'));
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
figure{display:inline-block;margin:.5em}figcaption{font-size:.85em;color:#555}img{max-width:100%}
.big{font-size:1.15em}h3{margin-bottom:.2em}
</style></head><body>
${parts.join('\n')}
<p><small>Written by embrec analyze; the numbers are in analysis.json next to this file.</small></p>
</body></html>
`;
}
