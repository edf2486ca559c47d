import { type Dataset, IdMap, type Interactions, makeInteractions } from '@embrec/core';
import { makeTestContext } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { generateDemo } from '../src/datasets/demo/generate.ts';
import { dedup, dedupTransform } from '../src/transforms/dedup/component.ts';
import { implicitTransform } from '../src/transforms/implicit/component.ts';
import { kCore, kCoreTransform } from '../src/transforms/k-core/component.ts';
import { randomInteractions } from './random-data.ts';

type Def = { schema: { parse(x: unknown): unknown }; create: (...a: never[]) => unknown };
function transform(def: Def, params: object): (d: Dataset) => Dataset {
  const ctx = makeTestContext();
  const c = (
    def.create as (p: unknown, d: unknown, c: unknown) => { apply(d: Dataset, c: unknown): Dataset }
  )(def.schema.parse(params), {}, ctx);
  return (d) => c.apply(d, ctx);
}

function tiny(rows: [string, string, number, number][]): Interactions {
  const u = new IdMap();
  const i = new IdMap();
  return makeInteractions({
    userIds: u,
    itemIds: i,
    users: Int32Array.from(rows, (r) => u.add(r[0])),
    items: Int32Array.from(rows, (r) => i.add(r[1])),
    ratings: Float32Array.from(rows, (r) => r[2]),
    timestamps: Float64Array.from(rows, (r) => r[3]),
  });
}

describe('implicit', () => {
  it('keeps rating ≥ threshold and drops the rating column', () => {
    const x = tiny([
      ['a', 'x', 5, 1],
      ['a', 'y', 3, 2],
      ['b', 'x', 4, 3],
      ['b', 'z', 1, 4],
    ]);
    const out = transform(implicitTransform, { threshold: 4 })({ name: 't', interactions: x }).interactions;
    expect(Array.from(out.items, (i) => out.itemIds.external(i))).toEqual(['x', 'x']);
    expect(out.ratings).toBeUndefined();
    expect(Array.from(out.timestamps!)).toEqual([1, 3]);
    const kept = transform(implicitTransform, { threshold: 3, keepRatings: true })({
      name: 't',
      interactions: x,
    }).interactions;
    expect(Array.from(kept.ratings!)).toEqual([5, 3, 4]);
  });
  it('applies to given splits too, and passes data without ratings through', () => {
    const x = tiny([
      ['a', 'x', 5, 1],
      ['a', 'y', 2, 2],
    ]);
    const d = transform(
      implicitTransform,
      {},
    )({ name: 't', interactions: x, givenSplits: { train: x, test: x } });
    expect(d.givenSplits!.train.users.length).toBe(1);
    expect(d.givenSplits!.test.users.length).toBe(1);
    const noRatings = makeInteractions({ ...x, ratings: undefined });
    expect(transform(implicitTransform, {})({ name: 't', interactions: noRatings }).interactions).toBe(
      noRatings,
    );
  });
});

describe('k-core', () => {
  it('property: every surviving user and item has ≥ k rows; exactly the rows of surviving users and items remain', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const x = randomInteractions(seed, { rows: 300 });
      const p = { users: 1 + (seed % 4), items: 1 + (seed % 3), maxIterations: 100 };
      const out = transform(kCoreTransform, p)({ name: 't', interactions: x }).interactions;
      const uc = new Int32Array(out.userIds.size);
      const ic = new Int32Array(out.itemIds.size);
      for (let r = 0; r < out.users.length; r++) {
        uc[out.users[r]!]!++;
        ic[out.items[r]!]!++;
      }
      expect(uc.every((c) => c >= p.users)).toBe(true);
      expect(ic.every((c) => c >= p.items)).toBe(true);
      // rows are exactly the original rows whose user and item survive (IDs compared externally)
      const { keepUsers, keepItems } = kCore(x, p);
      let expected = 0;
      for (let r = 0; r < x.users.length; r++)
        if (keepUsers[x.users[r]!] && keepItems[x.items[r]!]) expected++;
      expect(out.users.length).toBe(expected);
      for (let r = 0; r < out.users.length; r++) {
        const u = x.userIds.get(out.userIds.external(out.users[r]!))!;
        const i = x.itemIds.get(out.itemIds.external(out.items[r]!))!;
        expect(keepUsers[u] && keepItems[i]).toBe(1);
      }
    }
  });
  it('iterates: removing an item can push a user under the limit', () => {
    const x = tiny([
      ['a', 'x', 5, 1],
      ['a', 'y', 5, 1],
      ['b', 'x', 5, 1],
      ['b', 'y', 5, 1],
      ['c', 'x', 5, 1],
      ['c', 'z', 5, 1],
    ]);
    const out = transform(kCoreTransform, { users: 2, items: 2 })({
      name: 't',
      interactions: x,
    }).interactions;
    expect(out.userIds.toArray()).toEqual(['a', 'b']);
    expect(out.itemIds.toArray()).toEqual(['x', 'y']);
    expect(out.users.length).toBe(4);
  });
  it('carries features and item names through the compaction', () => {
    const { dataset } = generateDemo({
      users: 60,
      items: 200,
      genres: 4,
      interactionsPerUser: 8,
      popularityExponent: 1.2,
      focus: 0.8,
      twoGenreProb: 0.5,
      brands: 5,
      seed: 3,
    });
    const out = transform(kCoreTransform, { users: 5, items: 3 })(dataset);
    const ids = out.interactions.itemIds;
    expect(ids.size).toBeLessThan(200);
    for (let r = 0; r < ids.size; r++) {
      const old = dataset.interactions.itemIds.get(ids.external(r))!;
      expect(out.itemNames![r]).toBe(dataset.itemNames![old]);
      expect(out.itemFeatures!.numeric.price![r]).toBe(dataset.itemFeatures!.numeric.price![old]);
      const g = out.itemFeatures!.multiHot.genres!.bags;
      const g0 = dataset.itemFeatures!.multiHot.genres!.bags;
      expect(Array.from(g.indices.subarray(g.indptr[r]!, g.indptr[r + 1]!))).toEqual(
        Array.from(g0.indices.subarray(g0.indptr[old]!, g0.indptr[old + 1]!)),
      );
    }
    expect(out.userFeatures!.categorical.age!.values).toHaveLength(out.interactions.userIds.size);
  });
});

describe('dedup', () => {
  const x = tiny([
    ['a', 'x', 1, 10],
    ['a', 'x', 2, 30],
    ['a', 'x', 3, 20],
    ['b', 'x', 4, 5],
    ['a', 'y', 5, 1],
  ]);
  it('keeps the latest (by timestamp) or the first, in row order', () => {
    expect(Array.from(dedup(x, 'latest').ratings!)).toEqual([2, 4, 5]);
    expect(Array.from(dedup(x, 'first').ratings!)).toEqual([1, 4, 5]);
    const noTime = makeInteractions({ ...x, timestamps: undefined });
    expect(Array.from(dedup(noTime, 'latest').ratings!)).toEqual([3, 4, 5]);
    expect(Array.from(dedup(noTime, 'first').ratings!)).toEqual([1, 4, 5]);
  });
  it('property: no pair repeats afterwards and every pair survives', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = randomInteractions(seed);
      const out = transform(dedupTransform, {})({ name: 't', interactions: r }).interactions;
      const key = (y: Interactions, k: number) => `${y.users[k]}/${y.items[k]}`;
      const before = new Set(Array.from(r.users.keys(), (k) => key(r, k)));
      const after = Array.from(out.users.keys(), (k) => key(out, k));
      expect(new Set(after).size).toBe(after.length);
      expect(new Set(after)).toEqual(before);
    }
  });
});
