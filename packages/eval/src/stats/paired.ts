import { Rng } from '@embrec/core';
import jStat from 'jstat';

export interface TTestResult {
  /** Number of pairs. */
  readonly n: number;
  readonly meanDiff: number;
  readonly t: number;
  readonly df: number;
  /** Two-sided p value (Student t with n-1 degrees of freedom). */
  readonly p: number;
}

/**
 * Paired two-sided t-test of mean(a - b) = 0: t = mean(d) / (sd(d) / √n), df = n - 1.
 * Identical pairs (sd = 0) give t = 0, p = 1 when the mean is 0, else t = ±∞, p = 0.
 */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>): TTestResult {
  if (a.length !== b.length)
    throw new RangeError(`paired samples differ in length: ${a.length} vs ${b.length}`);
  const n = a.length;
  if (n < 2) return { n, meanDiff: n === 1 ? a[0]! - b[0]! : 0, t: Number.NaN, df: n - 1, p: Number.NaN };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[i]! - b[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const e = a[i]! - b[i]! - mean;
    ss += e * e;
  }
  const sd = Math.sqrt(ss / (n - 1));
  const df = n - 1;
  if (sd === 0) {
    return mean === 0
      ? { n, meanDiff: 0, t: 0, df, p: 1 }
      : { n, meanDiff: mean, t: mean > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY, df, p: 0 };
  }
  const t = mean / (sd / Math.sqrt(n));
  // the lower tail at −|t| keeps tiny p values (1 − cdf(|t|) cancels to 0 beyond ~1e-16)
  const p = Math.min(1, 2 * jStat.studentt.cdf(-Math.abs(t), df));
  return { n, meanDiff: mean, t, df, p };
}

export interface BootstrapResult {
  readonly meanDiff: number;
  readonly low: number;
  readonly high: number;
  /** Confidence level, e.g. 0.95. */
  readonly level: number;
  readonly samples: number;
}

/**
 * Paired bootstrap percentile confidence interval of mean(a - b): users are resampled with
 * replacement `samples` times (seeded), keeping each user's pair together.
 */
export function pairedBootstrapCI(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: { samples?: number; level?: number; seed?: number } = {},
): BootstrapResult {
  if (a.length !== b.length)
    throw new RangeError(`paired samples differ in length: ${a.length} vs ${b.length}`);
  const samples = opts.samples ?? 2000;
  const level = opts.level ?? 0.95;
  const n = a.length;
  const d = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    d[i] = a[i]! - b[i]!;
    mean += d[i]!;
  }
  mean = n > 0 ? mean / n : 0;
  if (n === 0) return { meanDiff: 0, low: Number.NaN, high: Number.NaN, level, samples };
  const rng = new Rng(opts.seed ?? 0);
  const means = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += d[rng.int(n)]!;
    means[s] = sum / n;
  }
  means.sort();
  const alpha = (1 - level) / 2;
  return { meanDiff: mean, low: quantile(means, alpha), high: quantile(means, 1 - alpha), level, samples };
}

/** Linear-interpolated quantile of a sorted array. */
function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
