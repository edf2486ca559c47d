import '@tensorflow/tfjs-backend-cpu';
import type { CreateContext } from '@embrec/core';
import { IdMap, makeInteractions, Rng } from '@embrec/core';
import { createComponent, makeTestContext, makeTestCreateContext } from '@embrec/core/testing';
import { infonceComponent } from '@embrec/losses';
import { ensureGradients } from '@embrec/native';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddingModel } from '../src/embedding/model.ts';
import { Tower, type TowerConfig } from '../src/embedding/tower.ts';
import { BatchLookup } from '../src/training/lookup.ts';
import { ParamStore } from '../src/training/params.ts';
import { twoTowerComponent, twoTowerSchema } from '../src/two-tower/component.ts';

beforeAll(async () => {
  await tf.ready();
  await ensureGradients();
});

const cfg: TowerConfig = {
  dim: 8,
  idEmbedding: true,
  features: 'none',
  featureDim: 8,
  pooling: 'mean',
  hidden: [],
  activation: 'relu',
  layerNorm: false,
  normalize: false,
  initStd: 0.1,
};

describe('two-tower input dropout', () => {
  it('masks the ID embedding in training steps only, scaling kept values by 1/(1 − rate)', () => {
    const store = new ParamStore();
    const tower = new Tower('user', 50, { ...cfg, dropout: 0.25 }, undefined, store, new Rng(1));
    const ids = Int32Array.from({ length: 50 }, (_, i) => i);
    const lookup = new BatchLookup(false);
    const batch = tower.plan(ids, lookup);
    lookup.materialize();
    const table = tower.id!.data; // [50, 8]
    const eval1 = tower.forward(batch, lookup).dataSync();
    expect(Array.from(eval1)).toEqual(Array.from(table)); // no dropout without `train`
    const a = tower.forward(batch, lookup, { rng: new Rng(7) }).dataSync();
    const b = tower.forward(batch, lookup, { rng: new Rng(7) }).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b)); // masks come from the rng: reproducible
    let dropped = 0;
    for (let i = 0; i < a.length; i++) {
      if (a[i] === 0) dropped++;
      else expect(a[i]).toBeCloseTo(table[i]! / 0.75, 6);
    }
    expect(dropped / a.length).toBeGreaterThan(0.17); // 400 values at rate 0.25
    expect(dropped / a.length).toBeLessThan(0.33);
    lookup.dispose();
    store.dispose();
  });

  it('rate 0 trains exactly the model without the option; a rate > 0 trains another one', async () => {
    const userIds = new IdMap(Array.from({ length: 8 }, (_, i) => `u${i}`));
    const itemIds = new IdMap(Array.from({ length: 12 }, (_, i) => `i${i}`));
    const rng = new Rng(3);
    const pairs = Array.from({ length: 40 }, () => [rng.int(8), rng.int(12)] as const);
    const train = makeInteractions({
      userIds,
      itemIds,
      users: Int32Array.from(pairs, (p) => p[0]),
      items: Int32Array.from(pairs, (p) => p[1]),
    });
    const run = async (dropout: Record<string, unknown>) => {
      const ctx = makeTestContext({ seed: 5 });
      const cctx = { ...makeTestCreateContext({ seed: 5 }), ...ctx } as CreateContext;
      const loss = await createComponent(infonceComponent, { temperature: 0.2, logQ: true }, {}, cctx);
      const m = (await createComponent(
        twoTowerComponent,
        { dim: 4, hidden: [], ...dropout, train: { epochs: 3, batchSize: 8, lr: 0.05, checkpoint: false } },
        { loss },
        cctx,
      )) as EmbeddingModel;
      await m.fit({ dataset: { name: 'dropout', interactions: train }, splits: { train, test: train }, ctx });
      const s = m.scorer();
      if (s.kind !== 'embeddings') throw new Error('expected embeddings');
      const out = [...s.users.vectors, ...s.items.vectors];
      m.dispose();
      return out;
    };
    const off = await run({});
    expect(await run({ dropout: 0 })).toEqual(off);
    expect(await run({ dropout: 0.3 })).not.toEqual(off);
    expect(await run({ dropout: 0.3, user: { dropout: 0 }, item: { dropout: 0 } })).toEqual(off);
  });

  it('rejects a rate outside [0, 1)', () => {
    expect(twoTowerSchema.safeParse({ dropout: 1 }).success).toBe(false);
    expect(twoTowerSchema.safeParse({ dropout: -0.1 }).success).toBe(false);
    expect(twoTowerSchema.safeParse({ user: { dropout: 1.5 } }).success).toBe(false);
    expect(twoTowerSchema.safeParse({ dropout: 0.5 }).success).toBe(true);
  });
});
