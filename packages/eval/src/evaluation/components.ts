import { type ComponentRef, componentRef, defineComponent, type MetricComponent } from '@embrec/core';
import { z } from 'zod';
import { FullEvaluator } from './full.ts';
import { SampledEvaluator } from './sampled.ts';

const DEFAULT_METRICS: ComponentRef[] = ['recall', 'ndcg', 'hr', 'precision', 'mrr', 'map'];

const common = {
  ks: z.array(z.number().int().min(1)).min(1).default([10, 20]),
  metrics: z.array(componentRef('metric')).min(1).default(DEFAULT_METRICS),
  /** Also mask each user's validation items when ranking test items (EvaluatorComponent.masksValid). */
  maskValid: z.boolean().default(false),
};

async function instantiateAll(
  refs: readonly ComponentRef[],
  make: (ref: ComponentRef) => Promise<MetricComponent>,
): Promise<MetricComponent[]> {
  const out: MetricComponent[] = [];
  for (const r of refs) out.push(await make(r));
  return out;
}

export const fullEvaluatorComponent = defineComponent({
  kind: 'evaluator',
  type: 'full',
  description:
    'Full ranking over all items with the mask (training items, optionally validation items) removed; ' +
    'users with at least one target item; native batched top-K',
  schema: z.strictObject({
    ...common,
    batchSize: z.number().int().min(1).default(1024),
    aggregates: z.boolean().default(true),
  }),
  create: async (p, _deps, ctx) =>
    Object.assign(
      new FullEvaluator({
        ks: p.ks,
        metrics: await instantiateAll(p.metrics, (r) => ctx.instantiate('metric', r)),
        batchSize: p.batchSize,
        aggregates: p.aggregates,
      }),
      { masksValid: p.maskValid },
    ),
});

export const sampledEvaluatorComponent = defineComponent({
  kind: 'evaluator',
  type: 'sampled',
  description:
    'Sampled protocol (NCF): each held-out item ranked against N sampled negatives; labelled sampled-<N> everywhere',
  schema: z.strictObject({
    ...common,
    negatives: z.number().int().min(1).default(99),
    seed: z.number().int().optional(),
    batchSize: z.number().int().min(1).default(256),
  }),
  create: async (p, _deps, ctx) =>
    Object.assign(
      new SampledEvaluator({
        ks: p.ks,
        metrics: await instantiateAll(p.metrics, (r) => ctx.instantiate('metric', r)),
        negatives: p.negatives,
        batchSize: p.batchSize,
        ...(p.seed !== undefined ? { seed: p.seed } : {}),
      }),
      { masksValid: p.maskValid },
    ),
});
