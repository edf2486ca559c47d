import type { LossComponent, LossInputs } from '@embrec/core';
import { defineComponent } from '@embrec/core';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import {
  hitMask,
  logAddExp,
  MASK,
  negativeLogQ,
  negativeScores,
  negativesPerRow,
  requireNegatives,
} from './common.ts';
import { makeTemperature } from './infonce.ts';

/**
 * Sampled softmax with explicit negatives (Jean et al. 2015, "On Using Very Large Target Vocabulary
 * for Neural Machine Translation"; Bengio & Senécal 2008 for the logQ correction):
 *
 *   s_i+ = q_i·p_i / τ,   s_ij = q_i·n_ij / τ − [logQ] log(N·Q(n_ij))
 *   L = −(1/B) Σ_i log( exp(s_i+) / (exp(s_i+) + Σ_j exp(s_ij)) )
 *
 * Negatives equal to the row's positive (accidental hits) are masked out.
 */
export function sampledSoftmax(
  inputs: LossInputs,
  tau: tf.Scalar | number,
  opts: { logQ: boolean; maskHits: boolean },
): tf.Scalar {
  const negatives = requireNegatives(inputs, 'sampled-softmax');
  return tf.tidy(() => {
    const { query, positive } = inputs;
    const b = query.shape[0];
    const n = negativesPerRow(negatives);
    const shared = negatives.rank === 2;
    const pos = tf.div(tf.sum(tf.mul(query, positive), 1, true), tau); // [B, 1]
    let neg = tf.div(negativeScores(query, negatives), tau); // [B, N]
    const lq = opts.logQ ? negativeLogQ(inputs, b, n, shared) : undefined;
    if (lq) neg = tf.sub(neg, lq);
    const hm = opts.maskHits ? hitMask(inputs, b, n, shared) : undefined;
    if (hm) neg = tf.add(neg, tf.mul(tf.sub(1, tf.tensor2d(hm, [b, n])), MASK));
    // −log softmax of the positive over [pos ‖ negatives], without concatenating
    const lse = logAddExp(tf.squeeze(pos, [1]), tf.logSumExp(neg, 1)); // [B]
    return tf.mean(tf.sub(lse, tf.squeeze(pos, [1]))) as tf.Scalar;
  });
}

export const sampledSoftmaxComponent = defineComponent({
  kind: 'loss',
  type: 'sampled-softmax',
  needs: 'negatives',
  description: 'Softmax over the positive and explicit sampled negatives, with logQ correction',
  schema: z.strictObject({
    temperature: z.number().positive().default(0.1),
    learnable: z.boolean().default(false),
    logQ: z.boolean().default(true).describe('subtract log(N·Q(n)) from negative logits'),
    maskHits: z.boolean().default(true),
  }),
  create(p): LossComponent {
    const t = makeTemperature(p.temperature, p.learnable);
    return {
      needs: 'negatives',
      variables: t.variables,
      compute: (inputs) => tf.tidy(() => sampledSoftmax(inputs, t.tau(), p)),
      dispose: () => {
        for (const v of t.variables) v.dispose();
      },
    };
  },
});
