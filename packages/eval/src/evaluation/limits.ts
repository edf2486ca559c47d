import { ensureAllocatable, LimitError, type Scorer } from '@embrec/core';

/**
 * Sizes an evaluation allocates, checked against the data before allocating (issue 10 item 8):
 * a cutoff beyond the catalogue ranks nothing more, and `ks: [1e12]` must be an error, not an
 * out-of-memory abort.
 */
export function checkEvaluationSizes(opts: {
  readonly protocol: string;
  readonly K: number;
  readonly numItems: number;
  readonly batchSize: number;
  readonly scorer: Scorer;
  /** Sampled protocol: negatives per held-out item. */
  readonly negatives?: number;
}): void {
  const { protocol, K, numItems, batchSize: B, scorer } = opts;
  if (K > numItems)
    throw new LimitError(
      `evaluate (${protocol}): the cutoff ${K} (largest of evaluate.ks) is more than the ${numItems} items of the dataset; use ks ≤ ${numItems}`,
    );
  if (opts.negatives !== undefined && opts.negatives > numItems)
    throw new LimitError(
      `evaluate (${protocol}): ${opts.negatives} negatives per held-out item is more than the ${numItems} items of the dataset; use negatives < ${numItems}`,
    );
  ensureAllocatable(`evaluate (${protocol}): top-K lists of a batch (${B} users × ${K})`, B * K, 4, {
    hint: 'lower evaluate.batchSize',
  });
  if (scorer.kind === 'scores')
    ensureAllocatable(
      `evaluate (${protocol}): a block of scores (${B} users × ${numItems} items)`,
      B * numItems,
      4,
      { hint: 'lower evaluate.batchSize' },
    );
}
