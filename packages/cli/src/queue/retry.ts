import {
  type LoadedExperiment,
  layout,
  type RunEvent,
  type RunOptions,
  runExperiment,
  type SweepOutcome,
} from '@embrec/core';
import { writeAttempts } from './attempts.ts';
import { mirrorPerUser, tagBaseline } from './mirror.ts';

/**
 * A local or `--shard` run with bounded retries: the trials that failed are run again (after the
 * others, resuming from their checkpoints) up to `retries` more times; those still failing keep
 * their FAILED folder, with the number of attempts beside it (attempts.json) for `embrec report`.
 * No retry after Ctrl-C or once --max-failures stopped the sweep. The events of the rounds read as
 * one sweep: one sweep-start, one sweep-end with the totals.
 */
export async function runWithRetries(
  exp: LoadedExperiment,
  opts: RunOptions,
  retries: number,
): Promise<SweepOutcome> {
  const emit = opts.onEvent ?? (() => {});
  const forward =
    (round: number) =>
    (e: RunEvent): void => {
      if (e.type === 'sweep-end') return;
      if (round > 0 && (e.type === 'sweep-start' || e.type === 'trial-skip')) return;
      emit(e);
    };
  let out = await runExperiment(exp, { ...opts, onEvent: forward(0) });
  const first = out;
  const finished = [...out.finished];
  const skipped = [...out.skipped];
  const metrics = { ...out.metrics };
  const attempts = new Map(out.failed.map((f) => [f.trial, 1]));
  let failed = out.failed;
  for (let round = 1; round <= retries && failed.length > 0 && !out.aborted && !out.stopped; round++) {
    const names = failed.map((f) => f.trial);
    emit({
      type: 'warning',
      message: `trying ${names.length} failed trial(s) again (attempt ${round + 1} of ${retries + 1}): ${names.join(', ')}`,
    });
    out = await runExperiment(exp, { ...opts, only: names, force: false, onEvent: forward(round) });
    finished.push(...out.finished);
    Object.assign(metrics, out.metrics);
    for (const f of out.failed) attempts.set(f.trial, round + 1);
    // a trial another process finished or holds meanwhile is no failure of this run
    failed = out.failed;
  }
  for (const f of failed) writeAttempts(layout.trialDir(out.dir, f.trial), attempts.get(f.trial) ?? 1);
  // tracked trials: their per-user vectors to MLflow too (embrec report --mlflow pairs on them)
  const warn = (message: string) => emit({ type: 'warning', message });
  for (const t of finished) await mirrorPerUser(layout.trialDir(out.dir, t), warn);
  if (finished.length > 0) await tagBaseline(out.dir, exp.sweep?.baseline, warn);
  emit({
    type: 'sweep-end',
    experiment: exp.name,
    dir: out.dir,
    finished: finished.length,
    failed: failed.length,
    skipped: skipped.length,
  });
  return {
    dir: out.dir,
    finished,
    failed,
    skipped,
    metrics,
    aborted: out.aborted,
    ...(first.stopped ? { stopped: first.stopped } : {}),
  };
}
