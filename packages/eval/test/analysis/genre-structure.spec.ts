import { Rng } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import type { Labels } from '../../src/analysis/attributes.ts';
import { genreStructure } from '../../src/analysis/genre-structure.ts';

function labelsOf(bags: number[][], vocab: string[]): Labels {
  const indptr = new Int32Array(bags.length + 1);
  bags.forEach((b, r) => {
    indptr[r + 1] = indptr[r]! + b.length;
  });
  return { name: 'genres', vocab, indptr, indices: Int32Array.from(bags.flat()) };
}

function cos(v: Float32Array, d: number, a: number, b: number): number {
  let s = 0;
  let na = 0;
  let nb = 0;
  for (let j = 0; j < d; j++) {
    s += v[a * d + j]! * v[b * d + j]!;
    na += v[a * d + j]! ** 2;
    nb += v[b * d + j]! ** 2;
  }
  return s / Math.sqrt(na * nb);
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('genre structure', () => {
  it.each([
    { n: 40, d: 6, V: 4, extra: 1, digits: 6 },
    // ~hundreds of genre sets: the combo Gram matrix goes through the native sgemm (float32)
    { n: 600, d: 64, V: 16, extra: 3, digits: 4 },
  ])(
    'equals the pairwise definition (multi-genre items, items without a genre): n $n, $V values',
    ({ n, d, V, extra, digits }) => {
      const rng = new Rng(3);
      const v = Float32Array.from({ length: n * d }, () => rng.normal());
      const bags: number[][] = [];
      for (let i = 0; i < n; i++) {
        const b = [
          ...new Set([
            rng.int(V),
            ...Array.from({ length: extra }, () => (rng.next() < 0.4 ? rng.int(V) : -1)),
          ]),
        ].filter((g) => g >= 0);
        bags.push(i % 9 === 0 ? [] : b);
      }
      const r = genreStructure(
        v,
        d,
        labelsOf(
          bags,
          Array.from({ length: V }, (_, g) => `g${g}`),
        ),
        { permutations: 0, rng },
      );
      const intra: number[] = [];
      const inter: number[] = [];
      const per = Array.from({ length: V }, () => ({ intra: [] as number[], inter: [] as number[] }));
      const cell = Array.from({ length: V * V }, () => [] as number[]);
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) {
          if (a === b || bags[a]!.length === 0 || bags[b]!.length === 0) continue;
          const c = cos(v, d, a, b);
          (bags[a]!.some((g) => bags[b]!.includes(g)) ? intra : inter).push(c);
          for (let g = 0; g < V; g++) {
            const ia = bags[a]!.includes(g);
            const ib = bags[b]!.includes(g);
            if (ia && ib) per[g]!.intra.push(c);
            else if (ia !== ib) per[g]!.inter.push(c);
          }
          for (const g of bags[a]!) for (const h of bags[b]!) cell[g * V + h]!.push(c);
        }
      expect(r.rows).toBe(bags.filter((b) => b.length > 0).length);
      expect(r.overall.intra).toBeCloseTo(mean(intra), digits);
      expect(r.overall.inter).toBeCloseTo(mean(inter), digits);
      for (let g = 0; g < V; g++) {
        expect(r.perValue[g]!.intra).toBeCloseTo(mean(per[g]!.intra), digits);
        expect(r.perValue[g]!.inter).toBeCloseTo(mean(per[g]!.inter), digits);
        for (let h = 0; h < V; h++) expect(r.matrix[g]![h]).toBeCloseTo(mean(cell[g * V + h]!), digits);
      }
    },
  );

  it('gives a small p-value when vectors cluster by genre, and a large one when they do not', () => {
    const n = 120;
    const d = 8;
    const rng = new Rng(5);
    const bags = Array.from({ length: n }, (_, i) => [i % 3]);
    const clustered = Float32Array.from({ length: n * d }, (_, p) => {
      const i = Math.floor(p / d);
      return rng.normal() + (p % d === i % 3 ? 3 : 0);
    });
    const noise = Float32Array.from({ length: n * d }, () => rng.normal());
    const labels = labelsOf(bags, ['x', 'y', 'z']);
    const a = genreStructure(clustered, d, labels, { permutations: 199, rng: new Rng(1) });
    expect(a.overall.diff).toBeGreaterThan(0.3);
    expect(a.overall.p).toBe(1 / 200);
    for (const pv of a.perValue) expect(pv.p).toBeLessThan(0.05);
    const b = genreStructure(noise, d, labels, { permutations: 199, rng: new Rng(1) });
    expect(b.overall.p).toBeGreaterThan(0.05);
    // seeded: the same permutations give the same p
    expect(genreStructure(noise, d, labels, { permutations: 199, rng: new Rng(1) }).overall.p).toBe(
      b.overall.p,
    );
  });
});
