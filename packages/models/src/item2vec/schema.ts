import { z } from 'zod';

/** Options of the `item2vec` model (word2vec / gensim names in the descriptions). */
export const item2vecSchema = z.strictObject({
  dim: z.number().int().min(1).max(4096).default(64).describe('embedding size [vector_size]'),
  window: z
    .number()
    .int()
    .min(0)
    .default(5)
    .describe('context radius, reduced at random per position as word2vec [window]; 0 = the whole sentence'),
  shuffle: z
    .boolean()
    .default(false)
    .describe(
      'treat histories as sets: shuffle each sentence anew every epoch, so that a window samples the whole history',
    ),
  negative: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(5)
    .describe('negative samples per positive pair [negative]'),
  power: z
    .number()
    .min(-10)
    .max(10)
    .default(0.75)
    .describe('negatives are drawn from count^power [ns_exponent] (Caselles-Dupré et al. 2018)'),
  sample: z
    .number()
    .min(0)
    .max(1)
    .default(1e-3)
    .describe('frequent-item subsampling threshold [sample]; 0 = off'),
  weighting: z
    .enum(['none', 'sample'])
    .default('none')
    .describe(
      "'none': every item of a history counts once; 'sample': each history is redrawn with replacement in proportion to its interactions' weights (portfolio weights) before training, so a pair of items is trained ∝ the product of their weights (edge sampling, as LINE); needs a weights column",
    ),
  weightPower: z
    .number()
    .min(0)
    .max(10)
    .default(1)
    .describe(
      "weighting 'sample': items are drawn ∝ weight^weightPower (0 = uniformly, the resampling alone)",
    ),
  draws: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(1)
    .describe(
      "weighting 'sample': sentences drawn per history, each as long as the history (an epoch costs draws × as much)",
    ),
  lr: z.number().positive().max(10).default(0.025).describe('initial learning rate [alpha]'),
  minLr: z
    .number()
    .min(0)
    .max(10)
    .default(1e-4)
    .describe('final learning rate of the linear decay [min_alpha]'),
  epochs: z.number().int().min(1).max(100000).default(5).describe('passes over the sentences [epochs]'),
  threads: z
    .number()
    .int()
    .min(1)
    .max(256)
    .default(1)
    .describe('Hogwild training threads [workers]; only 1 gives reproducible results'),
  sessionGap: z
    .number()
    .positive()
    .optional()
    .describe(
      "split a user's history into sessions where consecutive timestamps are more than this many seconds apart (needs timestamps)",
    ),
  pooling: z
    .enum(['mean', 'recency'])
    .default('mean')
    .describe("a user's vector: the mean of their history's item vectors, or a recency-weighted mean"),
  halfLife: z
    .number()
    .positive()
    .default(20)
    .describe('recency pooling: an item k positions before the latest one weighs 0.5^(k / halfLife)'),
  itemVectors: z
    .enum(['input', 'output'])
    .default('output')
    .describe(
      "item table scored against the pooled input vectors: 'input' (item-item similarity, as Item2Vec) or 'output' (skip-gram's own prediction)",
    ),
  normalize: z
    .boolean()
    .default(false)
    .describe('L2-normalise item vectors before pooling and scoring (cosine)'),
  scoring: z
    .enum(['pool', 'knn'])
    .default('pool')
    .describe(
      "how a user is scored: 'pool' (one pooled vector, scored by dot product: pooling, itemVectors, normalize) or 'knn' (ItemKNN's scheme on item2vec similarities: Σ over the history of sim(i, j) over each candidate's top neighbours; a score model, no user table)",
    ),
  similarity: z
    .enum(['input-output', 'cosine'])
    .default('input-output')
    .describe(
      "knn scoring: sim(i, j) = exp(in_i·out_j) (skip-gram's prediction of j from i; with power 0 ∝ P(j | i)) or the cosine of the input vectors (the Item2Vec paper's), negatives dropped",
    ),
  neighbours: z
    .number()
    .int()
    .min(1)
    .default(200)
    .describe('knn scoring: the most similar history items kept per candidate item (as ItemKNN k)'),
  similarityPower: z
    .number()
    .positive()
    .max(100)
    .default(1)
    .describe('knn scoring: α in sim(i, j)^α (exp(α in_i·out_j) for input-output); α > 1 sharpens'),
  select: z
    .strictObject({
      by: z.string().default('NDCG@20').describe('validation metric to maximise'),
      dim: z.array(z.number().int().min(1).max(4096)).min(1).optional(),
      window: z.array(z.number().int().min(0)).min(1).optional(),
      negative: z.array(z.number().int().min(1).max(1000)).min(1).optional(),
      power: z.array(z.number().min(-10).max(10)).min(1).optional(),
      sample: z.array(z.number().min(0).max(1)).min(1).optional(),
      epochs: z.array(z.number().int().min(1).max(100000)).min(1).optional(),
      lr: z.array(z.number().positive().max(10)).min(1).optional(),
      weightPower: z.array(z.number().min(0).max(10)).min(1).optional(),
      draws: z.array(z.number().int().min(1).max(1000)).min(1).optional(),
      neighbours: z.array(z.number().int().min(1)).min(1).optional(),
      similarityPower: z.array(z.number().positive().max(100)).min(1).optional(),
    })
    .optional()
    .describe(
      'a grid over these settings (each list replaces the single value above), chosen on the validation split by `by`: the test split is evaluated once, on the chosen model; settings that only change scoring (neighbours, similarityPower) reuse the trained vectors',
    ),
});

export type Item2VecParams = z.output<typeof item2vecSchema>;
