import { type MetricSet, Rng, UsageError } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import { compareMetricSets } from '../../src/stats/compare.ts';
import { pairedBootstrapCI, pairedTTest } from '../../src/stats/paired.ts';

describe('paired statistics', () => {
  it('t-test matches scipy.stats.ttest_rel on a known case', () => {
    const r = pairedTTest([0.2, 0.5, 0.1, 0.9, 0.4, 0.3], [0.1, 0.45, 0.2, 0.6, 0.3, 0.35]);
    // scipy 1.x: statistic=1.164445019479164, pvalue=0.2967773765278832, df=5
    expect(r.t).toBeCloseTo(1.164445019479164, 10);
    expect(r.p).toBeCloseTo(0.2967773765278832, 8);
    expect(r.df).toBe(5);
  });

  it('t-test handles identical and constant-shift samples', () => {
    expect(pairedTTest([1, 2, 3], [1, 2, 3]).p).toBe(1);
    expect(pairedTTest([2, 3, 4], [1, 2, 3]).p).toBe(0);
  });

  it('t-test keeps very small p values instead of rounding them to 0', () => {
    const a = Float64Array.from({ length: 5000 }, (_, i) => 0.5 + ((i * 7919) % 101) / 1000);
    const b = Float64Array.from(a, (x, i) => x - 0.02 + (((i * 104729) % 13) - 6) / 100);
    const r = pairedTTest(a, b);
    expect(r.t).toBeGreaterThan(20);
    expect(r.p).toBeGreaterThan(0);
    expect(r.p).toBeLessThan(1e-50);
  });

  it('bootstrap CI is seeded, contains the mean difference and narrows with more users', () => {
    const rng = new Rng(1);
    const make = (n: number) => {
      const a = Float64Array.from({ length: n }, () => rng.next());
      const b = Float64Array.from(a, (x) => x - 0.05 + 0.2 * (rng.next() - 0.5));
      return [a, b] as const;
    };
    const [a, b] = make(400);
    const c1 = pairedBootstrapCI(a, b, { samples: 1000, seed: 9 });
    const c2 = pairedBootstrapCI(a, b, { samples: 1000, seed: 9 });
    expect(c1).toEqual(c2);
    expect(c1.low).toBeLessThan(c1.meanDiff);
    expect(c1.high).toBeGreaterThan(c1.meanDiff);
    expect(c1.low).toBeGreaterThan(0.03);
    expect(c1.high).toBeLessThan(0.07);
    const [a2, b2] = make(4000);
    const wide = pairedBootstrapCI(a2, b2, { samples: 1000, seed: 9 });
    expect(wide.high - wide.low).toBeLessThan(c1.high - c1.low);
  });

  it('compareMetricSets pairs users present in both runs and refuses mixed protocols', () => {
    const a: MetricSet = {
      protocol: 'full',
      values: { 'Recall@20': 0.5 },
      users: Int32Array.of(0, 1, 2, 3),
      perUser: { 'Recall@20': Float32Array.of(0.5, 0.75, 0.25, 1) },
    };
    const b: MetricSet = {
      protocol: 'full',
      values: { 'Recall@20': 0.4 },
      users: Int32Array.of(3, 2, 1, 9),
      perUser: { 'Recall@20': Float32Array.of(0.5, 0.25, 0.5, 0) },
    };
    const t = compareMetricSets(a, b, { samples: 200, seed: 1 });
    expect(t.users).toBe(3);
    expect(t.onlyA).toBe(1);
    expect(t.onlyB).toBe(1);
    const row = t.rows[0]!;
    expect(row.key).toBe('recall_at_20');
    expect(row.a).toBeCloseTo((0.75 + 0.25 + 1) / 3, 6);
    expect(row.b).toBeCloseTo((0.5 + 0.25 + 0.5) / 3, 6);
    expect(row.diff).toBeCloseTo(0.25, 6);
    expect(() => compareMetricSets(a, { ...b, protocol: 'sampled-99' })).toThrow(UsageError);
    expect(() => compareMetricSets(a, b, { metrics: ['NDCG@20'] })).toThrow(/no per-user values/);
  });
});
