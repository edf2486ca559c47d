import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import type { CreateContext } from '@embrec/core';
import {
  ConfigError,
  coreVersion,
  IdMap,
  loadExperiment,
  makeInteractions,
  Registry,
  Rng,
  userCsr,
} from '@embrec/core';
import { createComponent, makeTestContext, makeTestCreateContext } from '@embrec/core/testing';
import dataPlugin from '@embrec/data';
import evalPlugin from '@embrec/eval';
import lossesPlugin, { infonceComponent } from '@embrec/losses';
import { ensureGradients } from '@embrec/native';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddingModel } from '../src/embedding/model.ts';
import { Tower, type TowerConfig } from '../src/embedding/tower.ts';
import modelsPlugin from '../src/index.ts';
import { readArrays } from '../src/training/checkpoint.ts';
import { BatchLookup } from '../src/training/lookup.ts';
import { ParamStore } from '../src/training/params.ts';
import { twoTowerComponent } from '../src/two-tower/component.ts';

beforeAll(async () => {
  await tf.ready();
  await ensureGradients();
});

/**
 * 6 users, 10 items. Training: u0 {0,1,2}, u1 {3,4}, u2 {5}, u3 {0,6}, u4 {7,8}; u5 has no training
 * item. Valid and test hold other items of the same users (8, 9 for u0), which must never enter a
 * history.
 */
function fixture() {
  const userIds = new IdMap(['u0', 'u1', 'u2', 'u3', 'u4', 'u5']);
  const itemIds = new IdMap(Array.from({ length: 10 }, (_, i) => `i${i}`));
  const make = (pairs: [number, number][]) =>
    makeInteractions({
      userIds,
      itemIds,
      users: Int32Array.from(pairs, (p) => p[0]),
      items: Int32Array.from(pairs, (p) => p[1]),
    });
  const trainPairs: [number, number][] = [
    [0, 0],
    [0, 1],
    [0, 2],
    [1, 3],
    [1, 4],
    [2, 5],
    [3, 0],
    [3, 6],
    [4, 7],
    [4, 8],
  ];
  const train = make(trainPairs);
  const valid = make([
    [0, 8],
    [1, 9],
    [5, 1],
  ]);
  const test = make([
    [0, 9],
    [2, 7],
    [5, 2],
  ]);
  const all = make([...trainPairs, [0, 8], [1, 9], [5, 1], [0, 9], [2, 7], [5, 2]]);
  return { dataset: { name: 'history-fixture', interactions: all }, splits: { train, valid, test } };
}

function contexts(seed: number) {
  const ctx = makeTestContext({ seed });
  const cctx = { ...makeTestCreateContext({ seed }), ...ctx } as CreateContext;
  return { ctx, cctx };
}

async function model(cctx: CreateContext, history: Record<string, unknown>): Promise<EmbeddingModel> {
  const loss = await createComponent(infonceComponent, { temperature: 0.2, logQ: true }, {}, cctx);
  return (await createComponent(
    twoTowerComponent,
    {
      dim: 4,
      featureDim: 4,
      hidden: [],
      normalize: false,
      user: { history },
      train: { epochs: 3, batchSize: 4, lr: 0.05, checkpoint: false },
    },
    { loss },
    cctx,
  )) as EmbeddingModel;
}

/** Item and user towers over fixture()'s ids (dim 4, ID embeddings only), the user tower with `history`. */
function historyTowers(history: NonNullable<TowerConfig['history']>, normalize: boolean, seed: number) {
  const fx = fixture();
  const store = new ParamStore();
  const rng = new Rng(seed);
  const cfg: TowerConfig = {
    dim: 4,
    idEmbedding: true,
    features: 'none',
    featureDim: 4,
    pooling: 'mean',
    hidden: [],
    activation: 'relu',
    layerNorm: false,
    normalize,
    initStd: 0.1,
  };
  const items = new Tower('item', 10, cfg, undefined, store, rng);
  const users = new Tower('user', 6, { ...cfg, history }, undefined, store, rng);
  const pool = users.attachHistory(userCsr(fx.splits.train), items, store, rng);
  return { store, users, pool };
}

describe('two-tower user history (SimpleX-style user tower)', () => {
  it('encodes g·e_u + (1 − g)·mean(training items): no valid or test item, empty history → e_u', async () => {
    const { ctx, cctx } = contexts(11);
    const fx = fixture();
    const m = await model(cctx, { weight: 0.3 });
    await m.fit({ dataset: fx.dataset, splits: fx.splits, ctx });
    const dir = mkdtempSync(join(tmpdir(), 'embrec-history-'));
    await m.save(dir);
    const w = readArrays(dir, 'weights');
    const e = w.get('user.id')!;
    const v = w.get('item.id')!;
    const out = w.get('export.users')!;
    const d = 4;
    const expected = (u: number, items: number[]) =>
      Array.from({ length: d }, (_, j) =>
        items.length === 0
          ? e[u * d + j]!
          : 0.3 * e[u * d + j]! + (0.7 / items.length) * items.reduce((s, i) => s + v[i * d + j]!, 0),
      );
    const row = (u: number) => Array.from(out.subarray(u * d, (u + 1) * d));
    const close = (a: number[], b: number[]) => a.every((x, j) => Math.abs(x - b[j]!) < 1e-5);
    expect(close(row(0), expected(0, [0, 1, 2]))).toBe(true);
    expect(close(row(3), expected(3, [0, 6]))).toBe(true);
    // u0's valid (8) and test (9) items are not in its history
    expect(close(row(0), expected(0, [0, 1, 2, 8, 9]))).toBe(false);
    // u5 has only valid/test items: no history, its vector is its ID embedding alone
    expect(close(row(5), expected(5, []))).toBe(true);
    expect(close(row(5), expected(5, [1, 2]))).toBe(false);
    m.dispose();
  });

  it('weight 1 trains exactly the model without the option', async () => {
    const fx = fixture();
    const run = async (history: Record<string, unknown> | undefined) => {
      const { ctx, cctx } = contexts(13);
      const loss = await createComponent(infonceComponent, { temperature: 0.2, logQ: true }, {}, cctx);
      const m = (await createComponent(
        twoTowerComponent,
        {
          dim: 4,
          hidden: [],
          normalize: false,
          ...(history ? { user: { history } } : {}),
          train: { epochs: 3, batchSize: 4, lr: 0.05, checkpoint: false },
        },
        { loss },
        cctx,
      )) as EmbeddingModel;
      await m.fit({ dataset: fx.dataset, splits: fx.splits, ctx });
      const s = m.scorer();
      if (s.kind !== 'embeddings') throw new Error('expected embeddings');
      const out = [...s.users.vectors, ...s.items.vectors];
      m.dispose();
      return out;
    };
    const off = await run(undefined);
    expect(await run({ weight: 1 })).toEqual(off);
    expect(await run({ weight: 0.5 })).not.toEqual(off);
  });

  it('attention pooling trains and its weights move (gradient reaches them)', async () => {
    const { ctx, cctx } = contexts(12);
    const fx = fixture();
    const m = await model(cctx, { aggregate: 'attention', weight: 0.5 });
    await m.fit({ dataset: fx.dataset, splits: fx.splits, ctx });
    const dir = mkdtempSync(join(tmpdir(), 'embrec-history-'));
    await m.save(dir);
    const a = readArrays(dir, 'weights').get('user.history.attn.a')!;
    expect(a.length).toBe(4);
    expect(a.some((x) => x !== 0)).toBe(true); // initialised at 0
    m.dispose();
  });

  for (const aggregate of ['mean', 'attention'] as const) {
    it(`sends the gradient to the history items' embeddings (${aggregate}); the training positive is left out`, () => {
      const { store, users } = historyTowers({ aggregate, weight: 0.5, maxItems: 0 }, true, 5);
      const lookup = new BatchLookup(true);
      try {
        // u0 with positive item 1 (left out of its history: 0 and 2 remain), u5 (empty history)
        const b = users.plan(Int32Array.from([0, 5]), lookup, { exclude: Int32Array.from([1, 3]) });
        lookup.materialize();
        const entry = lookup.entries().find((x) => x.table.name === 'item.id')!;
        expect([...entry.rows].sort()).toEqual([0, 2]);
        // a score against fixed directions (a plain sum of squares is constant under the L2 norm)
        const target = tf.tensor2d([0.3, -0.2, 0.5, 0.1, -0.4, 0.2, 0.1, 0.3], [2, 4]);
        const vars = [...lookup.variables(), ...store.denseParams().map((p) => p.variable)];
        const { grads, value } = tf.variableGrads(
          () => tf.sum(tf.mul(users.forward(b, lookup), target)),
          vars,
        );
        const gi = grads[entry.variable.name]!.arraySync() as number[][];
        for (const r of gi) expect(r.some((x) => Math.abs(x) > 1e-6)).toBe(true);
        if (aggregate === 'attention') {
          // a starts at 0 (attention = mean), so its gradient is the first to move the weights
          const aVar = store.denseParams().find((p) => p.name === 'user.history.attn.a')!.variable;
          const ga = grads[aVar.name]!.dataSync();
          expect(Array.from(ga).some((x) => Math.abs(x) > 1e-6)).toBe(true);
        }
        // the hand-written gradient equals central differences of the same function, for the item
        // rows and (attention) for a moved a and W
        const f = () => tf.tidy(() => tf.sum(tf.mul(users.forward(b, lookup), target)).dataSync()[0]!);
        const attn = store.denseParams().filter((p) => p.name.startsWith('user.history.attn.'));
        if (aggregate === 'attention')
          for (const p of attn)
            p.variable.assign(tf.tidy(() => tf.randomNormal(p.shape as number[], 0, 0.5, 'float32', 3)));
        const { grads: g2, value: v2 } = tf.variableGrads(
          () => tf.sum(tf.mul(users.forward(b, lookup), target)),
          vars,
        );
        for (const v of [entry.variable, ...(aggregate === 'attention' ? attn.map((p) => p.variable) : [])]) {
          const x = v.dataSync() as Float32Array;
          const analytic = g2[v.name]!.dataSync();
          for (let k = 0; k < Math.min(x.length, 8); k++) {
            const at = (delta: number) => {
              const y = Float32Array.from(x);
              y[k]! += delta;
              v.assign(tf.tensor(y, v.shape));
              return f();
            };
            const numeric = (at(1e-2) - at(-1e-2)) / 2e-2;
            v.assign(tf.tensor(x, v.shape));
            expect(Math.abs(numeric - analytic[k]!)).toBeLessThan(2e-3);
          }
        }
        v2.dispose();
        for (const g of Object.values(g2)) g.dispose();
        value.dispose();
        target.dispose();
        for (const g of Object.values(grads)) g.dispose();
      } finally {
        lookup.dispose();
        store.dispose();
      }
    });
  }

  it('draws maxItems history items per training step; encoding uses them all', () => {
    const { store, pool } = historyTowers({ aggregate: 'mean', weight: 0.5, maxItems: 2 }, false, 6);
    const train = pool.plan(Int32Array.from([0]), new BatchLookup(false), { rng: new Rng(1) });
    expect(train.starts[1]! - train.starts[0]!).toBe(2);
    const enc = pool.plan(Int32Array.from([0]), new BatchLookup(false));
    expect(enc.starts[1]! - enc.starts[0]!).toBe(3);
    store.dispose();
  });

  describe('config errors', () => {
    function registry(): Registry {
      const r = new Registry(coreVersion);
      for (const p of [dataPlugin, evalPlugin, modelsPlugin, lossesPlugin]) r.add(p);
      return r;
    }
    async function issues(model: string): Promise<string> {
      const dir = mkdtempSync(join(tmpdir(), 'embrec-history-cfg-'));
      const file = join(dir, 'exp.yaml');
      writeFileSync(
        file,
        [
          'name: bad',
          'dataset: { type: lightgcn, name: x, path: ./data }',
          'split: { type: given }',
          `model: ${model}`,
          'loss: { type: infonce }',
          'sampler: { type: in-batch }',
          'evaluate: { type: full, ks: [20], metrics: [recall] }',
          '',
        ].join('\n'),
      );
      try {
        await loadExperiment(file, { registry: registry(), env: {} });
      } catch (e) {
        if (e instanceof ConfigError) return e.format();
        throw e;
      }
      throw new Error(`model ${model} was accepted`);
    }

    it('accepts the option and leaves it off by default', async () => {
      const p = twoTowerComponent.schema.parse({});
      expect(p.user.history).toBeUndefined();
      const q = twoTowerComponent.schema.parse({ user: { history: {} } });
      expect(q.user.history).toEqual({ aggregate: 'mean', weight: 0.5, maxItems: 0 });
    });

    it('weight outside [0, 1]', async () => {
      const msg = await issues('{ type: two-tower, user: { history: { weight: 1.5 } } }');
      expect(msg).toMatch(/model\.user\.history\.weight/);
      expect(msg).toMatch(/<=\s*1|at most 1|too big/i);
    });

    it('an unknown aggregate or key', async () => {
      const a = await issues('{ type: two-tower, user: { history: { aggregate: max } } }');
      expect(a).toMatch(/model\.user\.history\.aggregate/);
      expect(a).toMatch(/mean.*attention/);
      const k = await issues('{ type: two-tower, user: { history: { wieght: 0.5 } } }');
      expect(k).toMatch(/wieght/);
    });

    it('history on the item tower is refused', async () => {
      const msg = await issues('{ type: two-tower, item: { history: {} } }');
      expect(msg).toMatch(/model\.item/);
      expect(msg).toMatch(/history/);
    });

    it('without an ID embedding on either side, or with ID embeddings of two widths', async () => {
      const u = await issues('{ type: two-tower, user: { idEmbedding: false, history: {} } }');
      expect(u).toMatch(/model\.user\.history/);
      expect(u).toMatch(/needs user\.idEmbedding: true/);
      const i = await issues('{ type: two-tower, item: { idEmbedding: false }, user: { history: {} } }');
      expect(i).toMatch(/needs item\.idEmbedding: true/);
      const w = await issues(
        '{ type: two-tower, dim: 32, featureDim: 64, hidden: [], item: { hidden: [16] }, user: { history: {} } }',
      );
      expect(w).toMatch(/found user 32 and item 64/);
    });
  });
});
