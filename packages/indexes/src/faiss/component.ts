import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { METRICS } from '../common/metric.ts';
import { FaissIndexComponent } from './faiss.ts';

export const faissSchema = z.strictObject({
  factory: z
    .string()
    .min(1)
    .default('IVF1024,Flat')
    .describe(
      'faiss index_factory description: Flat, IVF1024,Flat, IVF1024,PQ16, IVF1024,PQ32x4fs,RFlat, HNSW32',
    ),
  metric: z.enum(METRICS).default('ip').describe('ip (inner product), cosine (by normalisation) or l2'),
  nprobe: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('IVF lists visited per query (per-call override: params.nprobe)'),
  efSearch: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('HNSW candidate list size (raised to k when smaller)'),
  kFactor: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('refine (RFlat): candidates re-scored exactly = k · kFactor'),
  trainSize: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('training vectors for IVF / PQ; 0 = min(n, max(64 · nlist, 100000))'),
  trainSampling: z
    .enum(['random', 'first'])
    .default('random')
    .describe('seeded random sample or the first rows'),
  seed: z.number().int().min(0).default(1234).describe('seed of the training sample'),
  filter: z
    .enum(['refill', 'selector'])
    .default('refill')
    .describe(
      'exclude/allow lists by over-fetch and refill (any index) or FAISS ID selectors (Flat, IVF, HNSW)',
    ),
});

export const faissComponent = defineComponent({
  kind: 'index',
  type: 'faiss',
  description:
    'Any FAISS index_factory index (IVF, PQ, fast-scan + refine, HNSW) with per-call nprobe/efSearch/kFactor',
  schema: faissSchema,
  create: (p) =>
    new FaissIndexComponent(p.metric, {
      factory: p.factory,
      nprobe: p.nprobe,
      efSearch: p.efSearch,
      kFactor: p.kFactor,
      trainSize: p.trainSize,
      trainSampling: p.trainSampling,
      seed: p.seed,
      filter: p.filter,
    }),
});
