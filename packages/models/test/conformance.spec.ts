import type { CreateContext, LossComponent, ModelComponent, SamplerComponent } from '@embrec/core';
import { createComponent, describeModel } from '@embrec/core/testing';
import {
  bprComponent,
  hardSampler,
  inBatchSampler,
  infonceComponent,
  mixedSampler,
  sampledSoftmaxComponent,
  uniformSampler,
} from '@embrec/losses';
import { mfComponent } from '../src/mf/component.ts';
import { twoTowerComponent } from '../src/two-tower/component.ts';

type Part<T> = (ctx: CreateContext) => Promise<T>;

function maker(
  model: typeof mfComponent | typeof twoTowerComponent,
  params: Record<string, unknown>,
  loss: Part<LossComponent>,
  sampler?: Part<SamplerComponent>,
) {
  return async (ctx: CreateContext): Promise<ModelComponent> => {
    const deps = { loss: await loss(ctx), sampler: sampler ? await sampler(ctx) : undefined };
    return model === mfComponent
      ? createComponent(mfComponent, params, deps, ctx)
      : createComponent(twoTowerComponent, params, deps, ctx);
  };
}

const train = { epochs: 6, batchSize: 32, lr: 0.05, checkpoint: false };

describeModel('mf + infonce (in-batch)', {
  make: maker(
    mfComponent,
    { dim: 8, train },
    (ctx) => createComponent(infonceComponent, { temperature: 0.2 }, {}, ctx),
    (ctx) => createComponent(inBatchSampler, {}, {}, ctx),
  ),
});
describeModel('mf + bpr (uniform)', {
  make: maker(
    mfComponent,
    { dim: 8, train },
    (ctx) => createComponent(bprComponent, {}, {}, ctx),
    (ctx) => createComponent(uniformSampler, { num: 4 }, {}, ctx),
  ),
});
describeModel('two-tower + infonce (learnable τ, logQ, mixed)', {
  make: maker(
    twoTowerComponent,
    { dim: 8, featureDim: 8, hidden: [16], train },
    (ctx) => createComponent(infonceComponent, { temperature: 0.2, learnable: true, logQ: true }, {}, ctx),
    (ctx) => createComponent(mixedSampler, { num: 8 }, {}, ctx),
  ),
});
describeModel('two-tower + sampled-softmax (hard dynamic)', {
  make: maker(
    twoTowerComponent,
    { dim: 8, featureDim: 8, hidden: [], normalize: false, train: { ...train, viewRefresh: 3 } },
    (ctx) => createComponent(sampledSoftmaxComponent, { temperature: 0.5 }, {}, ctx),
    (ctx) =>
      createComponent(hardSampler, { strategy: 'dynamic', pool: 10, refreshEvery: 4, num: 2 }, {}, ctx),
  ),
});
