import { type Dataset, IdMap, Rng, type Splits } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import { analyzeEmbeddings } from '../../src/analysis/analyze.ts';
import { nearestNeighbours } from '../../src/analysis/neighbours.ts';

describe('nearest neighbours', () => {
  it('lists the k most cosine-similar other items, best first', () => {
    const rng = new Rng(9);
    const n = 30;
    const d = 5;
    const v = Float32Array.from({ length: n * d }, () => rng.normal() * (1 + rng.next() * 5));
    const [r] = nearestNeighbours({
      vectors: v,
      dim: d,
      queries: [7],
      k: 4,
      idOf: (i) => `i${i}`,
      nameOf: (i) => `item ${i}`,
    });
    const cos = (a: number, b: number) => {
      let s = 0;
      let na = 0;
      let nb = 0;
      for (let j = 0; j < d; j++) {
        s += v[a * d + j]! * v[b * d + j]!;
        na += v[a * d + j]! ** 2;
        nb += v[b * d + j]! ** 2;
      }
      return s / Math.sqrt(na * nb);
    };
    const ref = Array.from({ length: n }, (_, i) => i)
      .filter((i) => i !== 7)
      .sort((a, b) => cos(7, b) - cos(7, a))
      .slice(0, 4);
    expect(r!.name).toBe('item 7');
    expect(r!.neighbours.map((x) => x.item)).toEqual(ref.map((i) => `i${i}`));
    r!.neighbours.forEach((x, j) => {
      expect(x.cosine).toBeCloseTo(cos(7, ref[j]!), 5);
    });
  });
});

describe('analyzeEmbeddings: random neighbour items', () => {
  it('are drawn among items with a vector (an untrained item has a zero vector, all its cosines 0)', async () => {
    const rng = new Rng(4);
    const n = 40;
    const d = 4;
    // every other item untrained: a zero row
    const v = Float32Array.from({ length: n * d }, (_, i) =>
      Math.floor(i / d) % 2 === 0 ? rng.normal() : 0,
    );
    const ids = IdMap.range(n);
    const dataset = {
      name: 'toy',
      interactions: { itemIds: ids, userIds: IdMap.range(1) },
    } as unknown as Dataset;
    const r = await analyzeEmbeddings(
      { model: 'toy', dataset, splits: {} as Splits, items: { ids, dim: d, vectors: v } },
      { randomItems: 10, neighbours: 3, maps: false, permutations: 1 },
    );
    expect(r.neighbours).toHaveLength(10);
    for (const q of r.neighbours) expect(Number(q.item) % 2).toBe(0);
  });
});
