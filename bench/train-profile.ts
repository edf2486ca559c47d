/**
 * Profiles embedding-model training steps on the demo data: time per step of a two-tower or MF
 * model with in-batch InfoNCE on the active backend.
 *   node --conditions=source --import tsx bench/train-profile.ts [--backend native|cpu] [--model two-tower|mf]
 */
import { setupBackend } from '@embrec/core';
import { createComponent, makeTestContext, makeTestCreateContext } from '@embrec/core/testing';
import { inBatchSampler, infonceComponent } from '@embrec/losses';
import { mfComponent, twoTowerComponent } from '@embrec/models';
import * as tf from '@tensorflow/tfjs-core';
import { demoDataset } from '../packages/data/src/datasets/demo/component.ts';

const arg = (k: string, d: string): string => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? (process.argv[i + 1] ?? d) : d;
};
await setupBackend(arg('backend', 'native') as 'native' | 'cpu', { threads: Number(arg('threads', '1')) });
const ctx = makeTestContext({ seed: 1 });
const cctx = { ...makeTestCreateContext({ seed: 1 }), ...ctx };
const data = await (await createComponent(demoDataset, { users: 1000, items: 2000 })).load(ctx);
const loss = await createComponent(infonceComponent, { temperature: 0.1 });
const sampler = await createComponent(inBatchSampler);
const epochs = Number(arg('epochs', '2'));
const batchSize = Number(arg('batch', '256'));
const train = { epochs, batchSize, lr: 0.005, checkpoint: false };
const model =
  arg('model', 'two-tower') === 'mf'
    ? await createComponent(
        mfComponent,
        { dim: 32, normalize: arg('norm', 'false') === 'true', train },
        { loss, sampler },
        cctx,
      )
    : await createComponent(
        twoTowerComponent,
        {
          dim: 32,
          featureDim: 32,
          hidden: JSON.parse(arg('hidden', '[64]')),
          layerNorm: arg('ln', 'true') === 'true',
          user: { features: arg('features', 'all') },
          item: { features: arg('features', 'all') },
          train,
        },
        { loss, sampler },
        cctx,
      );
const t0 = performance.now();
await model.fit({ dataset: data, splits: { train: data.interactions, test: data.interactions }, ctx });
const ms = performance.now() - t0;
const steps = Math.ceil(data.interactions.users.length / batchSize) * epochs;
console.log(
  `${tf.getBackend()} ${arg('model', 'two-tower')}: ${steps} steps, ${(ms / steps).toFixed(1)} ms/step, ${(ms / epochs / 1000).toFixed(2)} s/epoch`,
);
console.log(ctx.logged.map((l) => l.values.loss?.toFixed(4)).join(' '));
model.dispose?.();
