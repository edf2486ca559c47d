import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Dataset, Interactions } from '@embrec/core';
import { makeTestContext } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { csvDataset } from '../src/datasets/csv/component.ts';
import { lightgcnDataset } from '../src/datasets/lightgcn/component.ts';
import { movielens100kDataset } from '../src/datasets/movielens-100k/component.ts';
import { movielensLatestDataset } from '../src/datasets/movielens-latest/component.ts';
import { parquetDataset } from '../src/datasets/parquet/component.ts';
import { leaveOneOutSplitter } from '../src/splitters/leave-one-out/component.ts';
import { temporalSplitter } from '../src/splitters/temporal/component.ts';
import { implicitTransform } from '../src/transforms/implicit/component.ts';
import { kCoreTransform } from '../src/transforms/k-core/component.ts';
import { dataRoot, hasData } from './helpers.ts';

interface FileStats {
  users: number;
  items: number;
  interactions: number;
}
const stats = hasData
  ? (JSON.parse(readFileSync(resolve(dataRoot, 'stats.json'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >)
  : {};

function distinct(a: Int32Array): number {
  return new Set(a).size;
}
function pairs(x: Interactions): Set<number> {
  const s = new Set<number>();
  for (let r = 0; r < x.users.length; r++) s.add(x.users[r]! * x.itemIds.size + x.items[r]!);
  return s;
}

async function load(
  def: { create: (p: never, d: never, c: never) => unknown; schema: { parse(x: unknown): unknown } },
  params: object,
): Promise<Dataset> {
  const ctx = makeTestContext();
  const comp = (await def.create(def.schema.parse(params) as never, {} as never, ctx as never)) as {
    load(c: unknown): Promise<Dataset>;
  };
  return comp.load(ctx);
}

describe.skipIf(!hasData)('LightGCN-format data sets match stats.json', () => {
  for (const name of ['gowalla', 'gowalla/lightgcnpp', 'ml-1m-lightgcnpp', 'lastfm-lightgcnpp']) {
    it(name, async () => {
      const st = stats[name] as {
        n_users: number;
        n_items: number;
        interactions_total: number;
        files: Record<string, FileStats>;
      };
      const d = await load(lightgcnDataset, { path: resolve(dataRoot, name) });
      expect(d.interactions.userIds.size).toBe(st.n_users);
      expect(d.interactions.itemIds.size).toBe(st.n_items);
      expect(d.interactions.users.length).toBe(st.interactions_total);
      const s = d.givenSplits!;
      for (const [part, fs] of Object.entries(st.files)) {
        const x = s[part as 'train' | 'valid' | 'test']!;
        expect(x, part).toBeDefined();
        expect(x.users.length, `${name} ${part} interactions`).toBe(fs.interactions);
        expect(distinct(x.users), `${name} ${part} users`).toBe(fs.users);
        expect(distinct(x.items), `${name} ${part} items`).toBe(fs.items);
      }
      expect(s.valid === undefined).toBe(st.files.valid === undefined);
      // no pair repeats across files
      expect(pairs(d.interactions).size).toBe(st.interactions_total);
    });
  }
});

describe.skipIf(!hasData)('MovieLens data sets match stats.json', () => {
  it('ml-100k: counts, ratings, genres, latin-1 titles, user features', async () => {
    const st = stats['ml-100k'] as {
      n_users: number;
      n_items: number;
      interactions_total: number;
      rating_counts: Record<string, number>;
    };
    const d = await load(movielens100kDataset, { path: resolve(dataRoot, 'ml-100k') });
    const x = d.interactions;
    expect(x.userIds.size).toBe(st.n_users);
    expect(x.itemIds.size).toBe(st.n_items);
    expect(x.users.length).toBe(st.interactions_total);
    const counts: Record<string, number> = {};
    for (const r of x.ratings!) counts[String(r)] = (counts[String(r)] ?? 0) + 1;
    expect(counts).toEqual(st.rating_counts);
    expect(x.timestamps!.every((t) => t > 8e8)).toBe(true);
    const g = d.itemFeatures!.multiHot.genres!;
    expect(g.vocab).toHaveLength(19);
    const toyStory = x.itemIds.get('1')!;
    expect(d.itemNames![toyStory]).toBe('Toy Story (1995)');
    const tsGenres = Array.from(
      g.bags.indices.subarray(g.bags.indptr[toyStory]!, g.bags.indptr[toyStory + 1]!),
      (k) => g.vocab[k],
    );
    expect(tsGenres).toEqual(['Animation', "Children's", 'Comedy']);
    expect(d.itemNames!.some((t) => t.includes('Misérables'))).toBe(true);
    const occ = d.userFeatures!.categorical.occupation!;
    expect(occ.vocab.length).toBe(21);
    expect(Array.from(occ.values).every((v) => v >= 0)).toBe(true);
    expect([...d.userFeatures!.categorical.gender!.vocab].sort()).toEqual(['F', 'M']);
  });

  it('ml-latest-small: CRLF, quoted titles, pipe genres', async () => {
    const st = stats['ml-latest-small'] as {
      n_users: number;
      n_items_rated: number;
      n_movies_in_movies_csv: number;
      interactions_total: number;
      rating_counts: Record<string, number>;
    };
    const d = await load(movielensLatestDataset, { path: resolve(dataRoot, 'ml-latest-small') });
    const x = d.interactions;
    expect(x.userIds.size).toBe(st.n_users);
    expect(x.itemIds.size).toBe(st.n_movies_in_movies_csv);
    expect(distinct(x.items)).toBe(st.n_items_rated);
    expect(x.users.length).toBe(st.interactions_total);
    let half = 0;
    for (const r of x.ratings!) if (r === 0.5) half++;
    expect(half).toBe(st.rating_counts['0.5']);
    const names = d.itemNames!;
    expect(names.some((t) => t.includes(','))).toBe(true);
    expect(names.every((t) => !t.endsWith('\r') && !t.startsWith('"'))).toBe(true);
    const g = d.itemFeatures!.multiHot.genres!;
    expect(g.vocab).toContain('Sci-Fi');
    expect(g.vocab).not.toContain('(no genres listed)');
  });
});

describe.skipIf(!hasData)('generic loaders agree with the MovieLens loader on ml-100k', () => {
  it('csv (tab, no header) and parquet (written to a temp file) give the same rows', async () => {
    const ml = (await load(movielens100kDataset, { path: resolve(dataRoot, 'ml-100k'), features: false }))
      .interactions;
    const csv = (
      await load(csvDataset, {
        path: resolve(dataRoot, 'ml-100k/u.data'),
        delimiter: 'tab',
        header: false,
        columns: { user: 0, item: 1, rating: 2, timestamp: 3 },
      })
    ).interactions;
    expect(csv.users.length).toBe(ml.users.length);
    expect(csv.userIds.toArray()).toEqual(ml.userIds.toArray());
    expect(csv.items).toEqual(ml.items);
    expect(csv.ratings).toEqual(ml.ratings);
    const pq = await import('parquet-wasm');
    const { tableFromArrays, tableToIPC } = await import('apache-arrow');
    const t = tableFromArrays({
      user: Array.from(ml.users, (u) => ml.userIds.external(u)),
      item: Int32Array.from(ml.items, (i) => Number(ml.itemIds.external(i))),
      rating: ml.ratings!,
      ts: ml.timestamps!,
    });
    const file = join(mkdtempSync(join(tmpdir(), 'embrec-pq-')), 'ml100k.parquet'); // temp only, never in the repo
    writeFileSync(file, pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(t, 'stream'))));
    const p = (
      await load(parquetDataset, {
        path: file,
        columns: { user: 'user', item: 'item', rating: 'rating', timestamp: 'ts' },
      })
    ).interactions;
    expect(p.users.length).toBe(100000);
    expect(p.itemIds.toArray()).toEqual(ml.itemIds.toArray());
    expect(p.ratings).toEqual(ml.ratings);
    expect(p.timestamps).toEqual(ml.timestamps);
  });
});

describe.skipIf(!hasData)('transforms and splitters on real data', () => {
  const ctx = makeTestContext();
  const make = <T>(
    def: { schema: { parse(x: unknown): unknown }; create: (...a: never[]) => unknown },
    p: object,
  ) => (def.create as (p: unknown, d: unknown, c: unknown) => T)(def.schema.parse(p), {}, ctx);
  it('ml-100k: implicit ≥ 4 keeps the 4- and 5-star ratings; leave-one-out holds one per user', async () => {
    const d = await load(movielens100kDataset, { path: resolve(dataRoot, 'ml-100k') });
    const imp = make<{ apply(d: Dataset, c: unknown): Dataset }>(implicitTransform, { threshold: 4 }).apply(
      d,
      ctx,
    );
    expect(imp.interactions.users.length).toBe(34174 + 21201);
    const s = make<{
      split(d: Dataset, c: unknown): { test: Interactions; valid?: Interactions; train: Interactions };
    }>(leaveOneOutSplitter, { valid: true }).split(d, ctx);
    expect(s.test.users.length).toBe(943);
    expect(s.valid!.users.length).toBe(943);
    expect(s.train.users.length).toBe(100000 - 2 * 943);
  });
  it('ml-latest-small: 10-core leaves users and items with ≥ 10 ratings; temporal train precedes test', async () => {
    const d = await load(movielensLatestDataset, { path: resolve(dataRoot, 'ml-latest-small') });
    const k = make<{ apply(d: Dataset, c: unknown): Dataset }>(kCoreTransform, {
      users: 10,
      items: 10,
    }).apply(d, ctx);
    const uc = new Int32Array(k.interactions.userIds.size);
    const ic = new Int32Array(k.interactions.itemIds.size);
    for (let r = 0; r < k.interactions.users.length; r++) {
      uc[k.interactions.users[r]!]!++;
      ic[k.interactions.items[r]!]!++;
    }
    expect(Math.min(...uc)).toBeGreaterThanOrEqual(10);
    expect(Math.min(...ic)).toBeGreaterThanOrEqual(10);
    expect(k.interactions.userIds.size).toBeGreaterThan(600);
    expect(k.interactions.itemIds.size).toBeLessThan(d.interactions.itemIds.size);
    expect(k.itemNames).toHaveLength(k.interactions.itemIds.size);
    const s = make<{ split(d: Dataset, c: unknown): { test: Interactions; train: Interactions } }>(
      temporalSplitter,
      {
        quantile: 0.9,
      },
    ).split(d, ctx);
    let maxTrain = 0;
    for (const t of s.train.timestamps!) maxTrain = Math.max(maxTrain, t);
    for (const t of s.test.timestamps!) expect(t).toBeGreaterThan(maxTrain);
    expect(s.test.users.length / d.interactions.users.length).toBeCloseTo(0.1, 2);
  });
});
