import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { EmbeddingModel } from '../embedding/model.ts';
import type { TowerConfig } from '../embedding/tower.ts';
import { trainSchema } from '../training/schema.ts';

export const mfSchema = z.strictObject({
  dim: z.number().int().positive().default(64),
  initStd: z.number().positive().default(0.1).describe('std of the normal initialisation of the embeddings'),
  normalize: z.boolean().default(false).describe('L2-normalise both sides (cosine scores)'),
  train: trainSchema.prefault({}),
});

/** Matrix factorisation: a user ID embedding and an item ID embedding, scored by dot product. */
export const mfComponent = defineComponent({
  kind: 'model',
  type: 'mf',
  description: 'Matrix factorisation: ID embeddings scored by dot product, trained with any loss',
  schema: mfSchema,
  deps: { loss: 'loss', sampler: { kind: 'sampler', optional: true } },
  create(p, deps, ctx) {
    const side: TowerConfig = {
      dim: p.dim,
      idEmbedding: true,
      features: 'none',
      featureDim: p.dim,
      pooling: 'mean',
      hidden: [],
      activation: 'relu',
      layerNorm: false,
      normalize: p.normalize,
      initStd: p.initStd,
    };
    return new EmbeddingModel(
      { type: 'mf', user: side, item: side, train: p.train },
      deps.loss,
      deps.sampler,
      ctx,
    );
  },
});
