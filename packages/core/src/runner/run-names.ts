/**
 * The names a run folder and the trackers share: a metric's key ("Recall@20" → "recall_at_20"),
 * the phase prefixes of tracked metrics, a config flattened to dotted params and its hash, and the
 * tag keys of status.json. Trackers (the @embrec/mlflow plugin) use the same names, so a metric's
 * key is one string everywhere: per-user files, tracker keys, report columns.
 */
import { createHash } from 'node:crypto';

/** The longest key kept (MLflow's limit for metric, param and tag keys). */
const KEY_LENGTH = 250;

/** Characters a key may hold (those MLflow allows in metric, param and tag keys). */
const KEY_OK = /[^A-Za-z0-9_\-. :/]/g;

/**
 * The key of a metric's display name (per-user file names, tracker keys). Names with a cutoff
 * become snake case: "Recall@20" → "recall_at_20", "NDCG@10" → "ndcg_at_10"; other disallowed
 * characters become "_". Names without "@" keep their case.
 */
export function metricKey(name: string): string {
  // labels in parentheses become suffixes: "HR@10 (sampled 99)" → "hr_at_10_sampled99",
  // "Recall@20 (pipeline)" → "recall_at_20_pipeline"
  name = name.replace(/\s*\(([^)]*)\)/g, (_m, label: string) => `_${label.replace(/\s+/g, '')}`);
  const at = name.indexOf('@');
  const mapped = at < 0 ? name : `${name.slice(0, at).toLowerCase()}_at_${name.slice(at + 1).toLowerCase()}`;
  const clean = mapped.replace(/@/g, '_at_').replace(KEY_OK, '_');
  return clean.length > KEY_LENGTH ? clean.slice(0, KEY_LENGTH) : clean;
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

/**
 * Flattens a resolved config into params: nested keys joined with dots, array elements by
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

/** A short, order-independent hash of a flattened config (the config-hash tag). */
export function paramsHash(params: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(params)
    .sort()
    .map((k) => [k, params[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 12);
}

/** Tag keys of status.json, which trackers set on their runs too (MLflow's own `mlflow.*` tags where one exists). */
export const TAGS = {
  kind: 'embrec.kind', // "sweep" | "trial"
  sweep: 'embrec.sweep',
  trial: 'embrec.trial',
  baseline: 'embrec.baseline',
  version: 'embrec.version',
  configHash: 'embrec.config_hash',
  /** A stable identity of the run folder: sync finds the run again even without mlflow.json. */
  runKey: 'embrec.runKey',
  gitCommit: 'mlflow.source.git.commit',
  parentRunId: 'mlflow.parentRunId',
} as const;
