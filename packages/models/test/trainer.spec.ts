import { existsSync } from 'node:fs';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import type { CreateContext, MetricSet } from '@embrec/core';
import { IdMap, makeInteractions, Rng } from '@embrec/core';
import {
  createComponent,
  makeTestContext,
  makeTestCreateContext,
  tinyClusteredDataset,
} from '@embrec/core/testing';
import { inBatchSampler, infonceComponent } from '@embrec/losses';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddingModel } from '../src/embedding/model.ts';
import { mfComponent } from '../src/mf/component.ts';
import { learningRate, trainSchema } from '../src/training/schema.ts';
import { epochRows, rowsByUser } from '../src/training/trainer.ts';
import { twoTowerComponent } from '../src/two-tower/component.ts';

beforeAll(async () => {
  await tf.ready();
});

async function mf(ctx: CreateContext, train: Record<string, unknown>): Promise<EmbeddingModel> {
  const loss = await createComponent(infonceComponent, { temperature: 0.2 }, {}, ctx);
  const sampler = await createComponent(inBatchSampler, {}, {}, ctx);
  return (await createComponent(mfComponent, { dim: 8, train }, { loss, sampler }, ctx)) as EmbeddingModel;
}

function contexts(seed: number, checkpointFrom?: ReturnType<typeof makeTestContext>) {
  const base = makeTestContext({ seed });
  const ctx = checkpointFrom ? { ...base, checkpointDir: checkpointFrom.checkpointDir } : base;
  const cctx = { ...makeTestCreateContext({ seed }), ...ctx } as CreateContext;
  return { ctx, cctx, logged: base.logged };
}

function vectors(m: EmbeddingModel): number[] {
  const s = m.scorer();
  if (s.kind !== 'embeddings') throw new Error('expected embeddings');
  return [...s.users.vectors, ...s.items.vectors];
}

describe('trainer', () => {
  const fx = tinyClusteredDataset();

  it('resumes from the per-epoch checkpoint and ends where an uninterrupted run ends', async () => {
    const full = contexts(3);
    const a = await mf(full.cctx, { epochs: 4, batchSize: 16, lr: 0.05 });
    await a.fit({ dataset: fx.dataset, splits: fx.splits, ctx: full.ctx });

    // an interrupted run: 2 epochs written to the checkpoint, then a new process continues to 4
    const first = contexts(3);
    const b1 = await mf(first.cctx, { epochs: 2, batchSize: 16, lr: 0.05 });
    await b1.fit({ dataset: fx.dataset, splits: fx.splits, ctx: first.ctx });
    expect(existsSync(join(first.ctx.checkpointDir, 'trainer', 'state.json'))).toBe(true);
    const second = contexts(3, first.ctx);
    const b2 = await mf(second.cctx, { epochs: 4, batchSize: 16, lr: 0.05 });
    await b2.fit({ dataset: fx.dataset, splits: fx.splits, ctx: second.ctx });
    expect(b2.result?.epochs).toBe(4);
    // the epochs before the resume are logged again (the trial's history holds every epoch); only the
    // remaining ones ran: the vectors equal the uninterrupted run's
    expect(second.logged.map((l) => l.step)).toEqual([0, 1, 2, 3]);
    expect(second.logged.slice(0, 2)).toEqual(first.logged);
    expect(vectors(b2)).toEqual(vectors(a));
    for (const m of [a, b1, b2]) m.dispose();
  });

  it('stops early on the validation metric and restores the best epoch', async () => {
    const { ctx, cctx, logged } = contexts(4);
    const m = await mf(cctx, {
      epochs: 20,
      batchSize: 16,
      lr: 0.05,
      checkpoint: false,
      earlyStopping: { metric: 'NDCG@20', patience: 2 },
    });
    // a validation curve that peaks at the third call, then falls
    const curve = [0.1, 0.2, 0.3, 0.25, 0.2, 0.15, 0.1];
    let call = 0;
    let bestVectors: number[] = [];
    const validate = async (): Promise<MetricSet> => {
      const v = curve[call] ?? 0;
      if (call === 2) bestVectors = vectors(m);
      call++;
      return { protocol: 'full', values: { 'NDCG@20': v }, users: new Int32Array(0), perUser: {} };
    };
    await m.fit({ dataset: fx.dataset, splits: fx.splits, ctx, validate });
    expect(call).toBe(5); // best at 3, two worse epochs, stop
    expect(m.result?.bestEpoch).toBe(2);
    expect(logged.map((l) => l.values['NDCG@20'])).toEqual([0.1, 0.2, 0.3, 0.25, 0.2]);
    expect(vectors(m)).toEqual(bestVectors);
    m.dispose();
  });

  it('names a missing early-stopping metric', async () => {
    const { ctx, cctx } = contexts(5);
    const m = await mf(cctx, { epochs: 2, checkpoint: false, earlyStopping: { metric: 'Recall@50' } });
    const validate = async (): Promise<MetricSet> => ({
      protocol: 'full',
      values: { 'NDCG@20': 0.1 },
      users: new Int32Array(0),
      perUser: {},
    });
    await expect(m.fit({ dataset: fx.dataset, splits: fx.splits, ctx, validate })).rejects.toThrow(
      /earlyStopping.metric "Recall@50".*NDCG@20/,
    );
    m.dispose();
  });

  it('refuses a negatives loss without a sampler', async () => {
    const { ctx, cctx } = contexts(6);
    const { bprComponent } = await import('@embrec/losses');
    const loss = await createComponent(bprComponent, {}, {}, cctx);
    const m = await createComponent(mfComponent, { dim: 4, train: { epochs: 1 } }, { loss }, cctx);
    await expect(m.fit({ dataset: fx.dataset, splits: fx.splits, ctx })).rejects.toThrow(
      /needs explicit negatives/,
    );
    m.dispose?.();
  });

  it('encodes a cold-start user from an item list, close to users with the same taste', async () => {
    const { ctx, cctx } = contexts(7);
    const loss = await createComponent(infonceComponent, { temperature: 0.2 }, {}, cctx);
    const m = (await createComponent(
      twoTowerComponent,
      {
        dim: 8,
        featureDim: 8,
        hidden: [16],
        train: { epochs: 8, batchSize: 32, lr: 0.02, checkpoint: false },
      },
      { loss },
      cctx,
    )) as EmbeddingModel;
    await m.fit({ dataset: fx.dataset, splits: fx.splits, ctx });
    const s = m.scorer();
    if (s.kind !== 'embeddings') throw new Error('expected embeddings');
    // a new user who liked three items of group 1, given by external ID
    const cold = m.encodeColdUsers([['i1', 'i5', 'i9'], Int32Array.from([2, 6, 10]), []]);
    const d = s.items.dim;
    const score = (row: number, item: number) => {
      let x = 0;
      for (let j = 0; j < d; j++) x += cold[row * d + j]! * s.items.vectors[item * d + j]!;
      return x;
    };
    let inG = 0;
    let outG = 0;
    for (let i = 0; i < s.items.ids.size; i++) {
      if (fx.group(i) === 1) inG += score(0, i);
      else outG += score(0, i) / 3;
    }
    expect(inG).toBeGreaterThan(outG);
    expect(Array.from(cold.subarray(2 * d, 3 * d)).every((x) => x === 0)).toBe(true);
    m.dispose();
  });

  it('follows the learning-rate schedules', () => {
    const cfg = trainSchema.parse({ epochs: 10, lr: 1, schedule: { type: 'cosine', warmupSteps: 10 } });
    expect(learningRate(cfg, 0, 10)).toBeCloseTo(0.1, 6);
    expect(learningRate(cfg, 50, 10)).toBeCloseTo(0.5, 6);
    expect(learningRate(cfg, 100, 10)).toBeCloseTo(0, 6);
    const step = trainSchema.parse({
      epochs: 10,
      lr: 1,
      schedule: { type: 'step', stepEpochs: 2, gamma: 0.5 },
    });
    expect(learningRate(step, 19, 10)).toBe(1);
    expect(learningRate(step, 20, 10)).toBe(0.5);
    expect(learningRate(step, 45, 10)).toBe(0.25);
  });

  it('sampling: users draws users uniformly whatever their number of rows (rows: every row once)', () => {
    // user 0 has 90 rows, user 1 has 10, user 2 none
    const users = Int32Array.from({ length: 100 }, (_, i) => (i < 90 ? 0 : 1));
    const items = Int32Array.from({ length: 100 }, (_, i) => i % 7);
    const data = makeInteractions({ userIds: IdMap.range(3), itemIds: IdMap.range(7), users, items });
    const rows = epochRows(100, undefined, new Rng(1));
    expect([...rows].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const byUser = rowsByUser(data);
    expect(Array.from(byUser.users)).toEqual([0, 1]);
    const perUser = [0, 0, 0];
    const perRow = new Int32Array(100);
    for (let e = 0; e < 200; e++)
      for (const r of epochRows(100, byUser, new Rng(e))) {
        perUser[users[r]!]!++;
        perRow[r]!++;
      }
    expect(perUser[0]! / 20000).toBeCloseTo(0.5, 1);
    expect(perUser[1]! / 20000).toBeCloseTo(0.5, 1);
    // within a user, rows uniform: user 1's 10 rows each ≈ 1000 draws, user 0's 90 rows ≈ 111
    expect(Math.min(...perRow.subarray(90))).toBeGreaterThan(800);
    expect(Math.max(...perRow.subarray(0, 90))).toBeLessThan(200);
  });

  it('accepts sampling users and refuses an unknown value', () => {
    expect(trainSchema.parse({ sampling: 'users' }).sampling).toBe('users');
    expect(trainSchema.parse({}).sampling).toBe('rows');
    expect(trainSchema.safeParse({ sampling: 'edges' }).success).toBe(false);
  });

  it('optimizerPrecision: float64 by default, float32 for Adam only (a clear error for Adagrad)', () => {
    expect(trainSchema.parse({}).optimizerPrecision).toBe('float64');
    expect(trainSchema.parse({ optimizerPrecision: 'float32' }).optimizerPrecision).toBe('float32');
    const bad = trainSchema.safeParse({ optimizer: 'adagrad', optimizerPrecision: 'float32' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['optimizerPrecision']);
    expect(bad.error?.issues[0]?.message).toMatch(
      /float32 needs optimizer: adam \(Adagrad always updates in float64\)/,
    );
    expect(trainSchema.safeParse({ optimizerPrecision: 'float16' }).success).toBe(false);
  });

  it('trains with float32 Adam: other bits than float64, the same fit', async () => {
    const fx = tinyClusteredDataset();
    const fit = async (optimizerPrecision: string) => {
      const { ctx, cctx } = contexts(5);
      const m = await mf(cctx, { epochs: 3, batchSize: 16, lr: 0.05, checkpoint: false, optimizerPrecision });
      await m.fit({ dataset: fx.dataset, splits: fx.splits, ctx });
      return vectors(m);
    };
    const a = await fit('float32');
    const b = await fit('float64');
    expect(a).not.toEqual(b);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-3);
  });
});
