import type { Interactions, SamplerComponent } from '@embrec/core';
import { defineComponent, UsageError } from '@embrec/core';
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
};

function explicitSampler(
  name: string,
  make: (train: Interactions) => ItemDistribution,
  num: number,
  shared: boolean,
): SamplerComponent {
  let dist: ItemDistribution | undefined;
  return {
    mode: 'explicit',
    init(train) {
      dist = make(train);
    },
    positiveLogQ: () => undefined,
    sample(batch, rng) {
      const d = dist ?? notInit(name);
      const count = shared ? num : num * batch.users.length;
      const { items, logQ } = d.drawMany(count, rng);
      return { items, logQ, perRow: num, shared };
    },
  };
}

/** Uniform negatives over the item catalogue. */
export const uniformSampler = defineComponent({
  kind: 'sampler',
  type: 'uniform',
  mode: 'explicit',
  description: 'Negatives drawn uniformly from all items',
  schema: z.strictObject(explicitSchema),
  create: (p): SamplerComponent => explicitSampler('uniform', uniformDistribution, p.num, p.shared),
});

/** Negatives drawn with probability ∝ (count + 1)^α (word2vec's unigram^0.75 for α = 0.75). */
export const popularitySampler = defineComponent({
  kind: 'sampler',
  type: 'popularity',
  mode: 'explicit',
  description: 'Negatives drawn with probability proportional to popularity^α',
  schema: z.strictObject({ ...explicitSchema, alpha: z.number().min(0).default(0.75) }),
  create: (p): SamplerComponent =>
    explicitSampler('popularity', (t) => popularityDistribution(t, p.alpha), p.num, p.shared),
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
