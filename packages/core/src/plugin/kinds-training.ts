import type * as tf from '@tensorflow/tfjs-core';
import type { Interactions } from '../types/interactions.ts';
import type { Dataset } from '../types/values.ts';
import type { Rng } from '../util/rng.ts';

/**
 * Inputs of a retrieval loss. Rows of `query` and `positive` are aligned (user b interacted with
 * item b). Shapes are commented as [B, D] etc.
 */
export interface LossInputs {
  readonly query: tf.Tensor2D; // [B, D]
  readonly positive: tf.Tensor2D; // [B, D]
  /** Explicit negatives: [B, N, D] per row, or [N, D] shared by the batch. */
  readonly negatives?: tf.Tensor;
  /** Dense item index of each positive [B]: in-batch losses mask accidental hits with it. */
  readonly positiveIds?: Int32Array;
  /** Dense item index of each negative ([B*N] or [N]). */
  readonly negativeIds?: Int32Array;
  /**
   * log of the per-draw probability that each positive's item is drawn as a positive [B] (logQ,
   * Yi et al. 2019). Losses add log(B) themselves (expected count in a batch of B draws).
   */
  readonly logQPositive?: Float32Array;
  /** log per-draw sampling probability of each negative ([B*N] or [N]); losses add log(draws). */
  readonly logQNegative?: Float32Array;
}

export interface LossComponent {
  /** 'in-batch': negatives are the other positives of the batch; 'negatives': needs sampled ones. */
  readonly needs: 'in-batch' | 'negatives';
  /** Trainable parameters of the loss itself (a learnable temperature), if any. */
  readonly variables: readonly tf.Variable[];
  compute(inputs: LossInputs): tf.Scalar;
  /** Frees the loss's own variables. */
  dispose?(): void;
}

/** Scores of the current model, for hard-negative samplers (dynamic, semi-hard). */
export interface ScoringView {
  /** Top-`k` items for each user, excluding their training items: [users.length, k]. */
  topItems(users: Int32Array, k: number): Int32Array;
  /** Scores of the given (user, item) pairs. */
  scorePairs(users: Int32Array, items: Int32Array): Float32Array;
}

export interface NegativeSample {
  /** Dense item indices: [B * perRow] when `shared` is false, [count] when shared by the batch. */
  readonly items: Int32Array;
  readonly perRow: number;
  readonly shared: boolean;
  /** log sampling probability of each sampled negative (aligned with `items`), for logQ. */
  readonly logQ?: Float32Array;
}

export interface SamplerComponent {
  /** 'in-batch' samplers return no explicit negatives, only the positives' sampling probabilities. */
  readonly mode: 'in-batch' | 'explicit' | 'mixed';
  /**
   * Called once before training with the training interactions (and the dataset, whose item
   * features static hard-negative samplers read).
   */
  init(train: Interactions, dataset?: Dataset): void;
  /** log probability that item i is drawn as a positive of a batch (for the in-batch logQ), per item. */
  positiveLogQ(): Float32Array | undefined;
  sample(
    batch: { users: Int32Array; items: Int32Array },
    rng: Rng,
    view?: ScoringView,
  ): NegativeSample | undefined;
}
