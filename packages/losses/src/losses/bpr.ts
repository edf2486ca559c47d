import type { LossComponent, LossInputs } from '@embrec/core';
import { defineComponent } from '@embrec/core';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { negativeScores, requireNegatives } from './common.ts';

/**
 * Bayesian Personalized Ranking (Rendle et al. 2009, "BPR: Bayesian Personalized Ranking from
 * Implicit Feedback", UAI). For each (user u, positive i, negative j):
 *
 *   L = −(1/(B·N)) Σ_u Σ_j log σ( q_u·p_i − q_u·n_j )
 *
 * (the maximum a posteriori objective's data term; the Gaussian prior is the trainer's weight
 * decay). log σ(x) is computed as −softplus(−x) for stability.
 */
export function bpr(inputs: LossInputs): tf.Scalar {
  const negatives = requireNegatives(inputs, 'bpr');
  return tf.tidy(() => {
    const pos = tf.sum(tf.mul(inputs.query, inputs.positive), 1, true); // [B, 1]
    const neg = negativeScores(inputs.query, negatives); // [B, N]
    return tf.mean(tf.softplus(tf.sub(neg, pos))) as tf.Scalar; // −log σ(pos − neg)
  });
}

export const bprComponent = defineComponent({
  kind: 'loss',
  type: 'bpr',
  needs: 'negatives',
  description: 'Bayesian Personalized Ranking: −log σ(score(pos) − score(neg))',
  schema: z.strictObject({}),
  create(): LossComponent {
    return { needs: 'negatives', variables: [], compute: (inputs) => bpr(inputs) };
  },
});
