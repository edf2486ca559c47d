import { existsSync, readFileSync } from 'node:fs';
import { layout, UsageError } from '@embrec/core';

/**
 * The metric name inside a `--select` argument: `valid.NDCG@20` → `NDCG@20`. Only validation
 * metrics select (selecting on test is tuning on test).
 */
export function selectionMetric(arg: string): string {
  const m = /^(valid|validation)\.(.+)$/.exec(arg);
  if (!m)
    throw new UsageError(
      `--select ${arg}: expected a validation metric such as valid.NDCG@20 (selection never reads test metrics)`,
    );
  return m[2]!;
}

interface HistoryLine {
  step?: number;
  values?: Record<string, number>;
  component?: string;
}

/**
 * The validation metrics of the model a finished trial evaluated on test, from its
 * metrics-history.jsonl (one line per epoch, written by the trainer through ctx.logMetrics): with
 * early stopping, the epoch with the best early-stopping metric (the weights the trainer restored;
 * the first best, as the trainer keeps it); otherwise the last validated epoch. Metrics with a
 * cutoff (`NDCG@20`) are the validation ones; training values (loss) are left out. Empty when the
 * trial never validated (no validation split, or a model without a training loop).
 */
export function readValidMetrics(trialDir: string): Record<string, number> {
  const file = layout.history(trialDir);
  if (!existsSync(file)) return {};
  const lines: HistoryLine[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (text.trim() === '') return;
      try {
        lines.push(JSON.parse(text) as HistoryLine);
      } catch {
        throw new UsageError(`${file}:${i + 1}: not a JSON line (the file is damaged)`);
      }
    });
  const validated = lines.filter((l) => l.values && Object.keys(l.values).some((k) => k.includes('@')));
  const model = validated.filter((l) => l.component === undefined || l.component.startsWith('model:'));
  const pool = model.length > 0 ? model : validated;
  if (pool.length === 0) return {};
  let chosen = pool[pool.length - 1]!;
  const es = earlyStoppingMetric(trialDir);
  if (es) {
    let best: number | undefined;
    for (const l of pool) {
      const v = l.values![es];
      if (v !== undefined && (best === undefined || v > best)) {
        best = v;
        chosen = l;
      }
    }
  }
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(chosen.values!)) if (k.includes('@')) out[k] = v;
  return out;
}

function earlyStoppingMetric(trialDir: string): string | undefined {
  const file = layout.config(trialDir);
  if (!existsSync(file)) return undefined;
  try {
    const cfg = JSON.parse(readFileSync(file, 'utf8')) as {
      model?: { train?: { earlyStopping?: { metric?: unknown } } };
    };
    const m = cfg.model?.train?.earlyStopping?.metric;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}
