import type { LossComponent, LossInputs } from '@embrec/core';
import { defineComponent } from '@embrec/core';
import { type InBatchSoftmaxOptions, inBatchSoftmaxLoss } from '@embrec/native';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { hitMask, logAddExp, MASK, negativeLogQ, negativeScores, negativesPerRow } from './common.ts';

/** The loss's parameters, as its schema (`infonceSchema`, below) gives them. */
export type InfoNceOptions = Readonly<z.output<typeof infonceSchema>>;

/**
 * In-batch softmax cross-entropy (InfoNCE; van den Oord et al. 2018, "Representation Learning with
 * Contrastive Predictive Coding"; as a retrieval loss: Yi et al. 2019, "Sampling-Bias-Corrected Neural
 * Modeling for Large Corpus Item Recommendations", RecSys):
 *
 *   s_ij = q_i·p_j / τ − [logQ] (log Q_j + log B)          (j over the batch, plus shared negatives)
 *   L = −(1/B) Σ_i log( exp(s_ii) / Σ_j exp(s_ij) )
 *
 * Q_j is the probability that item j is drawn as a positive (the logQ correction removes the
 * popularity bias of in-batch negatives). An "accidental hit" — row j ≠ i holding the same item as
 * row i — is masked out of row i's denominator. Explicit negatives (mixed negative sampling) are
 * appended as extra columns. With `learnable`, τ = exp(θ) is trained with the model.
 */
export function infonce(inputs: LossInputs, tau: tf.Scalar | number, opts: InfoNceOptions): tf.Scalar {
  if (typeof tau === 'number' && !inputs.negatives) return fused(inputs, tau, opts);
  if (typeof tau === 'number' && inputs.negatives?.rank === 2) return fusedShared(inputs, tau, opts);
  return tf.tidy(() => {
    const { query, positive } = inputs;
    const b = query.shape[0];
    let logits: tf.Tensor = tf.matMul(query, positive, false, true); // [B, B]
    logits = tf.div(logits, tau);
    if (opts.logQ && inputs.logQPositive) {
      const lq = new Float32Array(b);
      const lb = Math.log(b);
      for (let j = 0; j < b; j++) lq[j] = inputs.logQPositive[j]! + lb;
      logits = tf.sub(logits, tf.tensor2d(lq, [1, b])); // [B, B]
    }
    if (opts.maskHits && inputs.positiveIds) {
      const ids = inputs.positiveIds;
      const m = new Float32Array(b * b);
      let any = false;
      for (let i = 0; i < b; i++)
        for (let j = 0; j < b; j++)
          if (i !== j && ids[i] === ids[j]) {
            m[i * b + j] = MASK;
            any = true;
          }
      if (any) logits = tf.add(logits, tf.tensor2d(m, [b, b]));
    }
    const pos = tf.sum(tf.mul(logits, tf.eye(b)), 1); // [B] diagonal: each row's positive
    let lse = tf.logSumExp(logits, 1); // [B]
    if (inputs.negatives) {
      const n = negativesPerRow(inputs.negatives);
      const shared = inputs.negatives.rank === 2;
      let neg: tf.Tensor = tf.div(negativeScores(query, inputs.negatives), tau); // [B, N]
      const lq = opts.logQ ? negativeLogQ(inputs, b, n, shared) : undefined;
      if (lq) neg = tf.sub(neg, lq);
      const hm = opts.maskHits ? hitMask(inputs, b, n, shared) : undefined;
      if (hm) neg = tf.add(neg, tf.mul(tf.sub(1, tf.tensor2d(hm, [b, n])), MASK));
      // log-sum-exp over [batch columns ‖ negatives] without concatenating (concat's gradient is slow)
      lse = logAddExp(lse, tf.logSumExp(neg, 1)); // [B]
    }
    return tf.mean(tf.sub(lse, pos)) as tf.Scalar;
  });
}

/**
 * In-batch softmax plus negatives shared by the batch (mixed negative sampling) through the same fused
 * op: the shared negatives are extra columns after the batch's, [B + N] candidates, with their logQ
 * (+ log N) and item ids (a negative equal to the row's positive is masked, as `hitMask`). The values
 * and gradients of the tfjs formula above, without its [B, B + N] elementwise ops.
 */
function fusedShared(inputs: LossInputs, tau: number, opts: InfoNceOptions): tf.Scalar {
  const b = inputs.query.shape[0];
  const negatives = inputs.negatives as tf.Tensor2D;
  const n = negatives.shape[0];
  const o: InBatchSoftmaxOptions = { temperature: tau };
  if (opts.logQ && (inputs.logQPositive || inputs.logQNegative)) {
    const lq = new Float32Array(b + n);
    if (inputs.logQPositive) {
      const lb = Math.log(b);
      for (let j = 0; j < b; j++) lq[j] = inputs.logQPositive[j]! + lb;
    }
    if (inputs.logQNegative) {
      const ln = Math.log(n);
      for (let j = 0; j < n; j++) lq[b + j] = inputs.logQNegative[j]! + ln;
    }
    o.logQ = lq;
  }
  if (opts.maskHits && inputs.positiveIds) {
    const ids = new Int32Array(b + n).fill(-1); // −1: a negative without an id is never a hit
    ids.set(inputs.positiveIds);
    if (inputs.negativeIds) ids.set(inputs.negativeIds, b);
    o.ids = ids;
  }
  return tf.tidy(() => inBatchSoftmaxLoss(inputs.query, tf.concat([inputs.positive, negatives], 0), o));
}

/**
 * The same loss through @embrec/native's fused in-batch softmax (one sgemm, loss and gradient in one
 * pass on the native backend; the identical tfjs formula elsewhere). Fixed τ, no explicit negatives.
 */
function fused(inputs: LossInputs, tau: number, opts: InfoNceOptions): tf.Scalar {
  const b = inputs.query.shape[0];
  const o: InBatchSoftmaxOptions = { temperature: tau };
  if (opts.logQ && inputs.logQPositive) {
    const lb = Math.log(b);
    o.logQ = Float32Array.from(inputs.logQPositive, (x) => x + lb);
  }
  if (opts.maskHits && inputs.positiveIds) o.ids = inputs.positiveIds;
  return inBatchSoftmaxLoss(inputs.query, inputs.positive, o);
}

export const infonceSchema = z.strictObject({
  temperature: z
    .number()
    .positive()
    .default(0.1)
    .describe('softmax temperature τ (initial value if learnable)'),
  learnable: z.boolean().default(false).describe('train τ with the model'),
  logQ: z.boolean().default(false).describe('subtract log sampling probabilities (Yi et al. 2019)'),
  maskHits: z.boolean().default(true).describe('mask accidental hits (same item twice in a batch)'),
});

/** A learnable temperature: τ = exp(θ), clipped to [0.005, 10]. */
export function makeTemperature(
  temperature: number,
  learnable: boolean,
): { tau: () => tf.Scalar | number; variables: tf.Variable[] } {
  if (!learnable) return { tau: () => temperature, variables: [] };
  const init = tf.scalar(Math.log(temperature));
  const theta = tf.variable(init, true);
  init.dispose();
  return {
    tau: () => tf.clipByValue(tf.exp(theta), 0.005, 10) as tf.Scalar,
    variables: [theta],
  };
}

export const infonceComponent = defineComponent({
  kind: 'loss',
  type: 'infonce',
  needs: 'in-batch',
  description: 'In-batch softmax (InfoNCE) with temperature, logQ correction and accidental-hit masking',
  schema: infonceSchema,
  create(p): LossComponent {
    const t = makeTemperature(p.temperature, p.learnable);
    return {
      needs: 'in-batch',
      variables: t.variables,
      compute: (inputs) => tf.tidy(() => infonce(inputs, t.tau(), p)),
      dispose: () => {
        for (const v of t.variables) v.dispose();
      },
    };
  },
});
