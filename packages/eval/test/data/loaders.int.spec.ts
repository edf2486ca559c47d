import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Dataset, Interactions } from '@embrec/core';
import { makeTestContext } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { lightgcnDataset } from '../../src/data/datasets/lightgcn/component.ts';
import { movielens100kDataset } from '../../src/data/datasets/movielens-100k/component.ts';
import { movielensLatestDataset } from '../../src/data/datasets/movielens-latest/component.ts';
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
