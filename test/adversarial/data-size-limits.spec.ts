import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureAllocatable, IdMap, LimitError, makeInteractions, Rng } from '@embrec/core';
import { makeTestContext } from '@embrec/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDemo } from '../../packages/data/src/datasets/demo/generate.ts';
import { FullEvaluator } from '../../packages/eval/src/evaluation/full.ts';
import { builtinMetric } from '../../packages/eval/src/evaluation/metrics.ts';
import { SampledEvaluator } from '../../packages/eval/src/evaluation/sampled.ts';
import { ExactIndex } from '../../packages/indexes/src/exact/exact.ts';
import { normalInit } from '../../packages/models/src/embedding/init.ts';
import { runCli } from '../helpers/cli.ts';

/**
 * Issue 10 item 8: `retrieve.k: 1e12` or an item ID of 2147483646 aborted V8 out of memory. Every
 * size that config or data implies is bounded before allocating: k against the items, IDs mapped
 * dense, big dense arrays against free memory; failures are LimitError (code E_LIMIT) with the
 * number and the limit. The CLI runs get a 1 GB heap cap, so the code before the fix crashes
 * quickly instead of taking the machine's memory.
 */

const root = mkdtempSync(join(tmpdir(), 'embrec-limits-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const capped = { NODE_OPTIONS: '--max-old-space-size=1024', MLFLOW_TRACKING_URI: '' };

function trialStatus(sweep: string): { status: string; error?: string; logs: string } {
  const dir = join(root, 'runs', sweep);
  const t = readdirSync(dir, { withFileTypes: true }).find(
    (e) => e.isDirectory() && existsSync(join(dir, e.name, 'status.json')),
  );
  expect(t, `a trial folder in ${dir}`).toBeDefined();
  const s = JSON.parse(readFileSync(join(dir, t!.name, 'status.json'), 'utf8')) as {
    status: string;
    error?: string;
  };
  return { ...s, logs: readFileSync(join(dir, t!.name, 'logs.txt'), 'utf8') };
}

describe('sizes from config are bounded', () => {
  it('retrieve.k: 1e12 fails the trial with the number and the limit, no crash', async () => {
    const file = join(root, 'bigk.yaml');
    writeFileSync(
      file,
      [
        'name: bigk',
        'dataset: { type: demo, users: 100, items: 150, genres: 3 }',
        'split: { type: random, ratio: 0.2 }',
        'model: { type: mf, dim: 8, train: { epochs: 1, batchSize: 128 } }',
        'loss: { type: infonce }',
        'sampler: { type: in-batch }',
        'index: { type: exact }',
        'retrieve: { k: 1000000000000 }',
        'evaluate: { type: full, ks: [10] }',
        '',
      ].join('\n'),
    );
    const r = await runCli(['run', file, '--output', join(root, 'runs')], { env: capped });
    expect(r.signal).toBeNull();
    expect(r.stderr).not.toMatch(/FATAL ERROR|heap out of memory/);
    const t = trialStatus('bigk');
    expect(t.status).toBe('FAILED');
    expect(t.error).toMatch(/k = 1000000000000 is more than the 150 indexed items/);
    expect(t.error).toMatch(/use k ≤ 150/);
  }, 120_000);

  it('an index search with k beyond the items is refused before allocating; a small overshoot still pads', async () => {
    const idx = new ExactIndex('ip', 1024);
    await idx.build({ ids: IdMap.range(5), dim: 2, vectors: new Float32Array(10).fill(1) });
    const q = new Float32Array([1, 0, 0, 1]);
    const err = (() => {
      try {
        idx.search(q, 1e12);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(LimitError);
    expect(err).toMatchObject({ code: 'E_LIMIT' });
    expect((err as Error).message).toMatch(/k = 1000000000000 is more than the 5 indexed items/);
    expect(idx.search(q, 8).k).toBe(8); // padding with -1, as the index contract says
  });

  it('evaluate.ks and negatives beyond the catalogue are errors, not allocations', async () => {
    const x = makeInteractions({
      userIds: IdMap.range(2),
      itemIds: IdMap.range(4),
      users: Int32Array.from([0, 1]),
      items: Int32Array.from([1, 2]),
    });
    const emb = { ids: IdMap.range(4), dim: 1, vectors: new Float32Array(4).fill(1) };
    const scorer = {
      kind: 'embeddings' as const,
      users: { ...emb, ids: IdMap.range(2), vectors: new Float32Array(2) },
      items: emb,
    };
    const input = { scorer, mask: [], target: x, train: x, ctx: makeTestContext() };
    const metrics = [builtinMetric('recall')];
    const full = new FullEvaluator({ ks: [1e12], metrics, batchSize: 16, aggregates: false });
    await expect(full.evaluate(input)).rejects.toThrow(/cutoff 1000000000000 .* more than the 4 items/);
    await expect(full.evaluate(input)).rejects.toBeInstanceOf(LimitError);
    const sampled = new SampledEvaluator({ ks: [2], metrics, negatives: 1e12, batchSize: 16 });
    await expect(sampled.evaluate(input)).rejects.toThrow(/1000000000000 negatives .* more than the 4 items/);
  });

  it('the demo generator and embedding tables check their size before allocating', () => {
    expect(() =>
      generateDemo({
        users: 1e12,
        items: 10,
        genres: 2,
        interactionsPerUser: 30,
        popularityExponent: 1,
        focus: 0.8,
        twoGenreProb: 0.5,
        brands: 2,
        seed: 0,
      }),
    ).toThrow(/demo: 1000000000000 users × 30 interactions: 30000000000000 values, more than/);
    expect(() => normalInit(250 * 1e8, 0.1, new Rng(1))).toThrow(LimitError);
    expect(() => normalInit(250 * 1e8, 0.1, new Rng(1))).toThrow(/embedding table .*lower model\.dim/);
  });

  it('a dense array larger than free memory is refused with both numbers', () => {
    expect(() => ensureAllocatable('scores', 1_000_000, 8, { free: 1_000_000 })).toThrow(
      /scores: needs 8\.0 MB, more than the 1\.0 MB of free memory/,
    );
    expect(() => ensureAllocatable('scores', 1000, 8, { free: 1_000_000 })).not.toThrow();
  });
});

describe('IDs from data are dense after mapping', () => {
  it('a LightGCN file with item 2147483646 loads as dense indices (logged), no crash', async () => {
    const dir = join(root, 'sparse-ids');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'train.txt'), '0 0 1 2147483646\n1 1 2 3\n2 0 2 3\n');
    writeFileSync(join(dir, 'test.txt'), '0 3\n1 0\n2 1\n');
    const file = join(root, 'sparse.yaml');
    writeFileSync(
      file,
      [
        'name: sparse',
        `dataset: { type: lightgcn, path: ${JSON.stringify(dir)}, valid: null }`,
        'split: { type: given }',
        'model: { type: mostpop }',
        'evaluate: { type: full, ks: [2] }',
        '',
      ].join('\n'),
    );
    const r = await runCli(['run', file, '--output', join(root, 'runs')], { env: capped });
    expect(r.signal).toBeNull();
    expect(r.stderr).not.toMatch(/FATAL ERROR|heap out of memory/);
    const t = trialStatus('sparse');
    expect(t.status, t.error).toBe('FINISHED');
    expect(t.logs).toMatch(
      /item IDs of .* go up to 2147483646 but only 5 occur: mapped to dense indices 0 … 4/,
    );
  }, 120_000);
});
