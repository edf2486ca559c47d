import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '@embrec/core';
import { makeIndexFixture } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.ts';
import { createIndex, parseGrid, parseIndexSpec, specName } from '../src/tuning/specs.ts';
import { runAutoTuneTool, runSweepTool } from '../src/tuning/tool.ts';

/** A run folder as the runner writes it, plus an experiment file pointing at it. */
function fakeRun(): { root: string; yaml: string; emb: string } {
  const root = mkdtempSync(join(tmpdir(), 'embrec-tool-'));
  const fx = makeIndexFixture(600, 8, 60, 21);
  const emb = join(root, 'runs', 'ex3', 'trial-0', 'artifacts', 'embeddings');
  mkdirSync(emb, { recursive: true });
  const w = (name: string, v: Float32Array, ids: readonly string[]) => {
    writeFileSync(join(emb, `${name}.f32`), new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    writeFileSync(join(emb, `${name}.ids.json`), JSON.stringify(ids));
    writeFileSync(join(emb, `${name}.meta.json`), JSON.stringify({ dim: 8, count: ids.length }));
  };
  w('items', fx.table.vectors, fx.table.ids.toJSON());
  w(
    'users',
    fx.queries,
    Array.from({ length: 60 }, (_, i) => `u${i}`),
  );
  const yaml = join(root, 'ex3.yaml');
  writeFileSync(
    yaml,
    'name: ex3\noutput: runs\nindex: { type: hnsw, M: 8, efConstruction: 40 }\nretrieve: { k: 20 }\n',
  );
  return { root, yaml, emb };
}

describe('index specs', () => {
  it('parses shorthand and mapping specs and rejects bad ones', async () => {
    expect(parseIndexSpec('exact')).toEqual({ type: 'exact' });
    expect(parseIndexSpec('faiss:IVF64,PQ8x4fs')).toEqual({ type: 'faiss', factory: 'IVF64,PQ8x4fs' });
    expect(parseIndexSpec('hnsw:M=8;efConstruction=40')).toEqual({ type: 'hnsw', M: 8, efConstruction: 40 });
    expect(parseIndexSpec('{type: hnsw, M: 4}')).toEqual({ type: 'hnsw', M: 4 });
    expect(specName({ type: 'hnsw', M: 4 })).toBe('hnsw M=4');
    expect(parseGrid(['nprobe=1,4,16'])).toEqual({ nprobe: [1, 4, 16] });
    expect(() => parseGrid(['nprobe=a'])).toThrow(UsageError);
    await expect(createIndex({ type: 'hnws' })).rejects.toThrow(/unknown index type "hnws".*exact/i);
    await expect(createIndex({ type: 'hnsw', M: 'x' })).rejects.toThrow(/M/);
    expect(plugin.components.map((c) => c.type)).toEqual(expect.arrayContaining(['exact', 'hnsw']));
  });
});

describe('runSweepTool / runAutoTuneTool', () => {
  it("sweeps an experiment's latest run (its index block, user queries) and writes table and plots", async () => {
    const { root, yaml } = fakeRun();
    const out = join(root, 'sweep-out');
    const res = await runSweepTool({ input: yaml, out, minTime: 0.01, batchSizes: [1, 16], threads: [1] });
    expect(res.queriesFrom).toBe('users');
    expect(new Set(res.rows.map((r) => r.index))).toEqual(new Set(['exact', 'hnsw M=8 efConstruction=40']));
    expect(res.rows[0]?.k).toBe(20);
    for (const f of Object.values(res.files)) expect(existsSync(f)).toBe(true);
    expect(readFileSync(res.files.md, 'utf8')).toContain('Pareto');
    const hnswRecalls = res.rows
      .filter((r) => r.index.startsWith('hnsw') && r.batch === 1)
      .map((r) => r.recall);
    expect(Math.max(...hnswRecalls)).toBeGreaterThan(0.9);

    const tuned = await runAutoTuneTool({
      input: yaml,
      target: 0.9,
      minTime: 0.01,
      threads: [1],
      batchSizes: [1],
      indexes: ['hnsw:M=8;efConstruction=40'],
    });
    expect(tuned.best).toBeDefined();
    expect(tuned.best?.recall as number).toBeGreaterThanOrEqual(0.9);
    const fromFile = await runAutoTuneTool({
      input: yaml,
      target: 0.9,
      from: res.files.json,
      batchSizes: [1],
      threads: [1],
    });
    expect(fromFile.best?.recall as number).toBeGreaterThanOrEqual(0.9);
    const impossible = await runAutoTuneTool({
      input: yaml,
      target: 1,
      from: res.files.json,
      batchSizes: [16],
      threads: [1],
    });
    expect(impossible.best?.index).toBe('exact'); // only exact search reaches recall 1 for sure
  });
});
