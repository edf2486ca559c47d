import type { LossComponent, LossInputs } from '@embrec/core';
import { defineComponent } from '@embrec/core';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { negativeScores, negativesPerRow, requireNegatives } from './common.ts';

function l2n(x: tf.Tensor, axis: number): tf.Tensor {
  return tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), axis, true), 1e-12)));
}

/**
 * Cosine contrastive loss (Mao et al. 2021, "SimpleX: A Simple and Strong Baseline for
 * Collaborative Filtering", CIKM):
 *
 *   L = (1/B) Σ_i [ (1 − cos(q_i, p_i)) + (w/N) Σ_j max(0, cos(q_i, n_ij) − m) ]
 *
 * with margin m and negative weight w. Vectors are L2-normalised inside the loss.
 */
export function ccl(inputs: LossInputs, margin: number, negWeight: number): tf.Scalar {
  const negatives = requireNegatives(inputs, 'ccl');
  return tf.tidy(() => {
    const q = l2n(inputs.query, 1) as tf.Tensor2D;
    const p = l2n(inputs.positive, 1);
    const n = l2n(negatives, negatives.rank - 1);
    const cosPos = tf.sum(tf.mul(q, p), 1); // [B]
    const cosNeg = negativeScores(q, n); // [B, N]
    const nNeg = negativesPerRow(negatives);
    const negTerm = tf.mul(tf.sum(tf.relu(tf.sub(cosNeg, margin)), 1), negWeight / nNeg); // [B]
    return tf.mean(tf.add(tf.sub(1, cosPos), negTerm)) as tf.Scalar;
  });
}

export const cclComponent = defineComponent({
  kind: 'loss',
  type: 'ccl',
  needs: 'negatives',
  description: 'Cosine contrastive loss (SimpleX)',
  schema: z.strictObject({
    margin: z.number().min(-1).max(1).default(0.8).describe('negatives with cosine below m cost nothing'),
    negWeight: z.number().nonnegative().default(150).describe('weight w of the negative term'),
  }),
  create(p): LossComponent {
    return { needs: 'negatives', variables: [], compute: (inputs) => ccl(inputs, p.margin, p.negWeight) };
  },
});
