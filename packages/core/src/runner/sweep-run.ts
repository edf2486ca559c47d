/**
 * A sweep's life around its trials: `openSweep` writes sweep.json, picks the trials to run (a trial
 * that finished before with the same config hash and data is skipped), opens the trackers and starts
 * the parent run; `closeSweep` logs the sweep's plots, ends the parent run and says how it went.
 * Between them, run.ts runs each trial through sweep-one.ts.
 */
import { rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { LoadedExperiment, Trial } from '../config/load.ts';
import { RootScope, type TrialScope } from '../plugin/container.ts';
import type { TrackerComponent } from '../plugin/kinds.ts';
import { createLogger, type Logger, type LogLevel } from '../util/log.ts';
import { coreVersion } from '../version.ts';
import { dataFingerprint, finishedBefore, legacyDataFingerprint } from './checkpoint-key.ts';
import type { RunEvent } from './events.ts';
import { writeJsonAtomic } from './fs.ts';
import { layout, readStatus } from './layout.ts';
import type { RunOptions } from './run.ts';
import { TAGS } from './run-names.ts';
import { SweepTally } from './sweep-tally.ts';
import { configHash, gitCommit, writeSweepRecord } from './sweep-util.ts';
import { SweepTrackers } from './trackers.ts';

/** What every trial of a running sweep shares. */
export interface SweepRun {
  readonly exp: LoadedExperiment;
  readonly opts: RunOptions;
  readonly dir: string;
  readonly echo: (level: LogLevel, line: string) => void;
  readonly emit: (e: RunEvent) => void;
  readonly console: Logger;
  readonly logLevel: LogLevel;
  readonly signal: AbortSignal;
  readonly root: RootScope;
  /** The trials to run (not finished before), in order. */
  readonly todo: readonly Trial[];
  /** More than one trial, or a `sweep:` section: the trackers get a parent run. */
  readonly isSweep: boolean;
  /** Tags of the parent run and every trial's run (version, experiment file, git commit). */
  readonly baseTags: Readonly<Record<string, string>>;
  readonly trackers: SweepTrackers;
  readonly tally: SweepTally;
  /** Calls every tracker (a failure is a warning). */
  track(what: string, fn: (t: TrackerComponent) => Promise<void>): Promise<void>;
  /** The trial finished before with the same config hash and data (resume skips it). */
  finished(t: Trial): boolean;
  /** Records a failed trial; true (and a warning) when --max-failures stops the sweep. */
  fail(trial: string, error: Error): boolean;
}

export async function openSweep(
  exp: LoadedExperiment,
  opts: RunOptions,
  dir: string,
  echo: (level: LogLevel, line: string) => void,
): Promise<SweepRun & { readonly scope: TrialScope }> {
  const emit = opts.onEvent ?? (() => {});
  const logLevel = opts.logLevel ?? 'info';
  const console: Logger = createLogger({ level: logLevel, sink: echo });
  const signal = opts.signal ?? new AbortController().signal;
  const root = new RootScope(opts.registry, console);
  const tally = new SweepTally(opts.maxFailures ?? 10);
  const commit = gitCommit(exp.dir);

  writeSweepRecord(dir, exp);

  const finished = (t: Trial): boolean => {
    const st = readStatus(layout.trialDir(dir, t.name));
    const key = {
      configHash: configHash(t.config),
      data: dataFingerprint(t.config, exp.dir),
      legacyData: () => legacyDataFingerprint(t.config, exp.dir),
    };
    const done = finishedBefore(st, st?.tags[TAGS.configHash], key);
    // recognised through the earlier (size + mtime) fingerprint: restamped in the content form, so a
    // later copy of the same data (new mtimes) still finds it
    if (done && st?.data !== undefined && st.data !== key.data)
      writeJsonAtomic(layout.status(layout.trialDir(dir, t.name)), { ...st, data: key.data });
    return done;
  };
  const todo: Trial[] = [];
  for (const t of exp.trials.filter((x) => !opts.only || opts.only.includes(x.name))) {
    if (!opts.force && finished(t)) tally.skipped.push(t.name);
    else todo.push(t);
  }
  emit({ type: 'sweep-start', experiment: exp.name, dir, trials: exp.trials.length, toRun: todo.length });
  for (const t of tally.skipped)
    emit({ type: 'trial-skip', trial: t, reason: 'finished before (same config)' });

  // Trackers live for the whole sweep (a sweep is one parent run).
  const scope = root.trial();
  const trackers = await SweepTrackers.open({
    registry: opts.registry,
    exp,
    dir,
    scope,
    console,
    echo,
    signal,
    env: opts.env ?? process.env,
    warn: (message) => {
      console.warn(message);
      emit({ type: 'warning', message });
    },
  });
  const baseTags: Record<string, string> = {
    'embrec.version': coreVersion,
    'embrec.experiment_file': exp.file,
  };
  if (commit) baseTags[TAGS.gitCommit] = commit;
  const s = {
    exp,
    opts,
    dir,
    echo,
    emit,
    console,
    logLevel,
    signal,
    root,
    scope,
    todo,
    isSweep: exp.trials.length > 1 || exp.sweep !== undefined,
    baseTags,
    trackers,
    tally,
    track: (what: string, fn: (t: TrackerComponent) => Promise<void>) => trackers.each(what, fn),
    finished,
    fail(trial: string, error: Error): boolean {
      if (!tally.fail(trial, error)) return false;
      emit({ type: 'warning', message: tally.stopped! });
      return true;
    },
  };
  if (s.isSweep && todo.length > 0) {
    await s.track('startSweep', (t) =>
      t.startSweep({
        experiment: exp.name,
        name: exp.name,
        params: { 'sweep.trials': String(exp.trials.length) },
        tags: baseTags,
      }),
    );
  }
  return s;
}

/** Logs the sweep's plots (`onSweepEnd`), ends the parent run, frees the trackers, emits sweep-end. */
export async function closeSweep(s: SweepRun & { readonly scope: TrialScope }): Promise<void> {
  const { exp, dir, tally } = s;
  const ran = s.todo.length > 0;
  if (s.isSweep && s.opts.onSweepEnd && !tally.aborted) {
    try {
      const files = await s.opts.onSweepEnd(exp, dir);
      if (ran) {
        await s.track('logArtifacts', async (t) => {
          for (const f of files) await t.logArtifact(f, `plots/${basename(f)}`);
        });
      }
    } catch (e) {
      const msg = `sweep plots failed: ${(e as Error).message}`;
      s.console.warn(msg);
      s.emit({ type: 'warning', message: msg });
    }
  }
  if (s.isSweep && ran) {
    const status = tally.aborted ? 'KILLED' : tally.failed.length > 0 ? 'FAILED' : 'FINISHED';
    await s.track('endSweep', (t) => t.endSweep(status));
  }
  s.scope.dispose();
  rmSync(join(dir, '.staging', '_sweep'), { recursive: true, force: true });
  s.emit({
    type: 'sweep-end',
    experiment: exp.name,
    dir,
    finished: tally.finished.length,
    failed: tally.failed.length,
    skipped: tally.skipped.length,
  });
}
