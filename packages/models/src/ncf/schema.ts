import { componentRef } from '@embrec/core';
import { z } from 'zod';

/** The optimisation block of NCF (the paper: Adam for GMF/MLP, mini-batches of positives + negatives). */
export const ncfTrainSchema = z.strictObject({
  epochs: z.number().int().positive().default(20),
  batchSize: z
    .number()
    .int()
    .positive()
    .default(256)
    .describe('positives per batch (each with its negatives)'),
  lr: z.number().positive().default(0.001),
  optimizer: z.enum(['adam', 'adagrad']).default('adam'),
  weightDecay: z.number().min(0).default(0).describe('L2 penalty on the updated values'),
  negatives: z
    .number()
    .int()
    .positive()
    .default(4)
    .describe('sampled negatives per positive (4 in He et al. 2017)'),
  earlyStopping: z
    .strictObject({
      metric: z.string().default('NDCG@10').describe('validation metric (display name), higher is better'),
      patience: z.number().int().positive().default(3),
    })
    .optional(),
  validateEvery: z.number().int().positive().default(1),
});
export type NcfTrainConfig = z.output<typeof ncfTrainSchema>;

const pretrainSchema = z.strictObject({
  alpha: z.number().min(0).max(1).default(0.5).describe('NeuMF head = [α h_GMF ; (1−α) h_MLP]'),
  epochs: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe(
      'train GMF and MLP alone for this many epochs each before the fused model (0 = load from folders)',
    ),
  gmf: z
    .string()
    .optional()
    .describe('folder of a saved ncf model with variant gmf (relative to the experiment file)'),
  mlp: z.string().optional().describe('folder of a saved ncf model with variant mlp'),
  lr: z.number().positive().optional().describe('learning rate of the fused phase (default: train.lr)'),
});

export const ncfSchema = z.strictObject({
  variant: z.enum(['neumf', 'gmf', 'mlp']).default('neumf'),
  factors: z.number().int().positive().default(8).describe('GMF predictive factors (embedding size)'),
  layers: z
    .array(z.number().int().positive())
    .min(1)
    .default([64, 32, 16, 8])
    .describe('MLP tower: layers[0]/2 is the user and the item embedding size, then the hidden sizes'),
  initStd: z.number().positive().default(0.01).describe('std of the N(0, σ²) embedding initialisation'),
  features: z
    .union([z.enum(['all', 'none']), z.array(z.string())])
    .default('none')
    .describe('user/item side features from the dataset fed to the MLP tower: all, none or a list of names'),
  featureDim: z.number().int().positive().default(16).describe('width of each side-feature projection'),
  loss: componentRef('loss')
    .optional()
    .describe(
      'a registered loss that takes explicit negatives (bpr, sampled-softmax, ...); default: pointwise log loss',
    ),
  pretrain: pretrainSchema.optional(),
  scoreBlock: z
    .number()
    .int()
    .positive()
    .default(262_144)
    .describe('(user, item) pairs per forward pass when scoring all items'),
  train: ncfTrainSchema.prefault({}),
});
export type NcfConfig = z.output<typeof ncfSchema>;

/** The ranker adds what it knows about the candidates: retrieval score/rank inputs, hard-negative fine-tuning. */
export const ncfRankerSchema = ncfSchema.extend({
  retrievalFeatures: z
    .boolean()
    .default(true)
    .describe('feed the retrieval score (standardised) and 1/log2(rank+2) to the MLP and the head'),
  hardNegatives: z
    .strictObject({
      epochs: z.number().int().min(0).default(40),
      negatives: z
        .number()
        .int()
        .positive()
        .default(32)
        .describe('candidates drawn as negatives per validation item'),
      lr: z.number().positive().optional(),
    })
    .prefault({})
    .describe('fine-tune on retrieval candidates: the user’s validation items first'),
  topM: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('keep the best M of the N candidates (default: all N)'),
});
export type NcfRankerConfig = z.output<typeof ncfRankerSchema>;
