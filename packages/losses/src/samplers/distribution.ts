import type { Interactions, Rng } from '@embrec/core';
import { cumulativeIndex, itemCounts, UsageError } from '@embrec/core';

/** A discrete distribution over items, sampled by binary search on the cumulative weights. */
export class ItemDistribution {
  readonly logProb: Float32Array;
  readonly #cum: Float64Array;

  constructor(weights: Float64Array) {
    const n = weights.length;
    if (n === 0) throw new UsageError('cannot sample negatives: the training data has no items');
    this.#cum = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      total += weights[i]!;
      this.#cum[i] = total;
    }
    if (!(total > 0)) throw new UsageError('cannot sample negatives: all item weights are zero');
    this.logProb = new Float32Array(n);
    for (let i = 0; i < n; i++) this.logProb[i] = Math.log(weights[i]! / total);
  }

  get size(): number {
    return this.#cum.length;
  }

  draw(rng: Rng): number {
    const cum = this.#cum;
    return cumulativeIndex(cum, rng.next() * cum[cum.length - 1]!);
  }

  /** n draws with their log probabilities. */
  drawMany(n: number, rng: Rng): { items: Int32Array; logQ: Float32Array } {
    const items = new Int32Array(n);
    const logQ = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const it = this.draw(rng);
      items[i] = it;
      logQ[i] = this.logProb[it]!;
    }
    return { items, logQ };
  }
}

/** Uniform over all items of the ID map. */
export function uniformDistribution(train: Interactions): ItemDistribution {
  return new ItemDistribution(new Float64Array(train.itemIds.size).fill(1));
}

/** Popularity^α over training counts (+1 smoothing so unseen items can be drawn when α > 0). */
export function popularityDistribution(train: Interactions, alpha: number): ItemDistribution {
  const c = itemCounts(train);
  const w = new Float64Array(c.length);
  for (let i = 0; i < c.length; i++) w[i] = (c[i]! + 1) ** alpha;
  return new ItemDistribution(w);
}

/** The empirical distribution of positives (what an in-batch sampler draws). */
export function positiveDistribution(train: Interactions): ItemDistribution {
  const c = itemCounts(train);
  for (let i = 0; i < c.length; i++) c[i] = Math.max(c[i]!, 1e-3);
  return new ItemDistribution(c);
}
