import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { LoadedExperiment, Trial } from '../config/load.ts';
import type { TrialConfig } from '../config/sections.ts';
import type { EmbrecError } from '../errors.ts';
import { RootScope } from '../plugin/container.ts';
import type { TrackerComponent } from '../plugin/kinds.ts';
import type { Registry } from '../plugin/registry.ts';
import { createLogger, type Logger, type LogLevel } from '../util/log.ts';
import { coreVersion } from '../version.ts';
import { checkpointKey, dataFingerprint, finishedBefore } from './checkpoint-key.ts';
import { type TrialEnv, trialLogger } from './context.ts';
import type { RunEvent } from './events.ts';
import { writeJsonAtomic } from './fs.ts';
import { layout, readStatus, type TrialStatus } from './layout.ts';
import { writeMarker } from './marker.ts';
import type { ProgressMode } from './progress.ts';
import { flattenParams, paramsHash, phaseMetrics, TAGS } from './run-names.ts';
import type { RecommendationSample } from './samples.ts';
import { openSweepDir } from './sweep-dir.ts';
import { executeTrial } from './sweep-trial.ts';
import {
  configHash,
  defaultSetupBackend,
  formatError,
  gitCommit,
  sweepDirOf,
  writeSweepRecord,
} from './sweep-util.ts';
import { SweepTrackers } from './trackers.ts';
import { commitTrial, stageTrial, trialFolderRefusal } from './trial-folder.ts';

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

export interface SweepOutcome {
  readonly dir: string;
  readonly finished: string[];
  readonly failed: { trial: string; error: EmbrecError | Error }[];
  readonly skipped: string[];
  readonly aborted: boolean;
  readonly metrics: Record<string, Record<string, number>>;
  /** Why the sweep stopped before its end (the --max-failures circuit breaker). */
  readonly stopped?: string;
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
  const registry = opts.registry;
  const emit = opts.onEvent ?? (() => {});
  const logLevel = opts.logLevel ?? 'info';
  const console: Logger = createLogger({ level: logLevel, sink: echo });
  const signal = opts.signal ?? new AbortController().signal;
  const maxFailures = opts.maxFailures ?? 10;
  const root = new RootScope(registry, console);
  const commit = gitCommit(exp.dir);

  writeSweepRecord(dir, exp);

  const selected = exp.trials.filter((t) => !opts.only || opts.only.includes(t.name));
  const todo: Trial[] = [];
  const skipped: string[] = [];
  const done = (t: Trial): boolean => {
    const st = readStatus(layout.trialDir(dir, t.name));
    const key = { configHash: configHash(t.config), data: dataFingerprint(t.config, exp.dir) };
    return finishedBefore(st, st?.tags[TAGS.configHash], key);
  };
  for (const t of selected) {
    if (!opts.force && done(t)) skipped.push(t.name);
    else todo.push(t);
  }
  emit({ type: 'sweep-start', experiment: exp.name, dir, trials: exp.trials.length, toRun: todo.length });
  for (const t of skipped) emit({ type: 'trial-skip', trial: t, reason: 'finished before (same config)' });

  // Trackers live for the whole sweep (a sweep is one parent run).
  const sweepScope = root.trial();
  const trackers = await SweepTrackers.open({
    registry,
    exp,
    dir,
    scope: sweepScope,
    console,
    echo,
    signal,
    env: opts.env ?? process.env,
    warn: (message) => {
      console.warn(message);
      emit({ type: 'warning', message });
    },
  });
  const track = (what: string, fn: (t: TrackerComponent) => Promise<void>) => trackers.each(what, fn);
  const isSweep = exp.trials.length > 1 || exp.sweep !== undefined;
  const baseTags: Record<string, string> = {
    'embrec.version': coreVersion,
    'embrec.experiment_file': exp.file,
  };
  if (commit) baseTags[TAGS.gitCommit] = commit;
  if (isSweep && todo.length > 0) {
    await track('startSweep', (t) =>
      t.startSweep({
        experiment: exp.name,
        name: exp.name,
        params: { 'sweep.trials': String(exp.trials.length) },
        tags: baseTags,
      }),
    );
  }

  const finished: string[] = [];
  const failed: { trial: string; error: Error }[] = [];
  const metrics: Record<string, Record<string, number>> = {};
  const samples: Record<string, readonly RecommendationSample[]> = {};
  let aborted = false;
  let stopped: string | undefined;
  /** Records a failed trial; true when the circuit breaker trips. */
  const fail = (trial: string, error: Error): boolean => {
    failed.push({ trial, error });
    if (failed.length < maxFailures) return false;
    stopped = `stopping the sweep: ${failed.length} trials failed (--max-failures ${maxFailures})`;
    emit({ type: 'warning', message: stopped });
    return true;
  };
  for (let i = 0; i < todo.length; i++) {
    const trial = todo[i]!;
    if (signal.aborted) {
      aborted = true;
      break;
    }
    const lease = opts.claim?.(dir, trial.name);
    if (opts.claim && !lease) {
      skipped.push(trial.name);
      emit({ type: 'trial-skip', trial: trial.name, reason: 'another process holds its lease' });
      continue;
    }
    try {
      if (lease && !opts.force && done(trial)) {
        skipped.push(trial.name);
        emit({ type: 'trial-skip', trial: trial.name, reason: 'finished by another process' });
        continue;
      }
      if (await runOne(trial, i)) break;
    } finally {
      lease?.release();
    }
  }
  /** Runs one trial; true when the sweep must stop (interrupted, or the circuit breaker). */
  async function runOne(trial: Trial, i: number): Promise<boolean> {
    emit({ type: 'trial-start', trial: trial.name, index: i + 1, total: todo.length });
    const refusal = trialFolderRefusal(dir, trial.name);
    if (refusal) {
      const error = formatError(refusal);
      emit({ type: 'trial-end', trial: trial.name, status: 'FAILED', metrics: {}, error });
      return fail(trial.name, refusal);
    }
    const staging = layout.stagingDir(dir, trial.name);
    stageTrial(staging);
    const params = flattenParams(trial.config);
    const hash = paramsHash(params);
    const tags: Record<string, string> = {
      ...baseTags,
      [TAGS.trial]: trial.name,
      [TAGS.configHash]: hash,
    };
    const env: TrialEnv = {
      trial: trial.name,
      seed: trial.config.seed,
      threads: trial.config.threads,
      configDir: exp.dir,
      stagingDir: staging,
      checkpointDir: layout.checkpointDir(dir, trial.name),
      signal,
      progress: opts.progress ?? 'lines',
      logLevel,
      echo,
      onMetrics: (values, step) => {
        void track('logMetrics', (t) => t.logMetrics(phaseMetrics('valid', values), step));
      },
    };
    const log = trialLogger(env);
    const key = checkpointKey(hash, dataFingerprint(trial.config, exp.dir));
    if (trackers.size > 0) writeMarker(layout.trialDir(dir, trial.name), 'trial'); // trackers keep state there
    await track('startTrial', (t) =>
      t.startTrial({
        experiment: exp.name,
        name: trial.name,
        params,
        tags,
        dir: layout.trialDir(dir, trial.name),
      }),
    );
    const startTime = Date.now();
    const result = await executeTrial({
      trial,
      file: exp.file,
      registry,
      root,
      env,
      log,
      params,
      key,
      force: opts.force === true,
      onStage: (stage, ms) => {
        log.info(`stage ${stage}: ${(ms / 1000).toFixed(2)} s`);
        emit({ type: 'stage', trial: trial.name, stage, ms });
      },
      setupBackend: opts.setupBackend ?? defaultSetupBackend,
    });
    let { status, error } = result;
    if (result.out) {
      metrics[trial.name] = result.out.metrics;
      samples[trial.name] = result.out.samples;
      const values = result.out.metrics;
      await track('logMetrics', (t) => t.logMetrics(phaseMetrics('test', values)));
    }
    const st: TrialStatus = { status, startTime, endTime: Date.now(), tags, data: key.data };
    if (error && status === 'FAILED') st.error = formatError(error);
    if (status === 'KILLED') {
      try {
        writeJsonAtomic(layout.status(staging), st);
      } catch {
        // the staging folder of an interrupted trial is removed at the next start anyway
      }
      // An interrupted trial is not promoted: its folder would be incomplete. Checkpoints remain.
      await track('endTrial', (t) => t.endTrial('KILLED'));
      emit({ type: 'trial-end', trial: trial.name, status, metrics: {} });
      aborted = true;
      return true;
    }
    await track('logArtifacts', async (t) => {
      for (const f of ['config.json', 'metrics.json', 'stages.json', 'logs.txt']) {
        if (existsSync(join(staging, f))) await t.logArtifact(join(staging, f), f);
      }
      if (existsSync(layout.artifacts(staging))) await t.logArtifact(layout.artifacts(staging), 'artifacts');
    });
    const lost = commitTrial(staging, layout.trialDir(dir, trial.name), st);
    if (lost) {
      status = 'FAILED';
      error ??= lost;
      delete metrics[trial.name];
    }
    await track('endTrial', (t) => t.endTrial(status === 'FINISHED' ? 'FINISHED' : 'FAILED'));
    if (status === 'FINISHED') finished.push(trial.name);
    emit(
      error
        ? {
            type: 'trial-end',
            trial: trial.name,
            status,
            metrics: metrics[trial.name] ?? {},
            error: formatError(error),
          }
        : {
            type: 'trial-end',
            trial: trial.name,
            status,
            metrics: metrics[trial.name] ?? {},
            samples: samples[trial.name] ?? [],
          },
    );
    return status !== 'FINISHED' && fail(trial.name, error!);
  }
  if (isSweep && opts.onSweepEnd && !aborted) {
    try {
      const files = await opts.onSweepEnd(exp, dir);
      if (todo.length > 0) {
        await track('logArtifacts', async (t) => {
          for (const f of files) await t.logArtifact(f, `plots/${basename(f)}`);
        });
      }
    } catch (e) {
      const msg = `sweep plots failed: ${(e as Error).message}`;
      console.warn(msg);
      emit({ type: 'warning', message: msg });
    }
  }
  if (isSweep && todo.length > 0) {
    await track('endSweep', (t) =>
      t.endSweep(aborted ? 'KILLED' : failed.length > 0 ? 'FAILED' : 'FINISHED'),
    );
  }
  sweepScope.dispose();
  rmSync(join(dir, '.staging', '_sweep'), { recursive: true, force: true });
  emit({
    type: 'sweep-end',
    experiment: exp.name,
    dir,
    finished: finished.length,
    failed: failed.length,
    skipped: skipped.length,
  });
  return stopped
    ? { dir, finished, failed, skipped, aborted, metrics, stopped }
    : { dir, finished, failed, skipped, aborted, metrics };
}
