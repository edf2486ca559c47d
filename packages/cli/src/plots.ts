import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getPath, type LoadedExperiment, layout, type PlotSpec, parsePath, readStatus } from '@embrec/core';
// one renderer (vega-lite → SVG + PNG) for the sweep plots and the analysis report
import { renderVegaLite } from '@embrec/eval';
import type * as vl from 'vega-lite';
import { meanCi } from './report.ts';
import { readRun } from './runs.ts';

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');

/**
 * The sweep's `plots:`: metric y against the config value at path x, one point per x (mean over
 * the trials that share it, e.g. seeds) with its 95% CI, one line per value of the other swept
 * settings. Written to `<sweep>/plots/`.
 */
export async function renderSweepPlots(exp: LoadedExperiment, dir: string): Promise<string[]> {
  const specs: readonly PlotSpec[] = exp.plots ?? [];
  if (specs.length === 0) return [];
  const out: string[] = [];
  mkdirSync(join(dir, 'plots'), { recursive: true });
  for (const p of specs) {
    const xPath = parsePath(p.x);
    const points = new Map<string, { x: number | string; series: string; ys: number[] }>();
    for (const t of exp.trials) {
      const tdir = layout.trialDir(dir, t.name);
      if (readStatus(tdir)?.status !== 'FINISHED') continue;
      const y = readRun(tdir).values[p.y];
      if (y === undefined) continue;
      const x = getPath(t.config, xPath) as number | string;
      const series =
        t.assignments
          .filter(([path]) => path !== p.x)
          .map(
            ([path, v]) =>
              `${path}=${typeof v === 'object' && v && 'type' in v ? (v as { type: string }).type : String(v)}`,
          )
          .join(', ') || p.y;
      const key = `${series}\u0000${String(x)}`;
      const pt = points.get(key) ?? { x, series, ys: [] };
      pt.ys.push(y);
      points.set(key, pt);
    }
    const values = [...points.values()].map((pt) => {
      const { mean, half } = meanCi(pt.ys);
      const h = Number.isNaN(half) ? 0 : half;
      return { x: pt.x, series: pt.series, y: mean, lo: mean - h, hi: mean + h, n: pt.ys.length };
    });
    if (values.length === 0) continue;
    const numeric = values.every((v) => typeof v.x === 'number');
    const xEnc = {
      field: 'x',
      type: numeric ? ('quantitative' as const) : ('nominal' as const),
      title: p.x,
      ...(numeric
        ? {
            scale: {
              type: p.xScale === 'log' ? ('log' as const) : ('linear' as const),
              nice: false,
              zero: false,
            },
          }
        : {}),
    };
    const spec: vl.TopLevelSpec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: p.title ?? `${exp.name}: ${p.y} vs ${p.x}`,
      width: 480,
      height: 300,
      data: { values },
      layer: [
        {
          mark: { type: 'errorbar' },
          encoding: {
            x: xEnc,
            y: { field: 'lo', type: 'quantitative', title: `${p.y} (mean, 95% CI over seeds)` },
            y2: { field: 'hi' },
            color: { field: 'series', type: 'nominal', title: null },
          },
        },
        {
          mark: { type: 'line', point: true },
          encoding: {
            x: xEnc,
            y: { field: 'y', type: 'quantitative', title: `${p.y} (mean, 95% CI over seeds)` },
            color: { field: 'series', type: 'nominal', title: null },
            tooltip: [{ field: 'x' }, { field: 'y' }, { field: 'n' }],
          },
        },
      ],
    };
    out.push(...(await renderVegaLite(spec, join(dir, 'plots', `${safe(p.y)}-vs-${safe(p.x)}`))));
  }
  return out;
}
