import { describe, expect, it } from 'vitest';
import { gini, lorenz, popularityBias, spearman } from '../../src/analysis/popularity.ts';

describe('popularity statistics', () => {
  it('gini: 0 for equal amounts, (n−1)/n when one item has everything', () => {
    expect(gini([3, 3, 3, 3])).toBeCloseTo(0, 12);
    expect(gini([0, 0, 0, 5])).toBeCloseTo(0.75, 12);
    // mean absolute difference / (2 mean): [1,2,3,4] → 0.25
    expect(gini([4, 1, 3, 2])).toBeCloseTo(0.25, 12);
  });

  it('lorenz runs from (0,0) to (1,1) and lies under the diagonal', () => {
    const c = lorenz([5, 1, 0, 2, 9, 3], 10);
    expect(c[0]).toEqual([0, 0]);
    expect(c.at(-1)![0]).toBeCloseTo(1, 12);
    expect(c.at(-1)![1]).toBeCloseTo(1, 12);
    for (const [x, y] of c) expect(y).toBeLessThanOrEqual(x + 1e-12);
  });

  it('spearman: ±1 for monotone relations, ties by mean rank', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 400])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // scipy.stats.spearmanr([1,2,2,3],[1,3,2,4]).statistic = 0.9486832980505138
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(0.9486832980505138, 10);
  });

  it('head shares compare recommendations with interactions', () => {
    const n = 100;
    const popularity = Float64Array.from({ length: n }, (_, i) => n - i); // item 0 most popular
    const recommended = new Float64Array(n);
    recommended[0] = 50;
    recommended[50] = 50;
    const r = popularityBias({
      popularity,
      norms: Float64Array.from(popularity),
      recommended,
      k: 1,
      users: 100,
    });
    expect(r.headShare[0]).toMatchObject({ top: 0.01, items: 1, recommendations: 0.5 });
    expect(r.headShare[0]!.interactions).toBeCloseTo(100 / 5050, 12);
    expect(r.headShare[1]!.recommendations).toBe(0.5);
    expect(r.spearman.norm).toBeCloseTo(1, 12);
    expect(r.spearman.bias).toBeNull();
    expect(r.gini.recommendations).toBeCloseTo(0.98, 12);
  });
});
