import type { LossInputs } from '@embrec/core';
import { UsageError } from '@embrec/core';
import * as tf from '@tensorflow/tfjs-core';

/** A large negative logit used to mask entries out of a softmax (not -Infinity: keeps grads finite). */
export const MASK = -1e9;

/**
 * Scores of each query against explicit negatives: [B, N].
 * negatives: [N, D] shared by the batch, or [B, N, D] per row.
 */
export function negativeScores(query: tf.Tensor2D, negatives: tf.Tensor): tf.Tensor2D {
  if (negatives.rank === 2) return tf.matMul(query, negatives as tf.Tensor2D, false, true); // [B, N]
  if (negatives.rank === 3) {
    const n = negatives as tf.Tensor3D;
    return tf.sum(tf.mul(tf.expandDims(query, 1), n), 2) as tf.Tensor2D; // [B, N]
  }
  throw new UsageError(`negatives must be [N, D] or [B, N, D], found rank ${negatives.rank}`);
}

/** Number of negatives per row (N) of a [N, D] or [B, N, D] tensor. */
export function negativesPerRow(negatives: tf.Tensor): number {
  return negatives.rank === 2 ? negatives.shape[0]! : negatives.shape[1]!;
}

/** Requires explicit negatives, naming the loss that needs them. */
export function requireNegatives(inputs: LossInputs, loss: string): tf.Tensor {
  if (!inputs.negatives) {
    throw new UsageError(
      `loss "${loss}" needs explicit negatives: add a sampler (uniform, popularity, hard) to the experiment, found none`,
    );
  }
  return inputs.negatives;
}

/**
 * A [B, N] mask (1 = keep, 0 = accidental hit) for negatives that equal the row's positive item.
 * Returns undefined when ids are missing.
 */
export function hitMask(inputs: LossInputs, b: number, n: number, shared: boolean): Float32Array | undefined {
  const pos = inputs.positiveIds;
  const neg = inputs.negativeIds;
  if (!pos || !neg) return undefined;
  const m = new Float32Array(b * n).fill(1);
  let any = false;
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < n; j++) {
      if (neg[shared ? j : i * n + j] === pos[i]) {
        m[i * n + j] = 0;
        any = true;
      }
    }
  }
  return any ? m : undefined;
}

/** logQ of the negatives as a [B, N] or [1, N] tensor, plus log(draws). */
export function negativeLogQ(
  inputs: LossInputs,
  b: number,
  n: number,
  shared: boolean,
): tf.Tensor2D | undefined {
  const lq = inputs.logQNegative;
  if (!lq) return undefined;
  const draws = Math.log(shared ? n : n * b);
  const out = new Float32Array(lq.length);
  for (let i = 0; i < lq.length; i++) out[i] = lq[i]! + draws;
  return shared ? tf.tensor2d(out, [1, n]) : tf.tensor2d(out, [b, n]);
}

/** log(exp(a) + exp(b)), elementwise and stable. */
export function logAddExp(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const m = tf.maximum(a, b);
  return tf.add(m, tf.log(tf.add(tf.exp(tf.sub(a, m)), tf.exp(tf.sub(b, m)))));
}
