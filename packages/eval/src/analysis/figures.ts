import type { AnalysisResult, MapData } from './analyze.ts';

/** A vega-lite spec as plain JSON (rendered by the CLI with vega + resvg, as its other plots). */
export type VegaLiteSpec = Record<string, unknown>;

export interface Figure {
  /** File stem under analysis/ (…/<name>.svg and .png). */
  readonly name: string;
  readonly title: string;
  readonly spec: VegaLiteSpec;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const MAX_COLOURS = 20;

/** Every figure of a report: maps, the attribute heat map, the Lorenz curve, popularity vs norm. */
export function analysisFigures(r: AnalysisResult): Figure[] {
  const out: Figure[] = [];
  for (const m of r.maps) {
    if (m.colourings.length === 0) out.push(mapFigure(m, undefined));
    for (const c of m.colourings) out.push(mapFigure(m, c));
  }
  if (r.genre) {
    const g = r.genre;
    const values = [];
    for (let a = 0; a < g.perValue.length; a++)
      for (let b = 0; b < g.perValue.length; b++) {
        const v = g.matrix[a]![b]!;
        if (Number.isFinite(v)) values.push({ a: g.perValue[a]!.value, b: g.perValue[b]!.value, cos: v });
      }
    out.push({
      name: `heatmap-${safe(g.attribute)}`,
      title: `Mean cosine similarity between ${g.attribute} values`,
      spec: {
        $schema: SCHEMA,
        title: `${r.model}: mean cosine similarity, ${g.attribute} × ${g.attribute}`,
        data: { values },
        mark: 'rect',
        width: 420,
        height: 420,
        encoding: {
          x: { field: 'a', type: 'nominal', title: null, sort: null },
          y: { field: 'b', type: 'nominal', title: null, sort: null },
          color: { field: 'cos', type: 'quantitative', title: 'mean cos', scale: { scheme: 'viridis' } },
          tooltip: [{ field: 'a' }, { field: 'b' }, { field: 'cos', format: '.3f' }],
        },
      },
    });
  }
  if (r.popularity) {
    const p = r.popularity;
    const values = [
      ...p.lorenz.recommendations.map(([x, y]) => ({ x, y, curve: `top-${p.k} recommendations` })),
      ...p.lorenz.interactions.map(([x, y]) => ({ x, y, curve: 'training interactions' })),
      { x: 0, y: 0, curve: 'equality' },
      { x: 1, y: 1, curve: 'equality' },
    ];
    out.push({
      name: 'lorenz',
      title: 'Lorenz curves of recommendations and interactions',
      spec: {
        $schema: SCHEMA,
        title: `${r.model}: Lorenz curve (Gini: recommendations ${p.gini.recommendations.toFixed(3)}, interactions ${p.gini.interactions.toFixed(3)})`,
        data: { values },
        mark: { type: 'line' },
        width: 420,
        height: 320,
        encoding: {
          x: { field: 'x', type: 'quantitative', title: 'share of items (least to most)' },
          y: { field: 'y', type: 'quantitative', title: 'cumulative share' },
          color: { field: 'curve', type: 'nominal', title: null },
        },
      },
    });
  }
  return out;
}

function mapFigure(
  m: MapData,
  c: { attribute: string; vocab: readonly string[]; label: Int32Array } | undefined,
): Figure {
  // colour by the most frequent values; the rest are "other", rows without a value "(none)"
  let keep = new Set<number>();
  if (c) {
    const counts = new Map<number, number>();
    for (const l of c.label) if (l >= 0) counts.set(l, (counts.get(l) ?? 0) + 1);
    keep = new Set(
      [...counts.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, MAX_COLOURS - 2)
        .map(([l]) => l),
    );
  }
  const values = m.ids.map((id, i) => {
    const l = c?.label[i] ?? -1;
    return {
      x: m.xy[i * 2]!,
      y: m.xy[i * 2 + 1]!,
      name: m.names[i]!,
      id,
      value: !c ? m.side : l < 0 ? '(none)' : keep.has(l) ? c.vocab[l]! : 'other',
    };
  });
  const attr = c?.attribute ?? 'none';
  return {
    name: `${m.side}-${m.method === 't-SNE' ? 'tsne' : 'umap'}-${safe(attr)}`,
    title: `${m.side === 'item' ? 'Items' : 'Users'}: ${m.method}${c ? `, coloured by ${c.attribute}` : ''}`,
    spec: {
      $schema: SCHEMA,
      title: `${m.method} of ${m.ids.length} ${m.side}s${c ? ` by ${c.attribute}${m.side === 'item' ? ' (first listed value)' : ''}` : ''}`,
      data: { values },
      mark: { type: 'circle', size: 14, opacity: 0.75 },
      width: 520,
      height: 420,
      encoding: {
        x: { field: 'x', type: 'quantitative', axis: null, scale: { zero: false } },
        y: { field: 'y', type: 'quantitative', axis: null, scale: { zero: false } },
        color: { field: 'value', type: 'nominal', title: attr, scale: { scheme: 'category20' } },
        tooltip: [{ field: 'name' }, { field: 'id' }, { field: 'value' }],
      },
    },
  };
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}
