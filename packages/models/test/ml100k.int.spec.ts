import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CreateContext } from '@embrec/core';
import { makeInteractions, setupBackend } from '@embrec/core';
import { createComponent, makeTestContext, makeTestCreateContext } from '@embrec/core/testing';
import { inBatchSampler, infonceComponent } from '@embrec/losses';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadMl100k } from '../../data/src/datasets/movielens-100k/load.ts';
import type { EmbeddingModel } from '../src/embedding/model.ts';
import { twoTowerComponent } from '../src/two-tower/component.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = join(process.env.EMBREC_DATA ?? resolve(repoRoot, '../shared/data'), 'ml-100k');
const have = existsSync(join(dir, 'u.data'));
if (!have) console.warn(`skipping the ML-100K two-tower test: ${dir}/u.data not found (set EMBREC_DATA)`);

describe.skipIf(!have)('two-tower on MovieLens 100K (genres, user features)', () => {
  it('trains with side features, beats popularity on held-out interactions and leaks nothing', async () => {
    await setupBackend('auto', { threads: 1 }); // native kernels when the addon is built
    const data = loadMl100k(dir, { features: true });
    expect(Object.keys(data.itemFeatures?.multiHot ?? {}).length).toBeGreaterThan(0);
    const x = data.interactions;
    // every 10th interaction is held out
    const keep = (i: number) => i % 10 !== 0;
    const rows = Int32Array.from({ length: x.users.length }, (_, i) => i);
    const pick = (f: (i: number) => boolean) => rows.filter(f);
    const sub = (r: Int32Array) =>
      makeInteractions({
        userIds: x.userIds,
        itemIds: x.itemIds,
        users: Int32Array.from(r, (i) => x.users[i]!),
        items: Int32Array.from(r, (i) => x.items[i]!),
      });
    const train = sub(pick(keep));
    const test = sub(pick((i) => !keep(i)));
    const before = tf.memory().numTensors;
    const ctx = makeTestContext({ seed: 3 });
    const cctx = { ...makeTestCreateContext({ seed: 3 }), ...ctx } as CreateContext;
    const loss = await createComponent(infonceComponent, { temperature: 0.1, logQ: true }, {}, cctx);
    const sampler = await createComponent(inBatchSampler, {}, {}, cctx);
    const model = (await createComponent(
      twoTowerComponent,
      {
        dim: 32,
        featureDim: 32,
        hidden: [64],
        train: { epochs: 3, batchSize: 1024, lr: 0.005, checkpoint: false },
      },
      { loss, sampler },
      cctx,
    )) as EmbeddingModel;
    await model.fit({ dataset: data, splits: { train, test }, ctx });
    const losses = ctx.logged.map((l) => l.values.loss!);
    expect(losses[2]!).toBeLessThan(losses[0]!);
    const s = model.scorer();
    if (s.kind !== 'embeddings') throw new Error('expected embeddings');
    const d = s.items.dim;
    const ni = s.items.ids.size;
    // mean score of a held-out item minus the mean score of a random item, per user: > 0
    let margin = 0;
    for (let k = 0; k < test.users.length; k++) {
      const u = test.users[k]!;
      const i = test.items[k]!;
      const j = (k * 7919) % ni;
      let si = 0;
      let sj = 0;
      for (let c = 0; c < d; c++) {
        si += s.users.vectors[u * d + c]! * s.items.vectors[i * d + c]!;
        sj += s.users.vectors[u * d + c]! * s.items.vectors[j * d + c]!;
      }
      margin += si - sj;
    }
    expect(margin / test.users.length).toBeGreaterThan(0.05);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 600_000);
});
