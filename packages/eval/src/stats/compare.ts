import { type MetricSet, UsageError } from '@embrec/core';
import { metricKey } from '../evaluation/metrics.ts';
import { pairedBootstrapCI, pairedTTest } from './paired.ts';

export interface CompareOptions {
  /** Display names to compare (default: every per-user metric present in both runs). */
  readonly metrics?: readonly string[];
  /** Bootstrap resamples (default 2000). */
  readonly samples?: number;
  /** Confidence level of the interval (default 0.95). */
  readonly level?: number;
  readonly seed?: number;
}

export interface CompareRow {
  readonly metric: string; // display name, "Recall@20"
  readonly key: string; // "recall_at_20"
  readonly a: number; // mean of run A over the paired users
  readonly b: number;
  readonly diff: number; // a - b
  readonly relDiff: number; // (a - b) / b
  readonly t: number;
  readonly p: number;
  readonly ciLow: number;
  readonly ciHigh: number;
}

export interface CompareTable {
  readonly protocol: string;
  /** Users evaluated in both runs (the pairs). */
  readonly users: number;
  readonly onlyA: number;
  readonly onlyB: number;
  readonly level: number;
  readonly samples: number;
  readonly rows: readonly CompareRow[];
}

/**
 * Paired comparison of two runs over the users evaluated in both: per metric the two means, the
 * difference, a two-sided paired t-test and a paired bootstrap CI of the difference (`embrec compare`).
 */
export function compareMetricSets(a: MetricSet, b: MetricSet, opts: CompareOptions = {}): CompareTable {
  if (a.protocol !== b.protocol) {
    throw new UsageError(
      `cannot compare runs evaluated under different protocols: "${a.protocol}" vs "${b.protocol}"`,
    );
  }
  const posB = new Map<number, number>();
  for (let i = 0; i < b.users.length; i++) posB.set(b.users[i]!, i);
  const ia: number[] = [];
  const ib: number[] = [];
  for (let i = 0; i < a.users.length; i++) {
    const j = posB.get(a.users[i]!);
    if (j !== undefined) {
      ia.push(i);
      ib.push(j);
    }
  }
  const names = opts.metrics ?? Object.keys(a.perUser).filter((m) => m in b.perUser);
  const level = opts.level ?? 0.95;
  const samples = opts.samples ?? 2000;
  const rows: CompareRow[] = [];
  for (const m of names) {
    const va = a.perUser[m];
    const vb = b.perUser[m];
    if (!va || !vb) {
      throw new UsageError(
        `metric "${m}" has no per-user values in ${va ? 'run B' : 'run A'}; available: ${Object.keys(va ? b.perUser : a.perUser).join(', ')}`,
      );
    }
    const xa = Float64Array.from(ia, (i) => va[i]!);
    const xb = Float64Array.from(ib, (j) => vb[j]!);
    const t = pairedTTest(xa, xb);
    const ci = pairedBootstrapCI(xa, xb, { samples, level, seed: opts.seed ?? 0 });
    const ma = mean(xa);
    const mb = mean(xb);
    rows.push({
      metric: m,
      key: metricKey(m),
      a: ma,
      b: mb,
      diff: ma - mb,
      relDiff: mb !== 0 ? (ma - mb) / mb : Number.NaN,
      t: t.t,
      p: t.p,
      ciLow: ci.low,
      ciHigh: ci.high,
    });
  }
  return {
    protocol: a.protocol,
    users: ia.length,
    onlyA: a.users.length - ia.length,
    onlyB: b.users.length - ia.length,
    level,
    samples,
    rows,
  };
}

function mean(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return x.length > 0 ? s / x.length : 0;
}
