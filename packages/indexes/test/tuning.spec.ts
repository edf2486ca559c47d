import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError } from '@embrec/core';
import { makeIndexFixture } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { ExactIndex } from '../src/exact/exact.ts';
import { HnswIndex } from '../src/hnsw/hnsw.ts';
import { loadEmbeddings, npyBytes, readNpyTable } from '../src/io/embeddings.ts';
import { autoTune } from '../src/tuning/autotune.ts';
import { paretoFront } from '../src/tuning/pareto.ts';
import { writeSweepPlot } from '../src/tuning/plot.ts';
import { percentile, recallAtK } from '../src/tuning/recall.ts';
import { crossParams, type SweepRow, sweepIndex } from '../src/tuning/sweep.ts';

const row = (recall: number, qps: number, extra: Partial<SweepRow> = {}): SweepRow => ({
  index: 'x',
  params: {},
  k: 10,
  batch: 1,
  threads: 1,
  recall,
  qps,
  p50Ms: 1,
  p99Ms: 2,
  buildMs: 0,
  memoryBytes: 0,
  ...extra,
});

describe('recallAtK / percentile', () => {
  it('counts the share of the exact top-k found, ignoring padding and duplicates', () => {
    const exact = Int32Array.from([1, 2, 3, 4, 5, 6]);
    const approx = Int32Array.from([3, 1, 9, 6, 6, -1]);
    expect(recallAtK(approx, exact, 2, 3)).toBeCloseTo(3 / 6);
    expect(recallAtK(exact, exact, 2, 3)).toBe(1);
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([1, 2], 99)).toBeCloseTo(1.99);
  });
});

describe('paretoFront', () => {
  it('keeps the rows no other row of the same mode beats on both recall and speed', () => {
    const rows = [
      row(0.5, 1000),
      row(0.8, 500),
      row(0.7, 400),
      row(0.95, 100),
      row(0.9, 50),
      row(0.6, 900, { batch: 256 }),
    ];
    const front = paretoFront(rows);
    expect(front.filter((r) => r.batch === 1).map((r) => r.recall)).toEqual([0.5, 0.8, 0.95]);
    expect(front.filter((r) => r.batch === 256)).toHaveLength(1);
  });
});

describe('autoTune', () => {
  it('picks the fastest measured row reaching the target in the requested mode', async () => {
    const rows = [row(0.96, 300), row(0.97, 400), row(0.9, 2000), row(0.99, 5000, { batch: 256 })];
    const r = await autoTune(rows, 0.95, { batch: 1 });
    expect(r.best?.qps).toBe(400);
    const none = await autoTune(rows, 0.999, { batch: 1 });
    expect(none.best).toBeUndefined();
    expect(none.maxRecall).toBe(0.97);
    await expect(autoTune(rows, 1.5)).rejects.toThrow(/target recall/);
  });

  it('binary-searches an effort parameter with few measurements', async () => {
    const values = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];
    const measured: number[] = [];
    const measure = async (v: number) => {
      measured.push(v);
      return row(1 - 1 / (1 + v / 4), 10_000 / v, { params: { nprobe: v } }); // recall 0.95 at v = 76
    };
    const r = await autoTune({ measure, values }, 0.95);
    expect(r.best?.params.nprobe).toBe(128);
    expect(measured.length).toBeLessThan(values.length);
  });
});

describe('sweepIndex', () => {
  it('measures recall against exact and speed for every setting and mode, and plots it', async () => {
    const fx = makeIndexFixture(800, 16, 30, 3);
    const rows = await sweepIndex({
      table: fx.table,
      queries: fx.queries,
      k: 10,
      minTime: 0.01,
      batchSizes: [1, 8],
      threads: [1],
      grid: [
        { name: 'exact', index: () => new ExactIndex('ip') },
        {
          name: 'hnsw',
          index: () => new HnswIndex('ip', { M: 8, efConstruction: 40, efSearch: 10, seed: 1 }),
          params: { efSearch: [10, 200] },
        },
      ],
    });
    expect(rows).toHaveLength(2 + 2 * 2);
    for (const r of rows.filter((x) => x.index === 'exact')) expect(r.recall).toBe(1);
    const h = rows.filter((x) => x.index === 'hnsw' && x.batch === 1);
    expect(h[1]?.recall as number).toBeGreaterThanOrEqual(h[0]?.recall as number);
    expect(h[1]?.recall as number).toBeGreaterThan(0.9);
    for (const r of rows) {
      expect(r.qps).toBeGreaterThan(0);
      expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
    }
    expect(crossParams({ a: [1, 2], b: [3, 4] })).toHaveLength(4);

    const dir = mkdtempSync(join(tmpdir(), 'embrec-plot-'));
    const out = await writeSweepPlot(rows, join(dir, 'sweep'));
    expect(readFileSync(out.svg, 'utf8')).toContain('recall@10');
    expect(statSync(out.png).size).toBeGreaterThan(1000);
    const byParam = await writeSweepPlot(rows, join(dir, 'recall-vs-ef'), { xParam: 'efSearch' });
    expect(readFileSync(byParam.svg, 'utf8')).toContain('efSearch');
  });
});

describe('loadEmbeddings', () => {
  const fx = makeIndexFixture(20, 4, 1, 1);

  it('reads .npy files and rejects malformed ones with the file and field named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embrec-npy-'));
    writeFileSync(join(dir, 'x.npy'), npyBytes(fx.table.vectors, 20, 4));
    const t = await readNpyTable(join(dir, 'x.npy'));
    expect(t.dim).toBe(4);
    expect(Array.from(t.vectors)).toEqual(Array.from(fx.table.vectors));
    writeFileSync(join(dir, 'bad.npy'), Buffer.from('hello world, not numpy'));
    await expect(readNpyTable(join(dir, 'bad.npy'))).rejects.toThrow(DataError);
    const f64 = Buffer.from(npyBytes(fx.table.vectors, 20, 4))
      .toString('latin1')
      .replace('<f4', '<f8');
    writeFileSync(join(dir, 'f64.npy'), Buffer.from(f64, 'latin1'));
    await expect(readNpyTable(join(dir, 'f64.npy'))).rejects.toThrow(/descr/);
  });

  it('reads a run folder and finds the latest run of an experiment file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'embrec-run-'));
    const emb = join(root, 'runs', 'ex', 'trial-1', 'artifacts', 'embeddings');
    mkdirSync(emb, { recursive: true });
    const v = fx.table.vectors;
    writeFileSync(join(emb, 'items.f32'), new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    writeFileSync(join(emb, 'items.ids.json'), JSON.stringify(fx.table.ids.toJSON()));
    writeFileSync(join(emb, 'items.meta.json'), JSON.stringify({ dim: 4, count: 20 }));
    writeFileSync(join(emb, 'users.f32'), new Uint8Array(v.buffer, 0, 3 * 4 * 4));
    writeFileSync(join(emb, 'users.meta.json'), JSON.stringify({ dim: 4, count: 3 }));
    writeFileSync(join(root, 'ex.yaml'), 'name: ex\noutput: runs\n');
    const a = await loadEmbeddings(join(root, 'runs', 'ex', 'trial-1'));
    expect(a.items.ids.external(5)).toBe('item-5');
    expect(a.users?.ids.size).toBe(3);
    const b = await loadEmbeddings(join(root, 'ex.yaml'));
    expect(b.source).toBe(emb);
    writeFileSync(join(emb, 'items.ids.json'), JSON.stringify(['a', 'b']));
    await expect(loadEmbeddings(emb)).rejects.toThrow(/items.ids.json: expected 20 ids/);
    expect(existsSync(join(root, 'nothing'))).toBe(false);
    await expect(loadEmbeddings(join(root, 'nothing'))).rejects.toThrow(/no such file/);
  });
});
