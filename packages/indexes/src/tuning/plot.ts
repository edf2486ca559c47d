import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type * as vl from 'vega-lite';
import { type SweepRow, settingLabel } from './sweep.ts';

export interface PlotOptions {
  readonly title?: string;
  /** Plot recall against this search parameter (ex. 3: "nprobe") instead of queries per second. */
  readonly xParam?: string;
}

/** The vega-lite spec of a sweep: recall@k vs QPS (log) per index and mode, or recall vs a parameter. */
export function sweepSpec(rows: readonly SweepRow[], opts: PlotOptions = {}): vl.TopLevelSpec {
  const k = rows[0]?.k ?? 0;
  const data = rows.map((r) => ({
    index: r.index,
    setting: settingLabel(r),
    mode: `batch ${r.batch}, ${r.threads} thread${r.threads === 1 ? '' : 's'}`,
    recall: r.recall,
    qps: r.qps,
    param: opts.xParam === undefined ? undefined : r.params[opts.xParam],
  }));
  const title = opts.title ?? `recall@${k} vs speed`;
  if (opts.xParam !== undefined) {
    const xp = opts.xParam;
    // indexes without the parameter (exact) are drawn as horizontal reference lines
    const refs = dedupe(data.filter((d) => d.param === undefined));
    const curve: vl.TopLevelSpec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title,
      width: 480,
      height: 300,
      layer: [
        {
          data: { values: dedupe(data.filter((d) => d.param !== undefined)) },
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'param', type: 'quantitative', title: xp, scale: { type: 'log', base: 2 } },
            y: { field: 'recall', type: 'quantitative', title: `recall@${k}`, scale: { domain: [0, 1] } },
            color: { field: 'index', type: 'nominal' },
          },
        },
        ...(refs.length === 0
          ? []
          : [
              {
                data: { values: refs },
                mark: { type: 'rule' as const, strokeDash: [4, 4] },
                encoding: {
                  y: { field: 'recall', type: 'quantitative' as const },
                  color: { field: 'index', type: 'nominal' as const },
                },
              },
            ]),
      ],
    };
    return curve;
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 480,
    height: 300,
    data: { values: data },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'recall', type: 'quantitative', title: `recall@${k}`, scale: { zero: false } },
      y: { field: 'qps', type: 'quantitative', title: 'queries / s', scale: { type: 'log' } },
      color: { field: 'index', type: 'nominal', legend: { labelLimit: 360 } },
      strokeDash: { field: 'mode', type: 'nominal', legend: { labelLimit: 360 } },
      shape: { field: 'mode', type: 'nominal', legend: { labelLimit: 360 } },
      order: { field: 'recall', type: 'quantitative' },
      tooltip: [{ field: 'setting' }, { field: 'mode' }],
    },
  };
}

/** Renders a sweep plot to `<prefix>.svg` and `<prefix>.png`; returns both paths. */
export async function writeSweepPlot(
  rows: readonly SweepRow[],
  prefix: string,
  opts: PlotOptions = {},
): Promise<{ svg: string; png: string }> {
  // loaded on first use: vega and vega-lite take most of a second to import
  const [vega, vlc, { Resvg }] = await Promise.all([
    import('vega'),
    import('vega-lite'),
    import('@resvg/resvg-js'),
  ]);
  const spec = vlc.compile(sweepSpec(rows, opts)).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 2 } }).render().asPng();
  await mkdir(dirname(prefix), { recursive: true });
  await writeFile(`${prefix}.svg`, svg);
  await writeFile(`${prefix}.png`, png);
  return { svg: `${prefix}.svg`, png: `${prefix}.png` };
}

/** One point per (index, parameter): recall does not depend on the batch / threads mode. */
function dedupe<T extends { index: string; param: number | undefined }>(rows: T[]): T[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = `${r.index}|${r.param}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
