import {
  type Dataset,
  type Interactions,
  makeInteractions,
  Rng,
  type Splits,
  UsageError,
} from '@embrec/core';
import { makeTestContext } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { concatInteractions } from '../../src/data/common/builder.ts';
import { givenSplitter } from '../../src/data/splitters/given/component.ts';
import { leaveKOutSplitter } from '../../src/data/splitters/leave-k-out/component.ts';
import { leaveOneOutSplitter } from '../../src/data/splitters/leave-one-out/component.ts';
import { randomSplitter } from '../../src/data/splitters/random/component.ts';
import { temporalSplitter } from '../../src/data/splitters/temporal/component.ts';
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
        for (const seed of SEEDS) {
          const x = randomInteractions(seed);
          const s = splitter(def, { ...params, valid }, seed)(ds(x));
          expectPartition(x, s);
          expect(s.valid !== undefined).toBe(valid !== false);
          const again = splitter(def, { ...params, valid }, seed)(ds(x));
          for (const [a, b] of parts(s).map((p, k) => [p, parts(again)[k]!] as const)) {
            expect(b.users).toEqual(a.users);
            expect(b.items).toEqual(a.items);
          }
        }
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
        const s = splitter(temporalSplitter, p)(ds(x));
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
      const s = splitter(leaveKOutSplitter, { k: 2, valid: true })(ds(x));
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
      users: Int32Array.from([0, 0, 0]),
      items: Int32Array.from([4, 7, 2]),
      timestamps: Float64Array.from([5, 9, 9]),
      ratings: undefined,
    });
    const s = splitter(leaveOneOutSplitter, { valid: true })(ds(y));
    expect(Array.from(s.test.items)).toEqual([2]);
    expect(Array.from(s.valid!.items)).toEqual([7]);
    expect(Array.from(s.train.items)).toEqual([4]);
  });

  it('random: each user holds out round(n · ratio) rows, keeping at least one', () => {
    for (const seed of SEEDS) {
      const x = randomInteractions(seed);
      const s = splitter(randomSplitter, { ratio: 0.25 })(ds(x));
      const all = perUser(x);
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
    expectPartition(y, splitter(leaveKOutSplitter, { k: 2, order: 'random' })(ds(y)));
  });

  it('given: keeps, merges or drops the given validation split; errors without given splits', () => {
    const x = randomInteractions(9, { rows: 60 });
    const rng = new Rng(1);
    const mask = (p: number) => Uint8Array.from(x.users, () => (rng.int(3) === p ? 1 : 0));
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
