import { defineComponent, type MetricComponent, metricKey as runMetricKey } from '@embrec/core';
import { z } from 'zod';
import { hitRateAtK, mapAtK, mrrAtK, ndcgAtK, precisionAtK, recallAtK } from './rank-metrics.ts';

type PerUser = (ranked: Int32Array, relevant: Int32Array, k: number) => number;

/** A cutoff metric: key `<name>_at_<k>`, display `<Label>@<k>`. */
export function cutoffMetric(name: string, label: string, perUser: PerUser): MetricComponent {
  return {
    key: (k) => `${name}_at_${k}`,
    display: (k) => `${label}@${k}`,
    usesCutoff: true,
    perUser,
  };
}

const BUILTIN: Record<string, { label: string; description: string; fn: PerUser }> = {
  recall: { label: 'Recall', description: 'hits in the top k / number of relevant items', fn: recallAtK },
  ndcg: {
    label: 'NDCG',
    description: 'binary-relevance NDCG@k, ideal DCG over min(|relevant|, k) (LightGCN definition)',
    fn: ndcgAtK,
  },
  hr: { label: 'HR', description: 'hit rate: 1 when the top k holds a relevant item', fn: hitRateAtK },
  precision: { label: 'Precision', description: 'hits in the top k / k', fn: precisionAtK },
  mrr: {
    label: 'MRR',
    description: 'reciprocal rank of the first relevant item within the top k',
    fn: mrrAtK,
  },
  map: { label: 'MAP', description: 'average precision in the top k / min(|relevant|, k)', fn: mapAtK },
};

/** The built-in metric instances by type name (for code that evaluates without a registry). */
export function builtinMetric(type: string): MetricComponent {
  const m = BUILTIN[type];
  if (!m) throw new Error(`unknown metric "${type}"; built-ins: ${Object.keys(BUILTIN).join(', ')}`);
  return cutoffMetric(type, m.label, m.fn);
}

export const BUILTIN_METRICS: readonly string[] = Object.keys(BUILTIN);

/** One `metric` component per built-in (embrec/recall, embrec/ndcg, ...). */
export const metricComponents = Object.entries(BUILTIN).map(([type, m]) =>
  defineComponent({
    kind: 'metric',
    type,
    description: `${m.label}@k: ${m.description}`,
    schema: z.strictObject({}),
    create: () => cutoffMetric(type, m.label, m.fn),
  }),
);

/**
 * The MLflow-safe key of a display name: `Recall@20` → `recall_at_20`,
 * `HR@10 (sampled 99)` → `hr_at_10_sampled99`.
 */
export function metricKey(display: string): string {
  return runMetricKey(display);
}
