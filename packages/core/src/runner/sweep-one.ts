/**
 * One trial of a running sweep, from its trial-start event to its trial-end: the staging folder,
 * the trackers' nested run (params, tags, per-epoch `valid.` and final `test.` metrics, artifacts),
 * `executeTrial` (sweep-trial.ts), then the promotion of the staging folder into place
 * (trial-folder.ts). An interrupted trial is not promoted; its checkpoints remain.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Trial } from '../config/load.ts';
import { checkpointKey, dataFingerprint, legacyDataFingerprint } from './checkpoint-key.ts';
import { type TrialEnv, trialLogger } from './context.ts';
import { writeJsonAtomic } from './fs.ts';
import { layout, type TrialStatus } from './layout.ts';
import { writeMarker } from './marker.ts';
import { flattenParams, paramsHash, phaseMetrics, TAGS } from './run-names.ts';
import type { SweepRun } from './sweep-run.ts';
import { executeTrial } from './sweep-trial.ts';
import { defaultSetupBackend, formatError } from './sweep-util.ts';
import { commitTrial, stageTrial, trialFolderRefusal } from './trial-folder.ts';

/** Files of a trial folder the trackers get as artifacts (besides `artifacts/`). */
const LOGGED_FILES = ['config.json', 'metrics.json', 'stages.json', 'logs.txt'];

/** Runs the `i`-th trial to run; true when the sweep must stop (interrupted, or the circuit breaker). */
export async function runSweepTrial(s: SweepRun, trial: Trial, i: number): Promise<boolean> {
  const { exp, dir, emit, tally, track } = s;
  emit({ type: 'trial-start', trial: trial.name, index: i + 1, total: s.todo.length });
  const refusal = trialFolderRefusal(dir, trial.name);
  if (refusal) {
    const error = formatError(refusal);
    emit({ type: 'trial-end', trial: trial.name, status: 'FAILED', metrics: {}, error });
    return s.fail(trial.name, refusal);
  }
  const staging = layout.stagingDir(dir, trial.name);
  stageTrial(staging);
  const params = flattenParams(trial.config);
  const hash = paramsHash(params);
  const tags: Record<string, string> = {
    ...s.baseTags,
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
    signal: s.signal,
    progress: s.opts.progress ?? 'lines',
    logLevel: s.logLevel,
    echo: s.echo,
    onMetrics: (values, step) => {
      void track('logMetrics', (t) => t.logMetrics(phaseMetrics('valid', values), step));
    },
  };
  const log = trialLogger(env);
  const key = checkpointKey(hash, dataFingerprint(trial.config, exp.dir));
  if (s.trackers.size > 0) writeMarker(layout.trialDir(dir, trial.name), 'trial'); // trackers keep state there
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
    registry: s.opts.registry,
    root: s.root,
    env,
    log,
    params,
    key,
    legacyData: () => legacyDataFingerprint(trial.config, exp.dir),
    force: s.opts.force === true,
    onStage: (stage, ms) => {
      log.info(`stage ${stage}: ${(ms / 1000).toFixed(2)} s`);
      emit({ type: 'stage', trial: trial.name, stage, ms });
    },
    setupBackend: s.opts.setupBackend ?? defaultSetupBackend,
  });
  let { status, error } = result;
  if (result.out) {
    tally.metrics[trial.name] = result.out.metrics;
    tally.samples[trial.name] = result.out.samples;
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
    tally.aborted = true;
    return true;
  }
  await track('logArtifacts', async (t) => {
    for (const f of LOGGED_FILES) if (existsSync(join(staging, f))) await t.logArtifact(join(staging, f), f);
    if (existsSync(layout.artifacts(staging))) await t.logArtifact(layout.artifacts(staging), 'artifacts');
  });
  const lost = commitTrial(staging, layout.trialDir(dir, trial.name), st);
  if (lost) {
    status = 'FAILED';
    error ??= lost;
    delete tally.metrics[trial.name];
  }
  await track('endTrial', (t) => t.endTrial(status === 'FINISHED' ? 'FINISHED' : 'FAILED'));
  if (status === 'FINISHED') tally.finished.push(trial.name);
  const metrics = tally.metrics[trial.name] ?? {};
  emit(
    error
      ? { type: 'trial-end', trial: trial.name, status, metrics, error: formatError(error) }
      : { type: 'trial-end', trial: trial.name, status, metrics, samples: tally.samples[trial.name] ?? [] },
  );
  return status !== 'FINISHED' && s.fail(trial.name, error!);
}
