import '@tensorflow/tfjs-backend-cpu';
import type { CreateContext, LossComponent } from '@embrec/core';
import {
  createComponent,
  makeTestContext,
  makeTestCreateContext,
  tinyClusteredDataset,
} from '@embrec/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { mfComponent } from '../../packages/models/src/mf/component.ts';

beforeAll(async () => {
  await tf.ready();
});

/** A loss whose value is multiplied by `growth` at every call (one call per epoch here). */
function growingLoss(growth: (call: number) => number): LossComponent {
  let call = 0;
  return {
    needs: 'in-batch',
    variables: [],
    compute: ({ query }) => {
      const scale = growth(call++);
      return tf.tidy(() => tf.mul(tf.add(tf.mean(tf.square(query)), 1), scale) as tf.Scalar);
    },
  };
}

async function train(loss: LossComponent) {
  const fx = tinyClusteredDataset();
  const ctx = makeTestContext({ seed: 1 });
  const cctx = { ...makeTestCreateContext({ seed: 1 }), ...ctx } as CreateContext;
  // one batch per epoch: the loss's call count is the epoch
  const model = await createComponent(
    mfComponent,
    { dim: 4, train: { epochs: 5, batchSize: 100_000, lr: 1e-6, checkpoint: false } },
    { loss },
    cctx,
  );
  try {
    await model.fit({ dataset: fx.dataset, splits: fx.splits, ctx });
  } finally {
    model.dispose?.();
  }
  return ctx;
}

describe('a diverging loss fails the trial with the reason (issue 10, item 3)', () => {
  it('an epoch loss 100× the first epoch’s', async () => {
    await expect(train(growingLoss((c) => 1000 ** c))).rejects.toThrow(
      /training diverged: the epoch 2 loss .* is more than 100× the first epoch's/,
    );
  });

  it('a non-finite loss', async () => {
    await expect(train(growingLoss((c) => (c < 2 ? 1 : Number.NaN)))).rejects.toThrow(/the loss became NaN/);
  });

  it('a loss that grows less than 100× trains to the end', async () => {
    const ctx = await train(growingLoss((c) => 1 + c));
    expect(ctx.logged.map((l) => l.step)).toEqual([0, 1, 2, 3, 4]);
  });
});
