import { Rng } from '@embrec/core';
import { describe, expect, it } from 'vitest';
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
