import type { Interactions, NegativeSample, Rng, SamplerComponent, SortedRows } from '@embrec/core';
import { defineComponent, hasItem, sortedRows, UsageError } from '@embrec/core';
import { z } from 'zod';
import {
  type ItemDistribution,
  popularityDistribution,
  positiveDistribution,
  uniformDistribution,
} from './distribution.ts';

function notInit(name: string): never {
  throw new UsageError(`sampler "${name}" was used before init(train) was called`);
}

/**
 * In-batch negatives: the other positives of the batch. Draws nothing itself; reports the
 * positives' per-draw log probability (empirical item frequency) for the logQ correction.
 */
export const inBatchSampler = defineComponent({
  kind: 'sampler',
  type: 'in-batch',
  mode: 'in-batch',
  description: 'In-batch negatives (the other positives of the batch), with item frequencies for logQ',
  schema: z.strictObject({}),
  create(): SamplerComponent {
    let dist: ItemDistribution | undefined;
    return {
      mode: 'in-batch',
      init(train: Interactions) {
        dist = positiveDistribution(train);
      },
      positiveLogQ: () => (dist ?? notInit('in-batch')).logProb,
      sample: () => undefined,
    };
  },
});

const explicitSchema = {
  num: z.number().int().positive().default(1).describe('negatives per row (or per batch when shared)'),
  shared: z.boolean().default(false).describe('one set of negatives shared by the whole batch'),
  excludePositives: z
    .boolean()
    .default(false)
    .describe(
      "redraw a negative that is one of the row's user's training items (LightGCN's reference sampler); per-row draws only",
    ),
};

/** `excludePositives` filters per row, so it cannot be combined with one shared set per batch. */
function perRowOnly(p: { shared: boolean; excludePositives: boolean }, ctx: z.RefinementCtx): void {
  if (p.shared && p.excludePositives)
    ctx.addIssue({
      code: 'custom',
      path: ['excludePositives'],
      message: "a negative is filtered by the row's user, so excludePositives needs shared: false",
    });
}

function explicitSampler(
  name: string,
  make: (train: Interactions) => ItemDistribution,
  p: { num: number; shared: boolean; excludePositives: boolean },
): SamplerComponent {
  const { num, shared } = p;
  let dist: ItemDistribution | undefined;
  let positives: PositiveFilter | undefined;
  return {
    mode: 'explicit',
    init(train) {
      dist = make(train);
      positives = p.excludePositives ? new PositiveFilter(train, dist) : undefined;
    },
    positiveLogQ: () => undefined,
    sample(batch, rng) {
      const d = dist ?? notInit(name);
      if (positives) return positives.draw(d, batch.users, num, rng);
      const count = shared ? num : num * batch.users.length;
      const { items, logQ } = d.drawMany(count, rng);
      return { items, logQ, perRow: num, shared };
    },
  };
}

/** Draws this many times before keeping a positive (a user holding almost every item). */
const MAX_REDRAWS = 1000;

/**
 * Per-row negatives that are not the row's user's training items: a rejected draw is drawn again,
 * as LightGCN's reference sampler does. The reported log probability is the conditional one,
 * log q(i) − log(1 − q(positives of u)), so a logQ correction sees the distribution actually drawn.
 * A user whose training items hold (almost) all the mass keeps an unfiltered draw after 1000 tries.
 */
class PositiveFilter {
  readonly #rows: SortedRows;
  /** log(1 − q(positives of u)) per user (0 for users without training items). */
  readonly #logRest: Float64Array;

  constructor(train: Interactions, d: ItemDistribution) {
    const rows = sortedRows(train.userIds.size, train.users, train.items);
    const { indptr, indices } = rows;
    this.#logRest = new Float64Array(train.userIds.size);
    for (let u = 0; u < this.#logRest.length; u++) {
      let mass = 0;
      for (let k = indptr[u]!; k < indptr[u + 1]!; k++)
        if (k === indptr[u] || indices[k] !== indices[k - 1]) mass += Math.exp(d.logProb[indices[k]!]!);
      this.#logRest[u] = mass < 1 - 1e-9 ? Math.log(1 - mass) : 0;
    }
    this.#rows = rows;
  }

  draw(d: ItemDistribution, users: Int32Array, num: number, rng: Rng): NegativeSample {
    const items = new Int32Array(users.length * num);
    const logQ = new Float32Array(users.length * num);
    for (let r = 0; r < users.length; r++) {
      const u = users[r]!;
      const rest = u < this.#logRest.length ? this.#logRest[u]! : 0;
      for (let j = 0; j < num; j++) {
        let it = d.draw(rng);
        for (let t = 0; t < MAX_REDRAWS && hasItem(this.#rows, u, it); t++) it = d.draw(rng);
        items[r * num + j] = it;
        logQ[r * num + j] = d.logProb[it]! - rest;
      }
    }
    return { items, logQ, perRow: num, shared: false };
  }
}

/** Uniform negatives over the item catalogue. */
export const uniformSampler = defineComponent({
  kind: 'sampler',
  type: 'uniform',
  mode: 'explicit',
  description: 'Negatives drawn uniformly from all items',
  schema: z.strictObject(explicitSchema).superRefine(perRowOnly),
  create: (p): SamplerComponent => explicitSampler('uniform', uniformDistribution, p),
});

/** Negatives drawn with probability ∝ (count + 1)^α (word2vec's unigram^0.75 for α = 0.75). */
export const popularitySampler = defineComponent({
  kind: 'sampler',
  type: 'popularity',
  mode: 'explicit',
  description: 'Negatives drawn with probability proportional to popularity^α',
  schema: z
    .strictObject({ ...explicitSchema, alpha: z.number().min(0).default(0.75) })
    .superRefine(perRowOnly),
  create: (p): SamplerComponent =>
    explicitSampler('popularity', (t) => popularityDistribution(t, p.alpha), p),
});

/**
 * Mixed negative sampling (Yang et al. 2020, "Mixed Negative Sampling for Learning Two-tower
 * Neural Networks in Recommendations", WWW): the batch's in-batch negatives plus `num` items drawn
 * from a second distribution (uniform, or popularity^α) and shared by the batch. Both parts report
 * their per-draw log probabilities for logQ.
 */
export const mixedSampler = defineComponent({
  kind: 'sampler',
  type: 'mixed',
  mode: 'mixed',
  description: 'In-batch negatives plus shared negatives from a uniform or popularity^α distribution',
  schema: z.strictObject({
    num: z.number().int().positive().default(256).describe('extra shared negatives per batch'),
    distribution: z.enum(['uniform', 'popularity']).default('uniform'),
    alpha: z.number().min(0).default(0.75),
  }),
  create(p): SamplerComponent {
    let pos: ItemDistribution | undefined;
    let extra: ItemDistribution | undefined;
    return {
      mode: 'mixed',
      init(train) {
        pos = positiveDistribution(train);
        extra =
          p.distribution === 'uniform' ? uniformDistribution(train) : popularityDistribution(train, p.alpha);
      },
      positiveLogQ: () => (pos ?? notInit('mixed')).logProb,
      sample(_batch, rng) {
        const { items, logQ } = (extra ?? notInit('mixed')).drawMany(p.num, rng);
        return { items, logQ, perRow: p.num, shared: true };
      },
    };
  },
});
