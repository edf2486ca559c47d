import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeIndexFixture } from '@embrec/core/testing';
import { addon, nativeAvailable } from '@embrec/native';
import hnswlib from 'hnswlib-node';
import { describe, expect, it } from 'vitest';
import { ExactIndex } from '../src/exact/exact.ts';
import { HnswIndex } from '../src/hnsw/hnsw.ts';
import { recallAtK } from '../src/tuning/recall.ts';

// hnswlib at a high efSearch (here efSearch = n, on a small graph) must return exact search's answer:
// the scores of the k results equal to the exact ones position by position (so ids up to ties).
describe('hnswlib at high efSearch against exact search', () => {
  for (const metric of ['ip', 'l2', 'cosine'] as const) {
    it(`${metric}: the same k scores as exact search (recall@20 ≥ 0.99, ties aside)`, async () => {
      const fx = makeIndexFixture(4000, 24, 100, 7);
      const k = 20;
      const exact = new ExactIndex(metric);
      await exact.build(fx.table);
      const hnsw = new HnswIndex(metric, { M: 16, efConstruction: 200, efSearch: 4000, seed: 3 });
      await hnsw.build(fx.table);
      const want = exact.search(fx.queries, k);
      const got = hnsw.search(fx.queries, k, { params: { efSearch: 4000 } });
      const nq = fx.queries.length / 24;
      // ids may differ only among tied scores: the score check below is the tie-tolerant one
      expect(recallAtK(got.ids, want.ids, nq, k)).toBeGreaterThanOrEqual(0.99);
      let same = 0;
      for (let i = 0; i < nq * k; i++) {
        const g = got.scores[i] as number;
        const w = want.scores[i] as number;
        expect(g).toBeLessThanOrEqual(w + 1e-4); // never better than exact
        if (Math.abs(g - w) <= 1e-4) same++;
      }
      // l2 / cosine: every position's score equals exact's. Inner product is not a metric: a few
      // items are unreachable in the graph even at efSearch = n (measured: 0.998 here), so ≥ 99 %.
      if (metric === 'ip') expect(same / (nq * k)).toBeGreaterThanOrEqual(0.99);
      else expect(same).toBe(nq * k);
      hnsw.dispose();
      exact.dispose();
    });
  }
});

describe.skipIf(!nativeAvailable() && process.env.CI !== 'true')('hnsw through @embrec/native', () => {
  it("is the backend in use, and its files are hnswlib-node's format (same neighbours both ways)", async () => {
    expect(typeof (addon() as Record<string, unknown>).hnswCreate).toBe('function');
    const fx = makeIndexFixture(1500, 16, 20, 5);
    const idx = new HnswIndex('l2', { M: 12, efConstruction: 100, efSearch: 200, seed: 2 });
    await idx.build(fx.table);
    const dir = mkdtempSync(join(tmpdir(), 'embrec-hnsw-compat-'));
    try {
      await idx.save(dir);
      const other = new hnswlib.HierarchicalNSW('l2', 16);
      other.readIndexSync(join(dir, 'index.hnsw'));
      other.setEf(200);
      const mine = idx.search(fx.queries, 10, { params: { efSearch: 200 }, threads: 2 });
      for (let q = 0; q < 20; q++) {
        const res = other.searchKnn(Array.from(fx.queries.subarray(q * 16, (q + 1) * 16)), 10);
        expect(res.neighbors).toEqual(Array.from(mine.ids.subarray(q * 10, q * 10 + 10)));
      }
      // and back: an index reloaded through the native binding answers the same
      const again = new HnswIndex('l2', { M: 12, efConstruction: 100, efSearch: 200, seed: 2 });
      await again.load(dir);
      expect(Array.from(again.search(fx.queries, 10, { params: { efSearch: 200 } }).ids)).toEqual(
        Array.from(mine.ids),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
