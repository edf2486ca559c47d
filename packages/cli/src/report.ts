import { existsSync } from 'node:fs';
import { IdMap, layout, readStatus, UsageError } from '@embrec/core';
import { pairedTTest } from '@embrec/eval';
import jStat from 'jstat';
import { fmt, renderTable, type TableFormat } from './output.ts';
import { readPerUser, readRun, readSweep } from './runs.ts';

export interface ReportOptions {
  readonly metrics?: readonly string[];
  readonly baseline?: string;
  readonly format: TableFormat;
}

interface Group {
  name: string;
  trials: string[];
  values: Record<string, number[]>;
}

/** mean ± half-width of the 95% CI (Student t over seeds); half-width NaN for one seed. */
export function meanCi(xs: readonly number[]): { mean: number; half: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, half: Number.NaN };
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, half: jStat.studentt.inv(0.975, n - 1) * (sd / Math.sqrt(n)) };
}

/**
 * The results table of a sweep: one row per trial group (trials differing only by seed), mean ± 95%
 * CI over seeds per metric, and a paired t-test over users against the baseline group.
 */
export function sweepReport(
  dir: string,
  opts: ReportOptions,
): { text: string; groups: Group[]; baseline?: string } {
  const sweep = readSweep(dir);
  const groups = new Map<string, Group>();
  for (const trial of sweep.trials) {
    const tdir = layout.trialDir(dir, trial);
    if (!existsSync(layout.metrics(tdir)) || readStatus(tdir)?.status !== 'FINISHED') continue;
    const run = readRun(tdir);
    const gname = sweep.groups?.[trial] ?? trial;
    let g = groups.get(gname);
    if (!g) {
      g = { name: gname, trials: [], values: {} };
      groups.set(gname, g);
    }
    g.trials.push(trial);
    for (const [k, v] of Object.entries(run.values)) {
      const list = g.values[k] ?? [];
      list.push(v);
      g.values[k] = list;
    }
  }
  if (groups.size === 0) throw new UsageError(`${dir}: no finished trials yet (run the experiment first)`);
  const all = [...groups.values()];
  const metrics = opts.metrics ?? Object.keys(all[0]!.values);
  for (const m of metrics) {
    if (!all.some((g) => m in g.values)) {
      throw new UsageError(
        `metric "${m}" is not in this sweep. Available: ${Object.keys(all[0]!.values).join(', ')}`,
      );
    }
  }
  const baselineName = opts.baseline ?? sweep.baseline;
  let baseline: Group | undefined;
  if (baselineName) {
    baseline =
      groups.get(baselineName) ??
      all.find((g) => g.name.startsWith(baselineName) || g.trials.includes(baselineName));
    if (!baseline)
      throw new UsageError(
        `baseline "${baselineName}" matches no trial group. Groups: ${all.map((g) => g.name).join(', ')}`,
      );
  }
  // per-user means over seeds, for the paired tests
  const ids = new IdMap();
  const perUserMean = (g: Group, metric: string): Map<number, number> | undefined => {
    const acc = new Map<number, { s: number; n: number }>();
    for (const t of g.trials) {
      let set: ReturnType<typeof readPerUser>;
      try {
        set = readPerUser(layout.trialDir(dir, t), ids);
      } catch {
        return undefined;
      }
      const v = set.perUser[metric];
      if (!v) return undefined;
      set.users.forEach((u, i) => {
        const a = acc.get(u) ?? { s: 0, n: 0 };
        a.s += v[i]!;
        a.n++;
        acc.set(u, a);
      });
    }
    return new Map([...acc].map(([u, a]) => [u, a.s / a.n]));
  };
  const header = ['trial', 'seeds', ...metrics];
  if (baseline) header.push(`p vs ${baseline.name} (${metrics[0]})`);
  const rows: string[][] = [];
  for (const g of all) {
    const row = [g.name, String(g.trials.length)];
    for (const m of metrics) {
      const xs = g.values[m] ?? [];
      if (xs.length === 0) {
        row.push('–');
        continue;
      }
      const { mean, half } = meanCi(xs);
      row.push(Number.isNaN(half) ? fmt(mean) : `${fmt(mean)} ± ${fmt(half)}`);
    }
    if (baseline) {
      if (g === baseline) row.push('baseline');
      else {
        const a = perUserMean(g, metrics[0]!);
        const b = perUserMean(baseline, metrics[0]!);
        if (!a || !b) row.push('n/a');
        else {
          const xa: number[] = [];
          const xb: number[] = [];
          for (const [u, v] of a) {
            const w = b.get(u);
            if (w !== undefined) {
              xa.push(v);
              xb.push(w);
            }
          }
          const t = pairedTTest(xa, xb);
          row.push(
            Number.isNaN(t.p)
              ? 'n/a'
              : `${t.p < 1e-4 ? t.p.toExponential(1) : t.p.toFixed(4)}${t.p < 0.05 ? (t.meanDiff > 0 ? ' (better)' : ' (worse)') : ''}`,
          );
        }
      }
    }
    rows.push(row);
  }
  const note = `\n\n${sweep.experiment}: mean ± 95% CI over seeds; p: paired t-test over users (per-user means over seeds).`;
  const text = renderTable(header, rows, opts.format) + (opts.format === 'md' ? note : '');
  return baseline ? { text, groups: all, baseline: baseline.name } : { text, groups: all };
}
