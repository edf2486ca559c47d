/**
 * `runExperiment`: the sweep folder's lock (or per-trial leases), then each trial to run in order
 * (sweep-one.ts) between opening and closing the sweep (sweep-run.ts: sweep.json, resume, trackers).
 */
import { mkdirSync } from 'node:fs';
import type { LoadedExperiment } from '../config/load.ts';
import type { TrialConfig } from '../config/sections.ts';
import type { Registry } from '../plugin/registry.ts';
import type { LogLevel } from '../util/log.ts';
import type { RunEvent } from './events.ts';
import { writeMarker } from './marker.ts';
import type { ProgressMode } from './progress.ts';
import { openSweepDir } from './sweep-dir.ts';
import { runSweepTrial } from './sweep-one.ts';
import { closeSweep, openSweep } from './sweep-run.ts';
import type { SweepOutcome } from './sweep-tally.ts';
import { sweepDirOf } from './sweep-util.ts';

export type { SweepOutcome } from './sweep-tally.ts';
export { configHash, formatError, sweepDirOf } from './sweep-util.ts';

export interface RunOptions {
  readonly registry: Registry;
  readonly progress?: ProgressMode;
  readonly logLevel?: LogLevel;
  /** Where console lines go (stderr by default). */
  readonly echo?: (level: LogLevel, line: string) => void;
  readonly onEvent?: (e: RunEvent) => void;
  readonly signal?: AbortSignal;
  /** Overrides the experiment's `output` folder. */
  readonly output?: string;
  /** Re-run trials even when they finished before (and discard their checkpoints). */
  readonly force?: boolean;
  /** Stop the sweep once this many trials failed (default 10). */
  readonly maxFailures?: number;
  /** Only these trials (by name). */
  readonly only?: readonly string[];
  /**
   * Per-trial coordination instead of the sweep lock (`--shard` runs and queue workers sharing one
   * folder): called before a trial runs, returns a lease to release after it, or undefined when
   * another process holds the trial (it is skipped). The folder's `.staging` is then left alone.
   */
  readonly claim?: (dir: string, trial: string) => { release(): void } | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Called when a sweep ends (before the trackers close it) with its folder: returns files (plots)
   * to keep as the sweep's artifacts; they are logged on the parent run.
   */
  readonly onSweepEnd?: (exp: LoadedExperiment, dir: string) => Promise<readonly string[]>;
  /** Sets up the tensor backend (core's setupBackend by default). */
  readonly setupBackend?: (name: TrialConfig['backend'], threads: number) => Promise<string | undefined>;
}

/**
 * Runs every trial of an experiment. Finished trials (same config hash) are skipped, so an
 * interrupted sweep run again completes without redoing work. Tracker failures are warnings.
 */
export async function runExperiment(exp: LoadedExperiment, opts: RunOptions): Promise<SweepOutcome> {
  const echo = opts.echo ?? ((_l: LogLevel, line: string) => process.stderr.write(`${line}\n`));
  const dir = sweepDirOf(exp, opts.output);
  if (opts.claim) {
    mkdirSync(dir, { recursive: true });
    writeMarker(dir, 'sweep');
    return runSweep(exp, opts, dir, echo);
  }
  const lock = openSweepDir(dir, (line) => echo('warn', line));
  try {
    return await runSweep(exp, opts, dir, echo);
  } finally {
    lock.release();
  }
}

async function runSweep(
  exp: LoadedExperiment,
  opts: RunOptions,
  dir: string,
  echo: (level: LogLevel, line: string) => void,
): Promise<SweepOutcome> {
  const s = await openSweep(exp, opts, dir, echo);
  const { tally } = s;
  for (let i = 0; i < s.todo.length; i++) {
    const trial = s.todo[i]!;
    if (s.signal.aborted) {
      tally.aborted = true;
      break;
    }
    const lease = opts.claim?.(dir, trial.name);
    if (opts.claim && !lease) {
      tally.skipped.push(trial.name);
      s.emit({ type: 'trial-skip', trial: trial.name, reason: 'another process holds its lease' });
      continue;
    }
    try {
      if (lease && !opts.force && s.finished(trial)) {
        tally.skipped.push(trial.name);
        s.emit({ type: 'trial-skip', trial: trial.name, reason: 'finished by another process' });
        continue;
      }
      if (await runSweepTrial(s, trial, i)) break;
    } finally {
      lease?.release();
    }
  }
  await closeSweep(s);
  return tally.outcome(dir);
}
