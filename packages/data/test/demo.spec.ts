import { Rng, userCsr } from '@embrec/core';
import { makeTestContext } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { demoDataset, demoSchema } from '../src/datasets/demo/component.ts';
import { type DemoParams, generateDemo } from '../src/datasets/demo/generate.ts';
import { lastK, splitWith } from '../src/splitters/holdout.ts';

const base: DemoParams = {
  users: 300,
  items: 400,
  genres: 6,
  interactionsPerUser: 20,
  popularityExponent: 1,
  focus: 0.85,
  twoGenreProb: 0.5,
  brands: 10,
  seed: 7,
};

describe('demo dataset', () => {
  it('is deterministic in its params and seed', () => {
    const a = generateDemo(base).dataset.interactions;
    const b = generateDemo(base).dataset.interactions;
    expect(b.users).toEqual(a.users);
    expect(b.items).toEqual(a.items);
    expect(b.timestamps).toEqual(a.timestamps);
    const c = generateDemo({ ...base, seed: 8 }).dataset.interactions;
    expect(c.items).not.toEqual(a.items);
  });

  it('the component seeds from its own seed only (trials over seeds see the same data)', async () => {
    const load = async (seed: number, offset: number) => {
      const ctx = makeTestContext({ seed });
      const p = demoSchema.parse({ users: 20, items: 50, seed: offset });
      return (await demoDataset.create(p, {}, { ...ctx, instantiate: () => Promise.reject() } as never)).load(
        ctx,
      );
    };
    expect((await load(1, 0)).interactions.items).toEqual((await load(2, 0)).interactions.items);
    expect((await load(1, 0)).interactions.items).not.toEqual((await load(1, 1)).interactions.items);
  });

  it('has sizes, features and names of the documented shape', () => {
    const { dataset: d, truth } = generateDemo(base);
    const x = d.interactions;
    expect(x.userIds.size).toBe(base.users);
    expect(x.itemIds.size).toBe(base.items);
    const csr = userCsr(x);
    for (let u = 0; u < base.users; u++) {
      const row = Array.from(csr.indices.subarray(csr.indptr[u]!, csr.indptr[u + 1]!));
      expect(row.length).toBeGreaterThanOrEqual(1);
      expect(new Set(row).size, 'no repeated item per user').toBe(row.length);
    }
    for (let r = 1; r < x.users.length; r++)
      if (x.users[r] === x.users[r - 1])
        expect(x.timestamps![r]!).toBeGreaterThanOrEqual(x.timestamps![r - 1]!);
    const g = d.itemFeatures!.multiHot.genres!;
    for (let i = 0; i < base.items; i++) expect(g.bags.indices[g.bags.indptr[i]!]).toBe(truth.itemGenre[i]);
    expect(d.itemFeatures!.numeric.price!.every((p) => p > 0)).toBe(true);
    expect(d.itemFeatures!.categorical.brand!.values.every((b) => b >= 0 && b < base.brands)).toBe(true);
    expect(d.itemNames![0]).toMatch(/^[A-Za-z-]+ item \d+$/);
    expect(x.ratings!.every((r) => r >= 1 && r <= 5)).toBe(true);
  });

  it('plants taste clusters: most interactions are in the user’s genres, and same-genre items co-occur', () => {
    const { dataset: d, truth } = generateDemo(base);
    const x = d.interactions;
    let inTaste = 0;
    for (let r = 0; r < x.users.length; r++) {
      const u = x.users[r]!;
      const g = truth.itemGenre[x.items[r]!]!;
      if (g === truth.userGenres[2 * u] || g === truth.userGenres[2 * u + 1]) inTaste++;
    }
    expect(inTaste / x.users.length).toBeGreaterThan(base.focus - 0.03);
    // co-occurrence within users: same-genre pairs vs what genre shares alone would give
    const csr = userCsr(x);
    const share = new Float64Array(base.genres);
    for (let r = 0; r < x.items.length; r++) share[truth.itemGenre[x.items[r]!]!]! += 1 / x.items.length;
    const chance = share.reduce((s, p) => s + p * p, 0);
    let same = 0;
    let all = 0;
    for (let u = 0; u < base.users; u++) {
      const row = csr.indices.subarray(csr.indptr[u]!, csr.indptr[u + 1]!);
      for (let a = 0; a < row.length; a++)
        for (let b = a + 1; b < row.length; b++) {
          all++;
          if (truth.itemGenre[row[a]!] === truth.itemGenre[row[b]!]) same++;
        }
    }
    expect(same / all).toBeGreaterThan(2.5 * chance);
  });

  it('has power-law popularity', () => {
    const { dataset: d } = generateDemo({ ...base, users: 1000 });
    const counts = new Float64Array(base.items);
    for (const i of d.interactions.items) counts[i]!++;
    const sorted = Array.from(counts).sort((a, b) => b - a);
    const top = sorted.slice(0, base.items / 10).reduce((s, c) => s + c, 0);
    expect(top / d.interactions.items.length).toBeGreaterThan(0.35);
    const flat = generateDemo({ ...base, users: 1000, popularityExponent: 0 }).dataset;
    const c2 = new Float64Array(base.items);
    for (const i of flat.interactions.items) c2[i]!++;
    const top2 = Array.from(c2)
      .sort((a, b) => b - a)
      .slice(0, base.items / 10)
      .reduce((s, c) => s + c, 0);
    expect(top2 / flat.interactions.items.length).toBeLessThan(top / d.interactions.items.length);
  });

  it('an item co-occurrence recommender beats random and popularity (the truth is recoverable)', () => {
    const { dataset: d } = generateDemo({ ...base, popularityExponent: 0.5 });
    const s = splitWith(d.interactions, lastK(1, 'time', new Rng(1), 'test'));
    const tr = userCsr(s.train);
    const nI = base.items;
    const co = new Float32Array(nI * nI);
    for (let u = 0; u < base.users; u++) {
      const row = tr.indices.subarray(tr.indptr[u]!, tr.indptr[u + 1]!);
      for (const a of row) for (const b of row) if (a !== b) co[a * nI + b]! += 1;
    }
    const pop = new Float64Array(nI);
    for (const i of s.train.items) pop[i]!++;
    const K = 20;
    const hit = (scores: Float64Array, seen: Int32Array, target: number) => {
      for (const i of seen) scores[i] = Number.NEGATIVE_INFINITY;
      const t = scores[target]!;
      let better = 0;
      for (let i = 0; i < nI; i++) if (scores[i]! > t) better++;
      return better < K ? 1 : 0;
    };
    let hCo = 0;
    let hPop = 0;
    for (let r = 0; r < s.test.users.length; r++) {
      const u = s.test.users[r]!;
      const seen = tr.indices.subarray(tr.indptr[u]!, tr.indptr[u + 1]!);
      const sc = new Float64Array(nI);
      for (const a of seen) for (let b = 0; b < nI; b++) sc[b]! += co[a * nI + b]!;
      for (let b = 0; b < nI; b++) sc[b]! += 1e-6 * pop[b]!; // popularity breaks ties
      hCo += hit(sc, seen, s.test.items[r]!);
      hPop += hit(Float64Array.from(pop), seen, s.test.items[r]!);
    }
    const n = s.test.users.length;
    const random = K / nI;
    expect(hCo / n).toBeGreaterThan(3 * random);
    expect(hCo / n).toBeGreaterThan(1.3 * (hPop / n));
  });

  it('scales with typed arrays (a 200k-item catalogue)', () => {
    const { dataset: d } = generateDemo({ ...base, users: 500, items: 200_000, genres: 20 });
    expect(d.interactions.itemIds.size).toBe(200_000);
    expect(d.itemFeatures!.multiHot.genres!.bags.indptr).toHaveLength(200_001);
    expect(d.itemNames).toHaveLength(200_000);
  });
});
