import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import {
  configHash,
  coreVersion,
  formatError,
  type LogLevel,
  layout,
  runExperiment,
  sweepDirOf,
} from '@embrec/core';
import { MARKER_FILE } from '@embrec/mlflow';
import { DelayedError, type Job, Worker } from 'bullmq';
import { load } from '../commands/common.ts';
import { writeAttempts } from './attempts.ts';
import { connectionOf, openQueue, probe, QUEUE_NAME } from './connection.ts';
import { compatible, incompatible, readMeta, sha256, type TrialJob, type TrialResult } from './job.ts';
import { type Lease, leaseMs, waitLease } from './lease.ts';
import { mirrorPerUser, tagBaseline } from './mirror.ts';
import { warmUp } from './warm-up.ts';

export interface WorkerOptions {
  readonly url: string;
  readonly concurrency: number;
  /** The shared output folder; the job's own (the enqueuer's) when not given. */
  readonly output?: string | undefined;
  readonly signal: AbortSignal;
  readonly say: (line: string) => void;
  readonly logLevel?: LogLevel;
}

/** Finds the experiment file on this machine: relative to the current folder first, then as given. */
function experimentFile(j: TrialJob): string {
  for (const f of [resolve(j.fileRel), j.file]) {
    if (!existsSync(f)) continue;
    if (sha256(f) !== j.sha256)
      throw new Error(
        `the experiment file ${f} on ${hostname()} differs from the one the trials were enqueued from (${j.file}, sha256 ${j.sha256.slice(0, 12)}…): check out the same version on every machine`,
      );
    return f;
  }
  throw new Error(
    `the experiment file ${j.fileRel} (enqueued as ${j.file}) is not on ${hostname()} (working folder ${process.cwd()}): start embrec worker in a checkout holding it`,
  );
}

const loaded = new Map<string, ReturnType<typeof load>>();

/**
 * The experiment of a job, loaded once per worker for each file version (sha256) and --set list:
 * the trials of one sweep share it, so a trial does not pay the file's parsing, plugin resolution
 * and validation again. A failed load is not kept.
 */
function loadCached(file: string, j: TrialJob): ReturnType<typeof load> {
  const key = JSON.stringify([file, j.sha256, j.set]);
  let p = loaded.get(key);
  if (!p) {
    p = load({ file, set: [...j.set] });
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

/** Runs one queued trial into the shared folder under a per-trial lease; throws when it failed. */
async function runJob(job: Job<TrialJob, TrialResult>, o: WorkerOptions): Promise<TrialResult> {
  const j = job.data;
  const file = experimentFile(j);
  const { exp, registry } = await loadCached(file, j);
  const trial = exp.trials.find((t) => t.name === j.trial);
  if (!trial) throw new Error(`experiment ${exp.name} (${file}) has no trial "${j.trial}" on ${hostname()}`);
  if (configHash(trial.config) !== j.configHash)
    throw new Error(
      `trial ${j.trial} resolves to another config on ${hostname()} (config hash ${configHash(trial.config)}, enqueued ${j.configHash}): plugins or embrec differ between machines`,
    );
  const output = o.output ? resolve(o.output) : j.output;
  if (output && isAbsolute(output) && !o.output && !existsSync(output))
    throw new Error(
      `the output folder ${output} (from the enqueuing machine) does not exist on ${hostname()}: give the worker --output <shared folder>`,
    );
  const dir = sweepDirOf(exp, output);
  const lease = await waitLease(dir, trial.name, o.signal);
  if (!lease) throw new Error('worker stopping');
  const parent = await firstTracked(dir, trial.config.trackers.length > 0, o.signal);
  const log: string[] = [];
  try {
    const out = await runExperiment(exp, {
      registry,
      only: [trial.name],
      claim: () => lease,
      ...(output ? { output } : {}),
      maxFailures: 1,
      progress: 'none',
      logLevel: o.logLevel ?? 'warn',
      // no abort signal: a stopping worker finishes its running trials (a second Ctrl-C quits at once)
      echo: (_l, line) => log.push(line),
    });
    const failed = out.failed[0];
    if (failed) {
      writeAttempts(layout.trialDir(dir, trial.name), job.attemptsMade + 1);
      throw new Error(formatError(failed.error));
    }
    if (out.aborted) throw new Error(`worker on ${hostname()} stopped during the trial`);
    const metrics = out.metrics[trial.name] ?? readMetrics(layout.trialDir(dir, trial.name));
    if (out.finished.includes(trial.name)) {
      await mirrorPerUser(layout.trialDir(dir, trial.name), (l) => o.say(`⚠ ${l}`));
      await tagBaseline(dir, exp.sweep?.baseline, (l) => o.say(`⚠ ${l}`));
    }
    return {
      metrics,
      dir: layout.trialDir(dir, trial.name),
      worker: `${hostname()}:${process.pid}`,
      skipped: out.skipped.includes(trial.name),
    };
  } finally {
    parent?.release();
    lease.release();
  }
}

/**
 * While a tracked sweep has no MLflow parent run yet (no marker in its folder), the workers run its
 * first trials one at a time, so that exactly one of them makes the parent and the others find it.
 */
async function firstTracked(dir: string, trackers: boolean, signal: AbortSignal): Promise<Lease | undefined> {
  const tracked = trackers || (process.env.MLFLOW_TRACKING_URI ?? '').trim() !== '';
  if (!tracked || existsSync(join(dir, MARKER_FILE))) return undefined;
  const l = await waitLease(dir, '_mlflow-parent', signal);
  if (l && existsSync(join(dir, MARKER_FILE))) {
    l.release();
    return undefined;
  }
  return l;
}

function readMetrics(trialDir: string): Record<string, number> {
  try {
    return (JSON.parse(readFileSync(layout.metrics(trialDir), 'utf8')) as { values: Record<string, number> })
      .values;
  } catch {
    return {};
  }
}

/**
 * `embrec worker`: takes trials from the queue and runs them until stopped (SIGINT/SIGTERM finish
 * the running trials' current step and leave the rest queued). A trial whose worker died is taken
 * over by another once its BullMQ lock expires (stalled job); a failing trial is retried by BullMQ
 * up to its attempts, then marked failed with its error.
 */
export async function runWorker(o: WorkerOptions): Promise<void> {
  const t0 = performance.now();
  await probe(o.url, (l) => o.say(`⚠ ${l}`));
  const queue = openQueue(o.url);
  const meta = await readMeta(await queue.client);
  await queue.close();
  if (meta && !compatible(meta.version, coreVersion)) throw incompatible(o.url, meta.version, 'the queue');
  // the backend and one tiny trial before taking jobs: a worker's first trial pays no cold start
  const warm = await warmUp();
  let fatal: Error | undefined;
  const lock = leaseMs();
  const worker = new Worker<TrialJob, TrialResult>(
    QUEUE_NAME,
    async (job, token) => {
      if (!compatible(job.data.version, coreVersion)) {
        // give the trial back untouched, and stop: this worker cannot run it
        fatal = incompatible(o.url, job.data.version, `trial ${job.data.trial} on the queue`);
        await job.moveToDelayed(Date.now() + 5000, token);
        void worker.close();
        throw new DelayedError();
      }
      o.say(`● ${job.data.experiment}/${job.data.trial}: running (attempt ${job.attemptsMade + 1})`);
      const r = await runJob(job, o);
      o.say(`✔ ${job.data.experiment}/${job.data.trial}: ${r.skipped ? 'finished before' : 'FINISHED'}`);
      return r;
    },
    {
      connection: connectionOf(o.url),
      concurrency: o.concurrency,
      lockDuration: lock,
      stalledInterval: Math.max(1000, Math.floor(lock / 2)),
      maxStalledCount: 5,
    },
  );
  worker.on('failed', (job, err) => {
    if (job && !(err instanceof DelayedError))
      o.say(`✖ ${job.data.experiment}/${job.data.trial}: attempt ${job.attemptsMade} failed: ${err.message}`);
  });
  worker.on('error', (e) => o.say(`⚠ queue: ${e.message}`));
  // connected, its scripts loaded: from here a trial costs only itself
  await worker.waitUntilReady().catch(() => undefined);
  o.say(
    `worker ${hostname()}:${process.pid} on ${o.url} (concurrency ${o.concurrency}; ready in ${((performance.now() - t0) / 1000).toFixed(1)} s, warm-up ${(warm / 1000).toFixed(1)} s)`,
  );
  await new Promise<void>((res) => {
    if (o.signal.aborted) res();
    o.signal.addEventListener('abort', () => res(), { once: true });
    worker.on('closed', () => res());
  });
  await worker.close();
  if (fatal) throw fatal;
}
