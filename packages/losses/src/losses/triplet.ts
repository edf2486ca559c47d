import type { LossComponent, LossInputs } from '@embrec/core';
import { defineComponent } from '@embrec/core';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { negativeScores, requireNegatives } from './common.ts';

/**
 * Triplet loss with squared Euclidean distance and margin α (Schroff et al. 2015, "FaceNet"; in
 * recommendation: Hsieh et al. 2017, "Collaborative Metric Learning"):
 *
 *   d(a, b) = ‖a − b‖²
 *   L = (1/(B·N)) Σ_i Σ_j max(0, d(q_i, p_i) − d(q_i, n_ij) + α)
 *
 * d(q, n) is expanded as ‖q‖² − 2 q·n + ‖n‖² so shared negatives need one matrix product.
 */
export function triplet(inputs: LossInputs, margin: number): tf.Scalar {
  const negatives = requireNegatives(inputs, 'triplet');
  return tf.tidy(() => {
    const { query, positive } = inputs;
    const dPos = tf.sum(tf.square(tf.sub(query, positive)), 1, true); // [B, 1]
    const qq = tf.sum(tf.square(query), 1, true); // [B, 1]
    const nn =
      negatives.rank === 2
        ? tf.reshape(tf.sum(tf.square(negatives), 1), [1, -1]) // [1, N]
        : tf.sum(tf.square(negatives), 2); // [B, N]
    const dNeg = tf.add(tf.sub(qq, tf.mul(2, negativeScores(query, negatives))), nn); // [B, N]
    return tf.mean(tf.relu(tf.add(tf.sub(dPos, dNeg), margin))) as tf.Scalar;
  });
}

export const tripletComponent = defineComponent({
  kind: 'loss',
  type: 'triplet',
  needs: 'negatives',
  description: 'Triplet margin loss on squared Euclidean distances',
  schema: z.strictObject({
    margin: z.number().nonnegative().default(1).describe('margin α'),
  }),
  create(p): LossComponent {
    return { needs: 'negatives', variables: [], compute: (inputs) => triplet(inputs, p.margin) };
  },
});
