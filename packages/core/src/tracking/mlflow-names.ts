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

/** Characters MLflow allows in metric, param and tag keys. */
const KEY_OK = /[^A-Za-z0-9_\-. :/]/g;

/**
 * A key MLflow accepts (the one key of a metric everywhere: MLflow, per-user files, `metricKey`).
 * Metric names with a cutoff become snake case: "Recall@20" → "recall_at_20",
 * "NDCG@10" → "ndcg_at_10"; other disallowed characters become "_". Names without "@" keep their case.
 */
export function mlflowKey(name: string): string {
  // labels in parentheses become suffixes: "HR@10 (sampled 99)" → "hr_at_10_sampled99",
  // "Recall@20 (pipeline)" → "recall_at_20_pipeline"
  name = name.replace(/\s*\(([^)]*)\)/g, (_m, label: string) => `_${label.replace(/\s+/g, '')}`);
  const at = name.indexOf('@');
  const mapped = at < 0 ? name : `${name.slice(0, at).toLowerCase()}_at_${name.slice(at + 1).toLowerCase()}`;
  const clean = mapped.replace(/@/g, '_at_').replace(KEY_OK, '_');
  return clean.length > MLFLOW_LIMITS.keyLength ? clean.slice(0, MLFLOW_LIMITS.keyLength) : clean;
}

/** Where a tracked metric was measured: per-epoch validation, or the trial's final test values. */
export type MetricPhase = 'valid' | 'test';

/** Names that already say where they were measured ("valid_NDCG@20", "train.loss") keep them. */
const HAS_PHASE = /^(valid|validation|test|train)[._]/i;

/**
 * The names a tracker gets, so that per-epoch validation values and the final test values never
 * share a key (MLflow's run table shows a key's latest value, so a shared key showed the last
 * validation value as the result). Final metrics are `test.<name>` (`test.ndcg_at_20` once the key
 * is mapped); per-epoch metrics with a cutoff (the evaluator's "NDCG@20" on the validation split)
 * are `valid.<name>`; training values (loss, temperature, λ) keep their names.
 */
export function phaseMetrics(
  phase: MetricPhase,
  values: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, v] of Object.entries(values)) {
    const prefixed = !HAS_PHASE.test(name) && (phase === 'test' || name.includes('@'));
    out[prefixed ? `${phase}.${name}` : name] = v;
  }
  return out;
}

/** Cuts a value to `max` characters, ending with a marker that says how much was dropped. */
export function truncateValue(value: string, max: number): string {
  if (value.length <= max) return value;
  const marker = (n: number): string => `…[truncated ${n} chars]`;
  // the marker's length depends on the count it prints; two passes settle it
  let keep = max - marker(value.length).length;
  keep = max - marker(value.length - keep).length;
  return value.slice(0, keep) + marker(value.length - keep);
}

/**
 * Flattens a resolved config into MLflow params: nested keys joined with dots, array elements by
 * index (`evaluate.ks.0`), leaves as strings (objects in arrays too: `trackers.0.type`). Empty
 * objects and arrays are kept as "{}" / "[]" so that they are visible.
 */
export function flattenParams(value: unknown, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (v: unknown, path: string): void => {
    if (v !== null && typeof v === 'object') {
      const entries = Array.isArray(v)
        ? v.map((x, i) => [String(i), x] as const)
        : Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) {
        if (path !== '') out[path] = Array.isArray(v) ? '[]' : '{}';
        return;
      }
      for (const [k, x] of entries) walk(x, path === '' ? k : `${path}.${k}`);
      return;
    }
    if (path === '') return;
    out[path] = v === undefined ? 'undefined' : typeof v === 'string' ? v : JSON.stringify(v);
  };
  walk(value, prefix);
  return out;
}

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
