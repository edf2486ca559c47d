import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { METRICS } from '../common/metric.ts';
import { HnswIndex } from './hnsw.ts';

export const hnswSchema = z.strictObject({
  metric: z.enum(METRICS).default('ip').describe('ip (inner product), cosine (by normalisation) or l2'),
  M: z.number().int().min(2).max(128).default(32).describe('graph degree'),
  efConstruction: z.number().int().min(8).default(200).describe('candidate list size while building'),
  efSearch: z
    .number()
    .int()
    .min(1)
    .default(128)
    .describe('candidate list size while searching (≥ k is used)'),
  seed: z.number().int().min(0).default(100).describe('hnswlib level generator seed'),
});

export const hnswComponent = defineComponent({
  kind: 'index',
  type: 'hnsw',
  description: 'HNSW graph index on hnswlib-node (M, efConstruction, per-call efSearch)',
  schema: hnswSchema,
  create: (p) =>
    new HnswIndex(p.metric, { M: p.M, efConstruction: p.efConstruction, efSearch: p.efSearch, seed: p.seed }),
});
