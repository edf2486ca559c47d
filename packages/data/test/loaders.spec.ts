import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { DataError, type Dataset, IdMap } from '@embrec/core';
import { makeTestContext } from '@embrec/core/testing';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InteractionsBuilder } from '../src/common/builder.ts';
import { resolveSource, sha256File } from '../src/common/source.ts';
import { loadInteractions, loadSplits, saveInteractions, saveSplits } from '../src/common/store.ts';
import { splitCsvLine } from '../src/common/text.ts';
import { readZip } from '../src/common/zip.ts';
import { csvDataset } from '../src/datasets/csv/component.ts';
import { lightgcnDataset } from '../src/datasets/lightgcn/component.ts';
import { movielens1mDataset } from '../src/datasets/movielens-1m/component.ts';
import { movielens100kDataset } from '../src/datasets/movielens-100k/component.ts';
import { movielensLatestDataset } from '../src/datasets/movielens-latest/component.ts';
import { parquetDataset } from '../src/datasets/parquet/component.ts';

type Def = { schema: { parse(x: unknown): unknown }; create: (...a: never[]) => unknown };
async function load(def: Def, dir: string, params: object): Promise<Dataset> {
  const ctx = makeTestContext({ configDir: dir });
  const c = (await (def.create as (p: unknown, d: unknown, c: unknown) => unknown)(
    def.schema.parse(params),
    {},
    ctx,
  )) as {
    load(c: unknown): Promise<Dataset>;
  };
  return c.load(ctx);
}
function tmp(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'embrec-data-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}
const ext = (ids: IdMap, a: Int32Array) => Array.from(a, (i) => ids.external(i));

/** A minimal zip writer (deflate) for the reader and download tests. */
function makeZip(files: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = deflateRawSync(Buffer.from(text));
    const nameB = Buffer.from(name);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(8, 8);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(text.length, 22);
    lh.writeUInt16LE(nameB.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(8, 10);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(text.length, 24);
    ch.writeUInt16LE(nameB.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, nameB, data);
    central.push(ch, nameB);
    offset += 30 + nameB.length + data.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(Object.keys(files).length, 8);
  eocd.writeUInt16LE(Object.keys(files).length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

describe('interactions builder and store', () => {
  it('builds from external IDs and round-trips through a folder with its ID maps', () => {
    const b = new InteractionsBuilder({ columns: { ratings: true, timestamps: true } });
    for (let k = 0; k < 3000; k++)
      b.add(`user-${k % 7}`, `item-${(k * 13) % 101}`, { rating: k % 5, timestamp: 1e9 + k });
    const x = b.build();
    expect(x.users.length).toBe(3000);
    expect(x.userIds.size).toBe(7);
    const dir = join(mkdtempSync(join(tmpdir(), 'embrec-store-')), 'x');
    saveInteractions(x, dir);
    const y = loadInteractions(dir);
    expect(y.users).toEqual(x.users);
    expect(y.items).toEqual(x.items);
    expect(y.ratings).toEqual(x.ratings);
    expect(y.timestamps).toEqual(x.timestamps);
    expect(y.weights).toBeUndefined();
    expect(y.userIds.toArray()).toEqual(x.userIds.toArray());
    expect(ext(y.itemIds, y.items.subarray(0, 3))).toEqual(['item-0', 'item-13', 'item-26']);
  });
});

describe('splits store', () => {
  it('round-trips train/valid/test and restores shared ID maps', () => {
    const u = new IdMap(['a', 'b']);
    const i = new IdMap(['x', 'y', 'z']);
    const part = (items: number[]) => buildRows(u, i, items);
    const s = { train: part([0, 1]), valid: part([2]), test: part([1]) };
    const dir = mkdtempSync(join(tmpdir(), 'embrec-splits-'));
    saveSplits(s, dir);
    const back = loadSplits(dir);
    expect(back.test.itemIds).toBe(back.train.itemIds);
    expect(back.valid!.userIds).toBe(back.train.userIds);
    expect(Array.from(back.valid!.items)).toEqual([2]);
    saveInteractions(part([0]), join(dir, 'test'));
    writeFileSync(join(dir, 'test', 'item-ids.json'), JSON.stringify(['x', 'y', 'w']));
    expect(() => loadSplits(dir)).toThrow(/item-ids\.json: expected the same item IDs as train/);
  });
});

function buildRows(u: IdMap, i: IdMap, items: number[]) {
  const b = new InteractionsBuilder({ userIds: u, itemIds: i });
  for (const it of items) b.addIndex(it % 2, it);
  return b.build();
}

describe('text helpers', () => {
  it('splits CSV with quotes, doubled quotes and custom delimiters', () => {
    expect(splitCsvLine('1,"American President, The (1995)",Comedy|Drama', ',')).toEqual([
      '1',
      'American President, The (1995)',
      'Comedy|Drama',
    ]);
    expect(splitCsvLine('"a ""b"" c",,x', ',')).toEqual(['a "b" c', '', 'x']);
    expect(splitCsvLine('a::b::c', '::')).toEqual(['a', 'b', 'c']);
    expect(splitCsvLine('"open,x', ',')).toBeUndefined();
  });
  it('reads a zip (deflated entries)', () => {
    const z = readZip(makeZip({ 'ml/u.data': '1\t2\t3\t4\n', 'ml/README': 'hi' }));
    expect(Buffer.from(z.get('ml/u.data')!).toString()).toBe('1\t2\t3\t4\n');
    expect(() => readZip(Buffer.from('not a zip'))).toThrow(DataError);
  });
});

describe('MovieLens loaders on tiny synthetic files', () => {
  it('movielens-100k: tab ratings, latin-1 titles with 19 flags, user features', async () => {
    const flags = (on: number[]) => Array.from({ length: 19 }, (_, g) => (on.includes(g) ? 1 : 0)).join('|');
    const dir = tmp({
      'u.data': '2\t20\t5\t881250949\n1\t10\t3\t881250950\n',
      'u.item': Buffer.from(
        `10|Les Mis\xe9rables (1995)|01-Jan-1995||http://x|${flags([8])}\n20|Toy Story (1995)|01-Jan-1995||http://y|${flags([3, 4, 5])}\n`,
        'latin1',
      ),
      'u.user': '1|24|M|technician|85711\n2|53|F|other|94043\n',
    });
    const d = await load(movielens100kDataset, dir, { path: '.' });
    const x = d.interactions;
    expect(ext(x.userIds, x.users)).toEqual(['2', '1']);
    expect(ext(x.itemIds, x.items)).toEqual(['20', '10']);
    expect(Array.from(x.ratings!)).toEqual([5, 3]);
    expect(d.itemNames).toEqual(['Les Misérables (1995)', 'Toy Story (1995)']);
    const g = d.itemFeatures!.multiHot.genres!;
    expect(Array.from(g.bags.indices)).toEqual([8, 3, 4, 5]);
    expect(g.vocab[8]).toBe('Drama');
    expect(d.itemFeatures!.numeric.year![0]).toBe(1995);
    const uf = d.userFeatures!.categorical;
    expect(uf.gender!.vocab[uf.gender!.values[x.userIds.get('2')!]!]).toBe('F');
    expect(uf.age!.vocab[uf.age!.values[x.userIds.get('1')!]!]).toBe('18-24');
  });

  it('movielens-1m: "::" files, genres and users', async () => {
    const dir = tmp({
      'ml-1m/ratings.dat': '1::1193::5::978300760\n2::661::3::978302109\n',
      'ml-1m/movies.dat': Buffer.from(
        "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::James and the Giant Peach (1996)::Animation|Children's|Musical\n",
        'latin1',
      ),
      'ml-1m/users.dat': '1::F::1::10::48067\n2::M::56::16::70072\n',
    });
    const d = await load(movielens1mDataset, dir, { path: '.' });
    expect(d.interactions.users.length).toBe(2);
    expect(d.itemNames![d.interactions.itemIds.get('661')!]).toBe('James and the Giant Peach (1996)');
    expect(d.itemFeatures!.multiHot.genres!.vocab).toEqual(['Drama', 'Animation', "Children's", 'Musical']);
    const age = d.userFeatures!.categorical.age!;
    expect(age.vocab[age.values[d.interactions.userIds.get('2')!]!]).toBe('56+');
  });

  it('movielens-latest: CRLF, quoted titles with commas, (no genres listed)', async () => {
    const dir = tmp({
      'ratings.csv': 'userId,movieId,rating,timestamp\r\n1,11,4.5,964982703\r\n1,12,0.5,964981247\r\n',
      'movies.csv':
        'movieId,title,genres\r\n11,"American President, The (1995)",Comedy|Drama|Romance\r\n12,Unknown Film,(no genres listed)\r\n13,Never Rated,Drama\r\n',
    });
    const d = await load(movielensLatestDataset, dir, { path: '.' });
    expect(d.interactions.itemIds.size).toBe(3);
    expect(Array.from(d.interactions.ratings!)).toEqual([4.5, 0.5]);
    expect(d.itemNames).toEqual(['American President, The (1995)', 'Unknown Film', 'Never Rated']);
    const g = d.itemFeatures!.multiHot.genres!.bags;
    expect(g.indptr[2]! - g.indptr[1]!).toBe(0);
  });
});

describe('generic loaders', () => {
  it('csv: header names, quoting, optional columns', async () => {
    const dir = tmp({ 'a.csv': 'ts,who,what,stars\n5,"u,1",i1,4\n6,u2,i1,2\n' });
    const d = await load(csvDataset, dir, {
      path: 'a.csv',
      columns: { user: 'who', item: 'what', rating: 'stars', timestamp: 'ts' },
    });
    expect(d.interactions.userIds.toArray()).toEqual(['u,1', 'u2']);
    expect(Array.from(d.interactions.timestamps!)).toEqual([5, 6]);
    expect(d.interactions.weights).toBeUndefined();
  });
  it('csv: TSV without header by column index', async () => {
    const dir = tmp({ 'a.tsv': 'x\t1\t7\ny\t2\t8\n' });
    const d = await load(csvDataset, dir, {
      path: 'a.tsv',
      delimiter: 'tab',
      header: false,
      columns: { user: 1, item: 0, weight: 2 },
    });
    expect(d.interactions.userIds.toArray()).toEqual(['1', '2']);
    expect(Array.from(d.interactions.weights!)).toEqual([7, 8]);
  });
  it('lightgcn: n_items over all files, given splits share ID maps', async () => {
    const dir = tmp({ 'train.txt': '0 1 2\n1 0\n', 'valid.txt': '1 5\n', 'test.txt': '0 3\n2 4\n' });
    const d = await load(lightgcnDataset, dir, { path: '.' });
    expect(d.interactions.userIds.size).toBe(3);
    expect(d.interactions.itemIds.size).toBe(6);
    const s = d.givenSplits!;
    expect(Array.from(s.train.items)).toEqual([1, 2, 0]);
    expect(Array.from(s.valid!.users)).toEqual([1]);
    expect(Array.from(s.test.items)).toEqual([3, 4]);
    expect(s.test.itemIds).toBe(s.train.itemIds);
    const noValid = await load(lightgcnDataset, tmp({ 'train.txt': '0 1\n', 'test.txt': '0 2\n' }), {
      path: '.',
    });
    expect(noValid.givenSplits!.valid).toBeUndefined();
  });
  it('parquet: string and integer IDs, numeric columns of any width', async () => {
    const pq = await import('parquet-wasm');
    const t = tableFromArrays({
      u: ['a', 'b', 'a'],
      i: Int32Array.from([10, 20, 20]),
      r: Float64Array.from([4, 5, 3]),
      t: BigInt64Array.from([1n, 2n, 3n]),
    });
    const dir = tmp({ 'x.parquet': pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(t, 'stream'))) });
    const d = await load(parquetDataset, dir, {
      path: 'x.parquet',
      columns: { user: 'u', item: 'i', rating: 'r', timestamp: 't' },
    });
    const x = d.interactions;
    expect(ext(x.userIds, x.users)).toEqual(['a', 'b', 'a']);
    expect(ext(x.itemIds, x.items)).toEqual(['10', '20', '20']);
    expect(Array.from(x.ratings!)).toEqual([4, 5, 3]);
    expect(Array.from(x.timestamps!)).toEqual([1, 2, 3]);
  });
});

describe('sources: url + sha256 into the cache', () => {
  let server: ReturnType<typeof createServer>;
  let base = '';
  const zip = makeZip({ 'ml-100k/u.data': '1\t10\t4\t881250949\n2\t10\t5\t881250950\n' });
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ml-100k.zip') res.end(zip);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('downloads, checks the SHA-256, extracts the zip and loads from the cache', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'embrec-cache-'));
    process.env.EMBREC_CACHE = cache;
    try {
      const wrong = await load(movielens100kDataset, cache, {
        url: `${base}/ml-100k.zip`,
        sha256: '0'.repeat(64),
      }).catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(DataError);
      expect((wrong as Error).message).toMatch(/expected SHA-256 0{64}, found [0-9a-f]{64}/);
      const sum = sha256File(join(cache, 'downloads', 'ml-100k.zip'));
      const d = await load(movielens100kDataset, cache, {
        url: `${base}/ml-100k.zip`,
        sha256: sum,
        features: false,
      });
      expect(d.interactions.users.length).toBe(2);
      expect(d.provenance!.sha256).toBe(sum);
    } finally {
      delete process.env.EMBREC_CACHE;
    }
  });

  it('without network, the error names the URL and where to put the file', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'embrec-cache-'));
    process.env.EMBREC_CACHE = cache;
    try {
      const ctx = makeTestContext();
      const e = await resolveSource('movielens-1m', { url: 'http://127.0.0.1:9/ml-1m.zip' }, ctx).catch(
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(DataError);
      expect((e as Error).message).toContain('could not download http://127.0.0.1:9/ml-1m.zip');
      expect((e as Error).message).toContain(`put it at ${join(cache, 'downloads', 'ml-1m.zip')}`);
    } finally {
      delete process.env.EMBREC_CACHE;
    }
  });

  it('a missing path is a DataError naming it', async () => {
    const e = await resolveSource('csv', { path: 'nope.csv' }, makeTestContext({ configDir: '/tmp' })).catch(
      (x: unknown) => x,
    );
    expect((e as Error).message).toContain('path "nope.csv" does not exist');
  });
});
