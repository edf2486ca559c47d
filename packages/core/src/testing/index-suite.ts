import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import type { IndexComponent, QueryItemLists } from '../plugin/kinds.ts';
import { IdMap } from '../types/ids.ts';
import type { EmbeddingTable } from '../types/values.ts';
import { Rng } from '../util/rng.ts';
import { makeTestContext } from './context.ts';

/** Options of the index conformance suite. */
export interface DescribeIndexOptions {
  /** The metric the index was configured with (the reference scores with it). Default `ip`. */
  readonly metric?: 'ip' | 'cosine' | 'l2';
  /** Minimum recall@k against exact search, tolerant of tied scores. Default 0.9. */
  readonly minRecall?: number;
  /** Search parameters passed on every call (nprobe, efSearch). */
  readonly params?: Readonly<Record<string, number>>;
  /** Fixture size (items, dimension, queries). Defaults 1500 × 16, 40 queries. */
  readonly items?: number;
  readonly dim?: number;
  readonly queries?: number;
  /** Are reported scores the metric's exact scores? False for lossy codes without refinement (PQ). */
  readonly exactScores?: boolean;
  /** Catalogue size of the "k exceeds the catalogue" case (default 30; PQ training needs ≥ 256). */
  readonly smallItems?: number;
}

/**
 * The conformance suite every index plugin runs (FAISS-contrib style: recall against exact search,
 * tolerating ties). `make` returns a fresh, unbuilt index each time. Checks: recall@10 and @50 against
 * an obvious exact reference on a clustered fixture with varied norms and duplicated vectors (ties);
 * result shape, order and padding; save / load round trip; exclusion and allow-lists (including
 * queries that exclude most of the catalogue) against exact filtered top-k; bad dimensions, k and
 * lists rejected with a UsageError.
 */
export function describeIndex(
  name: string,
  make: () => IndexComponent | Promise<IndexComponent>,
  opts: DescribeIndexOptions = {},
): void {
  const metric = opts.metric ?? 'ip';
  const minRecall = opts.minRecall ?? 0.9;
  const n = opts.items ?? 1500;
  const dim = opts.dim ?? 16;
  const nq = opts.queries ?? 40;
  const fx = makeIndexFixture(n, dim, nq, 7);
  const params = opts.params ?? {};

  const built = async (): Promise<IndexComponent> => {
    const index = await make();
    await index.build(fx.table, makeTestContext());
    return index;
  };

  describe(`index conformance: ${name}`, () => {
    it('finds the exact top-k (recall@10, @50 tolerant of ties) with sorted, well-formed results', async () => {
      const index = await built();
      for (const k of [10, 50]) {
        const res = index.search(fx.queries, k, { params });
        expect(res.k).toBe(k);
        expect(res.ids.length).toBe(nq * k);
        expect(res.scores.length).toBe(nq * k);
        const rec = recallTolerant(res.ids, k, fx, metric);
        expect(rec, `recall@${k}`).toBeGreaterThanOrEqual(minRecall);
        for (let q = 0; q < nq; q++) {
          const row = Array.from(res.ids.subarray(q * k, (q + 1) * k));
          expect(new Set(row).size, 'no duplicate ids in a row').toBe(k);
          for (const id of row) expect(id >= 0 && id < n).toBe(true);
          for (let j = 1; j < k; j++) {
            expect(res.scores[q * k + j] as number).toBeLessThanOrEqual(
              (res.scores[q * k + j - 1] as number) + 1e-4,
            );
          }
          // reported scores are the metric's scores of the returned items
          const id0 = row[0] as number;
          if (opts.exactScores !== false) {
            expect(res.scores[q * k] as number).toBeCloseTo(exactScore(fx, q, id0, metric), 2);
          }
        }
      }
      const stats = index.stats();
      expect(stats.size).toBe(n);
      expect(stats.dim).toBe(dim);
      expect(stats.memoryBytes).toBeGreaterThan(0);
      expect(index.ids().size).toBe(n);
      expect(index.ids().external(3)).toBe(fx.table.ids.external(3));
      index.dispose();
    });

    it('pads with -1 when k exceeds the catalogue', async () => {
      const ns = opts.smallItems ?? 30;
      const kk = ns + 10;
      const small = makeIndexFixture(ns, dim, 3, 11);
      const index = await make();
      await index.build(small.table);
      const res = index.search(small.queries, kk, { params });
      for (let q = 0; q < 3; q++) {
        const row = Array.from(res.ids.subarray(q * kk, (q + 1) * kk));
        const found = row.filter((x) => x >= 0).length;
        // an exact index returns every item; an approximate one at least some (IVF may probe few lists)
        expect(found, 'items returned').toBeGreaterThanOrEqual(minRecall >= 1 ? ns : 1);
        expect(new Set(row.filter((x) => x >= 0)).size, 'no duplicates').toBe(found);
        const firstPad = row.indexOf(-1);
        expect(firstPad, 'padding present').toBeGreaterThanOrEqual(0);
        expect(row.slice(firstPad).every((x) => x === -1)).toBe(true);
        expect(res.scores[q * kk + kk - 1]).toBe(Number.NEGATIVE_INFINITY);
      }
      index.dispose();
    });

    it('save / load round trip gives the same results and ID map', async () => {
      const index = await built();
      const dir = `${makeTestContext().artifactsDir}/index`;
      await index.save(dir);
      await index.save(dir); // overwriting an existing index is atomic and allowed
      const again = await make();
      await again.load(dir);
      const a = index.search(fx.queries, 20, { params });
      const b = again.search(fx.queries, 20, { params });
      expect(Array.from(b.ids)).toEqual(Array.from(a.ids));
      for (let i = 0; i < a.scores.length; i++) expect(b.scores[i]).toBeCloseTo(a.scores[i] as number, 4);
      expect(again.ids().toJSON()).toEqual(index.ids().toJSON());
      expect(again.stats().size).toBe(n);
      index.dispose();
      again.dispose();
    });

    it('exclusion lists: never returns excluded items, refills to k, matches exact filtered top-k', async () => {
      const index = await built();
      const rng = new Rng(99);
      const k = 20;
      // query 0 sees all but 5 items; query 1 all but k + 3; the others a random share (0–60 %)
      const lists: number[][] = [];
      for (let q = 0; q < nq; q++) {
        const keep = q === 0 ? 5 : q === 1 ? k + 3 : n - Math.floor(rng.next() * 0.6 * n);
        const perm = shuffle(n, rng);
        lists.push(perm.slice(keep));
      }
      // query 2 excludes exactly its own exact top-50 (the refill must dig past them)
      lists[2] = exactTop(fx, 2, 50, metric, () => true);
      const exclude = toLists(lists);
      const res = index.search(fx.queries, k, { exclude, params });
      let hit = 0;
      let total = 0;
      for (let q = 0; q < nq; q++) {
        const ex = new Set(lists[q]);
        const row = Array.from(res.ids.subarray(q * k, (q + 1) * k));
        const valid = row.filter((x) => x >= 0);
        for (const id of valid) expect(ex.has(id), `query ${q} returned excluded item ${id}`).toBe(false);
        expect(valid.length, `query ${q} gets min(k, items left)`).toBe(Math.min(k, n - ex.size));
        const ref = exactTop(fx, q, k, metric, (i) => !ex.has(i));
        const kth = exactScore(fx, q, ref[ref.length - 1] as number, metric);
        for (const id of valid) if (exactScore(fx, q, id, metric) >= kth - 1e-4) hit++;
        total += ref.length;
        if (q === 0) expect(valid.sort((a, b) => a - b)).toEqual([...ref].sort((a, b) => a - b));
      }
      expect(hit / total, 'filtered recall').toBeGreaterThanOrEqual(minRecall);
      index.dispose();
    });

    it('allow-lists: returns only allowed items, the exact filtered top-k for small lists', async () => {
      const index = await built();
      const rng = new Rng(5);
      const k = 10;
      const lists: number[][] = [];
      for (let q = 0; q < nq; q++) {
        const size = q % 3 === 0 ? 8 : q % 3 === 1 ? 60 : Math.floor(n / 2);
        lists.push(shuffle(n, rng).slice(0, size));
      }
      const allow = toLists(lists);
      const exclude = toLists(lists.map((l) => l.slice(0, 2))); // both at once: exclude wins
      const res = index.search(fx.queries, k, { allow, exclude, params });
      let hit = 0;
      let total = 0;
      for (let q = 0; q < nq; q++) {
        const al = new Set((lists[q] as number[]).slice(2));
        const row = Array.from(res.ids.subarray(q * k, (q + 1) * k)).filter((x) => x >= 0);
        for (const id of row) expect(al.has(id), `query ${q} returned ${id}, not allowed`).toBe(true);
        expect(row.length).toBe(Math.min(k, al.size));
        const ref = exactTop(fx, q, k, metric, (i) => al.has(i));
        if (al.size <= 60) expect([...row].sort((a, b) => a - b)).toEqual([...ref].sort((a, b) => a - b));
        const kth = exactScore(fx, q, ref[ref.length - 1] as number, metric);
        for (const id of row) if (exactScore(fx, q, id, metric) >= kth - 1e-4) hit++;
        total += ref.length;
      }
      expect(hit / total).toBeGreaterThanOrEqual(minRecall);
      index.dispose();
    });

    it('rejects bad dimensions, k and lists with a clear UsageError', async () => {
      const fresh = await make();
      expect(() => fresh.search(fx.queries, 10)).toThrow(UsageError);
      const index = await built();
      const bad = new Float32Array(dim + 1);
      expect(() => index.search(bad, 10)).toThrow(UsageError);
      expect(() => index.search(bad, 10)).toThrow(new RegExp(String(dim)));
      expect(() => index.search(new Float32Array(0), 10)).toThrow(UsageError);
      const one = fx.queries.subarray(0, dim);
      expect(() => index.search(one, 0)).toThrow(UsageError);
      expect(() => index.search(one, 2.5)).toThrow(/k must be an integer/);
      expect(() => index.search(one, -1)).toThrow(UsageError);
      const wrongRows = { indptr: new Int32Array([0, 1, 2]), indices: new Int32Array([1, 2]) };
      expect(() => index.search(one, 5, { exclude: wrongRows })).toThrow(UsageError);
      const outOfRange = { indptr: new Int32Array([0, 1]), indices: new Int32Array([n + 5]) };
      expect(() => index.search(one, 5, { allow: outOfRange })).toThrow(/outside/);
      const wrongTable: EmbeddingTable = { ids: IdMap.range(3), dim, vectors: new Float32Array(dim * 2) };
      await expect((await make()).build(wrongTable)).rejects.toThrow(UsageError);
      index.dispose();
    });
  });
}

// ------------------------------------------------------------------------------------------------
// Fixture and reference

export interface IndexFixture {
  readonly table: EmbeddingTable;
  readonly queries: Float32Array;
  readonly nq: number;
}

/**
 * A clustered table with log-normal norms (unnormalised: inner product differs from cosine) and
 * every 50th item duplicated from its neighbour, so tied scores occur; queries from the same mixture.
 */
export function makeIndexFixture(n: number, dim: number, nq: number, seed: number): IndexFixture {
  const rng = new Rng(seed);
  const nc = Math.max(2, Math.round(Math.sqrt(n) / 2));
  const centers = Float32Array.from({ length: nc * dim }, () => rng.normal());
  const sample = (count: number): Float32Array => {
    const out = new Float32Array(count * dim);
    for (let i = 0; i < count; i++) {
      const c = rng.int(nc);
      const scale = Math.exp(0.3 * rng.normal());
      for (let j = 0; j < dim; j++) {
        out[i * dim + j] = ((centers[c * dim + j] as number) + 0.6 * rng.normal()) * scale;
      }
    }
    return out;
  };
  const vectors = sample(n);
  for (let i = 50; i < n; i += 50) vectors.copyWithin(i * dim, (i - 1) * dim, i * dim);
  const ids = new IdMap(Array.from({ length: n }, (_, i) => `item-${i}`));
  return { table: { ids, dim, vectors }, queries: sample(nq), nq };
}

function exactScore(fx: IndexFixture, q: number, item: number, metric: 'ip' | 'cosine' | 'l2'): number {
  const { dim, vectors } = fx.table;
  let d = 0;
  let nx = 0;
  let nqq = 0;
  for (let j = 0; j < dim; j++) {
    const a = fx.queries[q * dim + j] as number;
    const b = vectors[item * dim + j] as number;
    d += a * b;
    nx += b * b;
    nqq += a * a;
  }
  if (metric === 'ip') return d;
  if (metric === 'cosine') return d / Math.sqrt(nx * nqq || 1);
  return -(nx - 2 * d + nqq);
}

function exactTop(
  fx: IndexFixture,
  q: number,
  k: number,
  metric: 'ip' | 'cosine' | 'l2',
  ok: (i: number) => boolean,
): number[] {
  const all: [number, number][] = [];
  for (let i = 0; i < fx.table.ids.size; i++) if (ok(i)) all.push([exactScore(fx, q, i, metric), i]);
  all.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  return all.slice(0, k).map((x) => x[1]);
}

/** Recall@k where a returned item counts when its exact score reaches the k-th exact score (ties). */
function recallTolerant(
  ids: Int32Array,
  k: number,
  fx: IndexFixture,
  metric: 'ip' | 'cosine' | 'l2',
): number {
  let hit = 0;
  for (let q = 0; q < fx.nq; q++) {
    const ref = exactTop(fx, q, k, metric, () => true);
    const kth = exactScore(fx, q, ref[k - 1] as number, metric);
    for (let j = 0; j < k; j++) {
      const id = ids[q * k + j] as number;
      if (id >= 0 && exactScore(fx, q, id, metric) >= kth - 1e-4 * Math.max(1, Math.abs(kth))) hit++;
    }
  }
  return hit / (fx.nq * k);
}

function shuffle(n: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
  return a;
}

function toLists(lists: readonly (readonly number[])[]): QueryItemLists {
  const indptr = new Int32Array(lists.length + 1);
  lists.forEach((l, q) => {
    indptr[q + 1] = (indptr[q] as number) + l.length;
  });
  return { indptr, indices: Int32Array.from(lists.flat()) };
}
