import { Rng } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import { builtinMetric, metricKey } from '../../src/evaluation/metrics.ts';
import {
  hitRateAtK,
  mapAtK,
  mrrAtK,
  ndcgAtK,
  precisionAtK,
  recallAtK,
} from '../../src/evaluation/rank-metrics.ts';

// Slow, obvious reference implementations straight from the definitions.
function topK(ranked: number[], k: number): number[] {
  return ranked.slice(0, k).filter((x) => x >= 0);
}
const ref = {
  recall: (ranked: number[], rel: Set<number>, k: number) =>
    rel.size === 0 ? 0 : topK(ranked, k).filter((x) => rel.has(x)).length / rel.size,
  precision: (ranked: number[], rel: Set<number>, k: number) =>
    rel.size === 0 ? 0 : topK(ranked, k).filter((x) => rel.has(x)).length / k,
  hr: (ranked: number[], rel: Set<number>, k: number) => (topK(ranked, k).some((x) => rel.has(x)) ? 1 : 0),
  ndcg: (ranked: number[], rel: Set<number>, k: number) => {
    if (rel.size === 0) return 0;
    const gains = ranked.slice(0, k).map((x) => (x >= 0 && rel.has(x) ? 1 : 0));
    const dcg = gains.reduce((s: number, g: number, i: number) => s + g / Math.log2(i + 2), 0);
    const ideal = Array.from({ length: k }, (_, i) => (i < rel.size ? 1 : 0));
    const idcg = ideal.reduce((s: number, g: number, i: number) => s + g / Math.log2(i + 2), 0);
    return dcg / idcg;
  },
  mrr: (ranked: number[], rel: Set<number>, k: number) => {
    const i = ranked.slice(0, k).findIndex((x) => x >= 0 && rel.has(x));
    return i < 0 ? 0 : 1 / (i + 1);
  },
  map: (ranked: number[], rel: Set<number>, k: number) => {
    if (rel.size === 0) return 0;
    let total = 0;
    for (let i = 0; i < Math.min(k, ranked.length); i++) {
      const x = ranked[i]!;
      if (x >= 0 && rel.has(x))
        total += ranked.slice(0, i + 1).filter((y) => y >= 0 && rel.has(y)).length / (i + 1);
    }
    return total / Math.min(rel.size, k);
  },
};
const fast = {
  recall: recallAtK,
  precision: precisionAtK,
  hr: hitRateAtK,
  ndcg: ndcgAtK,
  mrr: mrrAtK,
  map: mapAtK,
};

describe('ranking metrics', () => {
  it('match the slow reference on 2000 random rankings', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 2000; trial++) {
      const nItems = 1 + rng.int(60);
      const perm = rng.shuffle(Int32Array.from({ length: nItems }, (_, i) => i));
      const len = rng.int(nItems + 1);
      const pad = rng.int(4);
      const ranked = [...perm.subarray(0, len), ...new Array<number>(pad).fill(-1)];
      const relSet = new Set<number>();
      const nRel = rng.int(Math.min(nItems, 25) + 1);
      while (relSet.size < nRel) relSet.add(rng.int(nItems));
      const relevant = Int32Array.from([...relSet].sort((a, b) => a - b));
      const k = 1 + rng.int(30);
      for (const name of Object.keys(ref) as (keyof typeof ref)[]) {
        const want = ref[name](ranked, relSet, k);
        const got = fast[name](Int32Array.from(ranked), relevant, k);
        expect(got, `${name}@${k} ranked=${ranked} rel=${[...relevant]}`).toBeCloseTo(want, 12);
      }
    }
  });

  it('give the known answers of a hand-worked case', () => {
    const ranked = Int32Array.of(3, 1, 4, 0, 2);
    const rel = Int32Array.of(1, 2);
    expect(recallAtK(ranked, rel, 3)).toBe(0.5);
    expect(precisionAtK(ranked, rel, 3)).toBeCloseTo(1 / 3, 12);
    expect(hitRateAtK(ranked, rel, 3)).toBe(1);
    expect(hitRateAtK(ranked, rel, 1)).toBe(0);
    // DCG = 1/log2(3); IDCG over min(2, 3) = 2 positions = 1 + 1/log2(3)
    expect(ndcgAtK(ranked, rel, 3)).toBeCloseTo(0.63092975 / 1.63092975, 7);
    expect(mrrAtK(ranked, rel, 3)).toBe(0.5);
    expect(mapAtK(ranked, rel, 3)).toBeCloseTo(0.25, 12);
    // at k = 5 both relevant items are found at ranks 2 and 5
    expect(recallAtK(ranked, rel, 5)).toBe(1);
    expect(mapAtK(ranked, rel, 5)).toBeCloseTo((1 / 2 + 2 / 5) / 2, 12);
  });

  it('NDCG uses LightGCN’s ideal DCG over min(|test|, k) positions', () => {
    // 30 relevant items, k = 20: a perfect top 20 has NDCG 1 (not 20/30 of the ideal over 30 items)
    const rel = Int32Array.from({ length: 30 }, (_, i) => i);
    const ranked = Int32Array.from({ length: 20 }, (_, i) => i);
    expect(ndcgAtK(ranked, rel, 20)).toBeCloseTo(1, 12);
    // 1 relevant item at rank 1 → 1; at rank 2 → 1/log2(3)
    expect(ndcgAtK(Int32Array.of(5, 9), Int32Array.of(5), 20)).toBe(1);
    expect(ndcgAtK(Int32Array.of(9, 5), Int32Array.of(5), 20)).toBeCloseTo(1 / Math.log2(3), 12);
  });

  it('has MLflow-safe keys and display names', () => {
    const m = builtinMetric('recall');
    expect(m.key(20)).toBe('recall_at_20');
    expect(m.display(20)).toBe('Recall@20');
    expect(metricKey('Recall@20')).toBe('recall_at_20');
    expect(metricKey('HR@10 (sampled 99)')).toBe('hr_at_10_sampled99');
    expect(() => builtinMetric('recal')).toThrow(/unknown metric "recal"/);
  });
});
