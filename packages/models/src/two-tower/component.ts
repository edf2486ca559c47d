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
  dropout: z
    .number()
    .min(0)
    .lt(1)
    .optional()
    .describe('input dropout of this tower (default: the model-level dropout)'),
});

const historySchema = z
  .strictObject({
    aggregate: z
      .enum(['mean', 'attention'])
      .default('mean')
      .describe('pooling of the history item embeddings: mean, or attention a·tanh(W e + b)'),
    weight: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('g in g·(user ID embedding) + (1 − g)·(pooled history); 1 = the ID embedding alone'),
    maxItems: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('items drawn per training step from a longer history (0 = all); encoding uses all'),
  })
  .describe(
    "SimpleX-style user tower: the user's training items (never valid/test) pooled through the item ID table and mixed into the user ID embedding; off when absent",
  );

const userTowerSchema = towerSchema.extend({ history: historySchema.optional() });

export const twoTowerSchema = z
  .strictObject({
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
    dropout: z
      .number()
      .min(0)
      .lt(1)
      .default(0)
      .describe(
        "dropout rate on each tower's input embeddings in training steps (inverted; none at inference); 0 = off",
      ),
    user: userTowerSchema.prefault({}),
    item: towerSchema.prefault({}),
    train: trainSchema.prefault({}),
  })
  .superRefine((p, ctx) => {
    if (!p.user.history) return;
    const path = ['user', 'history'];
    if (!p.user.idEmbedding)
      ctx.addIssue({
        code: 'custom',
        path,
        message: 'user.history mixes into the user ID embedding: needs user.idEmbedding: true',
      });
    if (!p.item.idEmbedding)
      ctx.addIssue({
        code: 'custom',
        path,
        message: 'user.history pools item ID embeddings: needs item.idEmbedding: true',
      });
    // the ID embedding is `featureDim` wide under an MLP, `dim` wide without one
    const idDim = (hidden: readonly number[] | undefined) =>
      (hidden ?? p.hidden).length > 0 ? p.featureDim : p.dim;
    if (idDim(p.user.hidden) !== idDim(p.item.hidden))
      ctx.addIssue({
        code: 'custom',
        path,
        message: `user.history needs ID embeddings of one width on both sides, found user ${idDim(p.user.hidden)} and item ${idDim(p.item.hidden)} (give both towers hidden layers, or neither)`,
      });
  });

/**
 * Two-tower retrieval (Yi et al. 2019; Covington et al. 2016): per side an ID embedding plus side
 * features (categorical embeddings, pooled multi-hot bags, standardised numeric values), an MLP
 * with LayerNorm, and optionally L2-normalised outputs; score = dot product. With `user.history`
 * the user's ID embedding is mixed with its pooled training history (SimpleX, Mao et al. 2021).
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
      dropout: t.dropout ?? p.dropout,
    });
    const user = p.user.history ? { ...side(p.user), history: p.user.history } : side(p.user);
    return new EmbeddingModel(
      { type: 'two-tower', user, item: side(p.item), train: p.train },
      deps.loss,
      deps.sampler,
      ctx,
    );
  },
});
