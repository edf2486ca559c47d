/**
 * What MLflow accepts: key syntax, value lengths and batch sizes (mlflow/utils/validation.py), and
 * the mapping from embrec's names to keys MLflow stores.
 */

export const MLFLOW_LIMITS = {
  metricsPerBatch: 1000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1000,
  paramValueLength: 6000,
  tagValueLength: 8000,
  keyLength: 250,
  /** MLflow refuses log-batch bodies over 1 MB; stay a little under. */
  requestBytes: 950_000,
} as const;

// The names a run folder and the trackers share (a metric's key, phase prefixes, flattened params)
// are core's (runner/run-names.ts): MLflow's key rules are the run folder's key rules.
export type { MetricPhase } from '@embrec/core';
export { flattenParams, metricKey as mlflowKey, phaseMetrics } from '@embrec/core';

/** Cuts a value to `max` characters, ending with a marker that says how much was dropped. */
export function truncateValue(value: string, max: number): string {
  if (value.length <= max) return value;
  const marker = (n: number): string => `…[truncated ${n} chars]`;
  // the marker's length depends on the count it prints; two passes settle it
  let keep = max - marker(value.length).length;
  keep = max - marker(value.length - keep).length;
  return value.slice(0, keep) + marker(value.length - keep);
}

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
