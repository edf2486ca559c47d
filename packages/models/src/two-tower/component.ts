import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { EmbeddingModel } from '../embedding/model.ts';
import type { TowerConfig } from '../embedding/tower.ts';
import { trainSchema } from '../training/schema.ts';

const towerSchema = z.strictObject({
  idEmbedding: z.boolean().default(true),
  features: z
    .union([z.enum(['all', 'none']), z.array(z.string())])
    .default('all')
    .describe('side features from the dataset: all, none, or a list of names'),
  hidden: z
    .array(z.number().int().positive())
    .optional()
    .describe('MLP hidden sizes (default: the model-level hidden)'),
});

export const twoTowerSchema = z.strictObject({
  dim: z.number().int().positive().default(64).describe('output dimension of both towers'),
  featureDim: z.number().int().positive().default(64).describe('dimension of ID and feature embeddings'),
  hidden: z
    .array(z.number().int().positive())
    .default([128])
    .describe('MLP hidden layer sizes ([] = linear)'),
  activation: z.enum(['relu', 'tanh', 'gelu']).default('relu'),
  layerNorm: z.boolean().default(true).describe('LayerNorm after every hidden layer'),
  normalize: z.boolean().default(true).describe('L2-normalise the outputs (cosine scores)'),
  pooling: z.enum(['mean', 'sum']).default('mean').describe('pooling of multi-hot bags (genres)'),
  initStd: z.number().positive().default(0.1),
  user: towerSchema.prefault({}),
  item: towerSchema.prefault({}),
  train: trainSchema.prefault({}),
});

/**
 * Two-tower retrieval (Yi et al. 2019; Covington et al. 2016): per side an ID embedding plus side
 * features (categorical embeddings, pooled multi-hot bags, standardised numeric values), an MLP
 * with LayerNorm, and optionally L2-normalised outputs; score = dot product.
 */
export const twoTowerComponent = defineComponent({
  kind: 'model',
  type: 'two-tower',
  description: 'Two-tower model: ID + side-feature embeddings, MLP towers, dot-product / cosine scores',
  schema: twoTowerSchema,
  deps: { loss: 'loss', sampler: { kind: 'sampler', optional: true } },
  create(p, deps, ctx) {
    const side = (t: z.output<typeof towerSchema>): TowerConfig => ({
      dim: p.dim,
      idEmbedding: t.idEmbedding,
      features: t.features,
      featureDim: p.featureDim,
      pooling: p.pooling,
      hidden: t.hidden ?? p.hidden,
      activation: p.activation,
      layerNorm: p.layerNorm,
      normalize: p.normalize,
      initStd: p.initStd,
    });
    return new EmbeddingModel(
      { type: 'two-tower', user: side(p.user), item: side(p.item), train: p.train },
      deps.loss,
      deps.sampler,
      ctx,
    );
  },
});
