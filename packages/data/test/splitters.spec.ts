import {
  DataError,
  type Dataset,
  IdMap,
  type Interactions,
  makeInteractions,
  Rng,
  type Splits,
  UsageError,
} from '@embrec/core';
import { makeTestContext } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { concatInteractions } from '../src/common/builder.ts';
import { givenSplitter } from '../src/splitters/given/component.ts';
import { leaveKOutSplitter } from '../src/splitters/leave-k-out/component.ts';
import { leaveOneOutSplitter } from '../src/splitters/leave-one-out/component.ts';
import { randomSplitter } from '../src/splitters/random/component.ts';
import { temporalSplitter } from '../src/splitters/temporal/component.ts';
import { dedup } from '../src/transforms/dedup/component.ts';
import { randomInteractions, rowKeys } from './random-data.ts';

type Def = { schema: { parse(x: unknown): unknown }; create: (...a: never[]) => unknown };

function splitter(def: Def, params: object, seed = 42): (d: Dataset) => Splits {
  const ctx = makeTestContext({ seed });
  const c = (def.create as (p: unknown, d: unknown, c: unknown) => { split(d: Dataset, c: unknown): Splits })(
    def.schema.parse(params),
    {},
    ctx,
  );
  return (d) => c.split(d, ctx);
}

const ds = (x: Interactions): Dataset => ({ name: 't', interactions: x });

/**
 * Random sets are sometimes degenerate (no test user, or no test item in train): those are data
 * errors now (checks.ts). Returns undefined for them; `counts` tallies how many seeds were split.
 */
function trySplit(
  split: (d: Dataset) => Splits,
  x: Interactions,
  counts = { split: 0, degenerate: 0 },
): Splits | undefined {
  try {
    const s = split(ds(x));
    counts.split++;
    return s;
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    expect((e as Error).message).toMatch(/is empty \(no test user\)|none of the \d+ test items/);
    counts.degenerate++;
    return undefined;
  }
}

/** No (user, item) pair of a held-out part is also a training pair. */
function expectPairsApart(s: Splits): void {
  const key = (x: Interactions, r: number) => `${x.users[r]}/${x.items[r]}`;
  const train = new Set(Array.from(s.train.users, (_, r) => key(s.train, r)));
  for (const h of [s.test, ...(s.valid ? [s.valid] : [])])
    for (let r = 0; r < h.users.length; r++) expect(train.has(key(h, r))).toBe(false);
}

function parts(s: Splits): Interactions[] {
  return s.valid ? [s.train, s.valid, s.test] : [s.train, s.test];
}

/** Every interaction lands in exactly one part (a multiset partition of the rows). */
function expectPartition(x: Interactions, s: Splits): void {
  for (const p of parts(s)) {
    expect(p.userIds).toBe(x.userIds);
    expect(p.itemIds).toBe(x.itemIds);
  }
  expect(rowKeys(concatInteractions(parts(s)))).toEqual(rowKeys(x));
}

/** No held-out interaction (user, item, time) also sits in train as the same row. */
function perUser(x: Interactions): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let r = 0; r < x.users.length; r++) {
    const u = x.users[r]!;
    if (!m.has(u)) m.set(u, []);
    m.get(u)!.push(r);
  }
  return m;
}

const SEEDS = Array.from({ length: 40 }, (_, k) => k + 1);
const valids = {
  random: [false, true, { ratio: 0.3 }],
  'leave-k-out': [false, true, { k: 1 }],
  'leave-one-out': [false, true],
  temporal: [false, true, { quantile: 0.5 }, { at: 1020 }],
};
const defs: Record<keyof typeof valids, [Def, object]> = {
  random: [randomSplitter, { ratio: 0.25 }],
  'leave-k-out': [leaveKOutSplitter, { k: 3 }],
  'leave-one-out': [leaveOneOutSplitter, {}],
  temporal: [temporalSplitter, { quantile: 0.7 }],
};

describe('splitter properties on random interaction sets', () => {
  for (const [name, [def, params]] of Object.entries(defs)) {
    for (const valid of valids[name as keyof typeof valids]) {
      it(`${name} (valid: ${JSON.stringify(valid)}): a partition, reproducible from the seed`, () => {
        const counts = { split: 0, degenerate: 0 };
        for (const seed of SEEDS) {
          const x = randomInteractions(seed);
          // duplicates: keep splits every row, so the parts are a partition of the input
          const p = { ...params, valid, duplicates: 'keep' };
          const s = trySplit(splitter(def, p, seed), x, counts);
          if (!s) continue;
          expectPartition(x, s);
          expectPairsApart(s);
          // the default (collapse) too: one row per pair, and pairs apart
          const c = trySplit(splitter(def, { ...params, valid }, seed), x);
          if (c) {
            expectPartition(dedup(x, 'latest'), c);
            expectPairsApart(c);
          }
          expect(s.valid !== undefined).toBe(valid !== false);
          const again = splitter(def, p, seed)(ds(x));
          for (const [a, b] of parts(s).map((p, k) => [p, parts(again)[k]!] as const)) {
            expect(b.users).toEqual(a.users);
            expect(b.items).toEqual(a.items);
          }
        }
        expect(counts.split).toBeGreaterThan(SEEDS.length / 2);
      });
    }
  }

  it('temporal: train never contains the future (train ≤ cut < valid/test times)', () => {
    for (const seed of SEEDS) {
      const x = randomInteractions(seed);
      for (const p of [
        { quantile: 0.6 },
        { at: 1030 },
        { quantile: 0.8, valid: true },
        { quantile: 0.9, valid: { at: 1010 } },
      ]) {
        const s = trySplit(splitter(temporalSplitter, p), x);
        if (!s) continue;
        const maxTrain = Math.max(...s.train.timestamps!);
        const later = [s.test, ...(s.valid ? [s.valid] : [])];
        for (const h of later)
          if (h.users.length) expect(Math.min(...h.timestamps!)).toBeGreaterThan(maxTrain);
        if (s.valid?.users.length && s.test.users.length)
          expect(Math.min(...s.test.timestamps!)).toBeGreaterThan(Math.max(...s.valid.timestamps!));
        if ('at' in p && s.test.users.length) expect(Math.min(...s.test.timestamps!)).toBeGreaterThan(p.at);
      }
    }
  });

  it('leave-k-out by time: every held-out row is at least as late as every train row of the user', () => {
    for (const seed of SEEDS) {
      const x = randomInteractions(seed);
      const s = trySplit(splitter(leaveKOutSplitter, { k: 2, valid: true }), x);
      if (!s) continue;
      const tr = perUser(s.train);
      const te = perUser(s.test);
      const va = perUser(s.valid!);
      for (const [u, rows] of te) {
        const trainRows = tr.get(u) ?? [];
        expect(trainRows.length, 'a user keeps a train row').toBeGreaterThanOrEqual(1);
        expect(rows.length).toBeLessThanOrEqual(2);
        const minTest = Math.min(...rows.map((r) => s.test.timestamps![r]!));
        const vRows = va.get(u) ?? [];
        for (const r of [
          ...trainRows.map((r) => s.train.timestamps![r]!),
          ...vRows.map((r) => s.valid!.timestamps![r]!),
        ])
          expect(r).toBeLessThanOrEqual(minTest);
      }
    }
  });

  it('leave-one-out breaks timestamp ties by file order (the later row is the test row)', () => {
    const x = randomInteractions(3, { users: 1, items: 10, rows: 0 });
    const y = makeInteractions({
      ...x,
      userIds: new IdMap(['a', 'b']),
      users: Int32Array.from([0, 0, 0, 1, 1]),
      items: Int32Array.from([4, 7, 2, 2, 4]),
      timestamps: Float64Array.from([5, 9, 9, 1, 2]),
      ratings: undefined,
    });
    const s = splitter(leaveOneOutSplitter, { valid: true })(ds(y));
    expect(Array.from(s.test.items)).toEqual([2, 4]);
    expect(Array.from(s.valid!.items)).toEqual([7]);
    expect(Array.from(s.train.items)).toEqual([4, 2]);
  });

  it('random: each user holds out round(n · ratio) rows, keeping at least one', () => {
    for (const seed of SEEDS) {
      const x = randomInteractions(seed);
      const s = trySplit(splitter(randomSplitter, { ratio: 0.25 }), x);
      if (!s) continue;
      const all = perUser(dedup(x, 'latest')); // repeated pairs collapsed first (the default)
      const te = perUser(s.test);
      for (const [u, rows] of all)
        expect(te.get(u)?.length ?? 0).toBe(Math.min(Math.round(rows.length * 0.25), rows.length - 1));
    }
  });

  it('random: the seed matters', () => {
    const x = randomInteractions(5, { users: 5, items: 100, rows: 400 });
    const a = splitter(randomSplitter, {}, 1)(ds(x));
    const b = splitter(randomSplitter, {}, 2)(ds(x));
    expect(rowKeys(a.test)).not.toEqual(rowKeys(b.test));
  });

  it('order: time without timestamps is a UsageError; order: random works', () => {
    const x = randomInteractions(2);
    const y = makeInteractions({ ...x, timestamps: undefined });
    expect(() => splitter(leaveOneOutSplitter, {})(ds(y))).toThrow(UsageError);
    expect(() => splitter(temporalSplitter, {})(ds(y))).toThrow(/no timestamps/);
    expectPartition(y, splitter(leaveKOutSplitter, { k: 2, order: 'random', duplicates: 'keep' })(ds(y)));
  });

  it('given: keeps, merges or drops the given validation split; errors without given splits', () => {
    // one row per pair, so no given held-out pair is also a train pair
    const x = dedup(randomInteractions(9, { users: 6, items: 8, rows: 60 }), 'latest');
    const rng = new Rng(1);
    const part = Uint8Array.from(x.users, () => rng.int(3)); // each row in one part
    const mask = (p: number) => Uint8Array.from(part, (q) => (q === p ? 1 : 0));
    const sel = (m: Uint8Array) => {
      const rows = Int32Array.from(Array.from(m.keys()).filter((k) => m[k]));
      return makeInteractions({
        ...x,
        users: rows.map((r) => x.users[r]!),
        items: rows.map((r) => x.items[r]!),
        ratings: undefined,
        timestamps: undefined,
      });
    };
    const [m0, m1, m2] = [mask(0), mask(1), mask(2)];
    const given = { train: sel(m0), valid: sel(m1), test: sel(m2) };
    const d: Dataset = { name: 'g', interactions: x, givenSplits: given };
    expect(splitter(givenSplitter, {})(d)).toBe(given);
    const merged = splitter(givenSplitter, { valid: 'merge' })(d);
    expect(merged.valid).toBeUndefined();
    expect(merged.train.users.length).toBe(given.train.users.length + given.valid.users.length);
    expect(splitter(givenSplitter, { valid: 'drop' })(d).train).toBe(given.train);
    expect(() => splitter(givenSplitter, {})(ds(x))).toThrow(/ships no splits/);
  });

  it('schemas are strict', () => {
    expect(() => randomSplitter.schema.parse({ ratoi: 0.2 })).toThrow();
    expect(() => leaveKOutSplitter.schema.parse({ valid: { k: 0 } })).toThrow();
  });
});
