import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { METRICS } from '../common/metric.ts';
import { ExactIndex } from './exact.ts';

export const exactSchema = z.strictObject({
  metric: z.enum(METRICS).default('ip').describe('ip (inner product), cosine (by normalisation) or l2'),
  blockRows: z.number().int().min(16).default(2048).describe('rows per cache block of the JS scan'),
});

export const exactComponent = defineComponent({
  kind: 'index',
  type: 'exact',
  description: 'Exact top-k by scoring every item (native BLAS + heap, JS fallback): the recall reference',
  schema: exactSchema,
  create: (p) => new ExactIndex(p.metric, p.blockRows),
});
