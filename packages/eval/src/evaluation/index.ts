import type { AnyComponentDefinition } from '@embrec/core';
import { beyondMetricComponents } from '../beyond/index.ts';
import { fullEvaluatorComponent, sampledEvaluatorComponent } from './components.ts';
import { metricComponents } from './metrics.ts';

/** Metric and evaluator components (built-ins, namespace `embrec`). */
export const evaluationComponents: AnyComponentDefinition[] = [
  ...metricComponents,
  ...beyondMetricComponents,
  fullEvaluatorComponent,
  sampledEvaluatorComponent,
];

export { MetricAccumulator } from './accumulate.ts';
export type { TopKBackend } from './backend.ts';
export { topkBackend } from './backend.ts';
export type { FullEvaluatorOptions } from './full.ts';
export { FullEvaluator } from './full.ts';
export { BUILTIN_METRICS, builtinMetric, cutoffMetric, metricKey } from './metrics.ts';
export {
  hitRateAtK,
  mapAtK,
  mrrAtK,
  ndcgAtK,
  precisionAtK,
  recallAtK,
} from './rank-metrics.ts';
export type { UserLists } from './relevance.ts';
export { maskLists, targetLists } from './relevance.ts';
export type { SampledEvaluatorOptions } from './sampled.ts';
export { SampledEvaluator } from './sampled.ts';
export type { TopK } from './topk.ts';
export { topkDotJs, topkRowsJs } from './topk.ts';
