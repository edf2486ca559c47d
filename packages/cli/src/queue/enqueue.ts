import { resolve } from 'node:path';
import {
  coreVersion,
  type LoadedExperiment,
  layout,
  readStatus,
  sweepDirOf,
  TAGS,
  UsageError,
} from '@embrec/core';
import { type Job, QueueEvents } from 'bullmq';
import { EXIT, fmt } from '../output.ts';
import { connectionOf, openQueue, probe, QUEUE_NAME } from './connection.ts';
import {
  compatible,
  incompatible,
  jobId,
  jobsOf,
  META_KEY,
  type QueueMeta,
  readMeta,
  type TrialJob,
  type TrialResult,
} from './job.ts';
import { finishedInMlflow } from './mlflow-done.ts';

export interface QueueRunArgs {
  set?: string[] | undefined;
  output?: string | undefined;
  only?: string[] | undefined;
  json: boolean;
  force: boolean;
  'max-failures': number;
  retries?: number | undefined;
  signal: AbortSignal;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

/**
 * `embrec run <file> --queue redis://…`: enqueues the trials not finished yet (job id = experiment
 * + config hash, so a second run adds nothing), then follows them until each finished or failed.
 * Exit 0 when all finished, 1 when some failed (as `embrec run`).
 */
export async function runOnQueue(exp: LoadedExperiment, url: string, args: QueueRunArgs): Promise<number> {
  await probe(url, (l) => say(`⚠ ${l}`));
  const queue = openQueue(url);
  try {
    const redis = await queue.client;
    const meta = await readMeta(redis);
    if (meta && !compatible(meta.version, coreVersion)) throw incompatible(url, meta.version, 'the queue');
    if (meta && meta.experiment !== exp.name) {
      const open = await queue.getJobCounts('waiting', 'active', 'delayed', 'paused', 'prioritized');
      const n = Object.values(open).reduce((a, b) => a + b, 0);
      if (n > 0) {
        throw new UsageError(
          `the queue at ${url} holds ${n} unfinished trial(s) of experiment "${meta.experiment}" (${meta.file}), not "${exp.name}": let its workers finish, or use another Redis database (${url.replace(/\/\d*$/, '')}/1). Nothing was enqueued.`,
        );
      }
    }
    const output = args.output ? resolve(args.output) : undefined;
    const dir = sweepDirOf(exp, output);
    const all = jobsOf(exp, args.set ?? [], output ?? dir.slice(0, dir.length - exp.name.length - 1));
    const mine = all.filter((j) => !args.only || args.only.includes(j.trial));
    const newMeta: QueueMeta = { experiment: exp.name, file: exp.file, version: mine[0]?.version ?? '' };
    await redis.set(META_KEY, JSON.stringify(newMeta));
    const inMlflow = args.force ? new Set<string>() : await finishedInMlflow(exp, (l) => say(`⚠ ${l}`));
    let added = 0;
    let again = 0;
    let done = 0;
    let doneInMlflow = 0;
    const attempts = (args.retries ?? 2) + 1;
    for (const j of mine) {
      const st = readStatus(layout.trialDir(dir, j.trial));
      const inFolder = !args.force && st?.status === 'FINISHED' && st.tags[TAGS.configHash] === j.configHash;
      const mirrored = !inFolder && inMlflow.has(`${j.trial}\0${j.configHash}`);
      const finished = inFolder || mirrored;
      const id = jobId(j.experiment, j.configHash);
      const job = (await queue.getJob(id)) as Job<TrialJob, TrialResult> | undefined;
      if (job) {
        const state = await job.getState();
        if (state === 'failed') {
          await job.retry('failed');
          again++;
        }
        continue;
      }
      if (finished) {
        done++;
        if (mirrored) doneInMlflow++;
        continue;
      }
      await queue.add(j.trial, j, {
        jobId: id,
        attempts,
        backoff: { type: 'fixed', delay: 1000 },
        removeOnComplete: false,
        removeOnFail: false,
      });
      added++;
    }
    say(
      `▶ ${exp.name}: ${mine.length} trial(s) → ${url}: ${added} enqueued, ${again} failed before and enqueued again, ${mine.length - added - again - done} already queued, ${done} finished before${doneInMlflow > 0 ? ` (${doneInMlflow} of them found in MLflow)` : ''} (${dir})`,
    );
    say(`  start workers with: embrec worker --queue ${url}${output ? ` --output ${output}` : ''}`);
    return await follow(queue, url, mine, dir, args);
  } finally {
    await queue.close();
  }
}

async function follow(
  queue: ReturnType<typeof openQueue>,
  url: string,
  jobs: readonly TrialJob[],
  dir: string,
  args: QueueRunArgs,
): Promise<number> {
  const seen = new Map<string, string>();
  const states = new Map<string, string>();
  const byId = new Map(jobs.map((j) => [jobId(j.experiment, j.configHash), j]));
  // the queue's event stream says which jobs changed (no polling of every job while trials run);
  // every 2 s all states are read again, in case an event was lost (a Redis restart)
  const events = new QueueEvents(QUEUE_NAME, { connection: connectionOf(url) });
  events.on('error', () => {});
  const dirty = new Set<string>();
  let wake: (() => void) | undefined;
  const touch = ({ jobId: id }: { jobId: string }) => {
    if (!byId.has(id)) return;
    dirty.add(id);
    wake?.();
  };
  events.on('active', touch);
  events.on('completed', touch);
  events.on('failed', touch);
  events.on('waiting', touch);
  const onAbort = () => wake?.();
  args.signal.addEventListener('abort', onAbort);
  try {
    await events.waitUntilReady();
    let full = true;
    for (;;) {
      if (args.signal.aborted) {
        say('stopped following: the trials stay queued for the workers');
        return 130;
      }
      const ids = full ? [...byId.keys()] : [...dirty];
      dirty.clear();
      await Promise.all(
        ids.map(async (id) => {
          const j = byId.get(id)!;
          const job = (await queue.getJob(id)) as Job<TrialJob, TrialResult> | undefined;
          const state = job ? await job.getState() : 'finished-before';
          states.set(id, state);
          if (seen.get(j.trial) === state) return;
          seen.set(j.trial, state);
          report(j, job, state, args.json);
        }),
      );
      const values = [...states.values()];
      const finished = values.filter((v) => v === 'completed' || v === 'finished-before').length;
      const failed = values.filter((v) => v === 'failed').length;
      if (finished + failed === jobs.length) {
        say(`■ queue: ${finished} finished, ${failed} failed → ${dir} (embrec report ${dir})`);
        return failed > 0 ? EXIT.failure : EXIT.ok;
      }
      full = await new Promise<boolean>((res) => {
        const t = setTimeout(() => res(true), 2000);
        wake = () => {
          clearTimeout(t);
          wake = undefined;
          res(false);
        };
        if (dirty.size > 0 || args.signal.aborted) wake();
      });
    }
  } finally {
    args.signal.removeEventListener('abort', onAbort);
    await events.close();
  }
}

/** One line (or JSON event) when a trial's state changes. */
function report(
  j: TrialJob,
  job: Job<TrialJob, TrialResult> | undefined,
  state: string,
  json: boolean,
): void {
  const event = {
    type: 'trial-state',
    trial: j.trial,
    state,
    result: job?.returnvalue,
    error: job?.failedReason,
  };
  if (json) process.stdout.write(`${JSON.stringify(event)}\n`);
  else if (state === 'completed') {
    const m = Object.entries(job?.returnvalue?.metrics ?? {})
      .slice(0, 8)
      .map(([k, v]) => `${k}=${fmt(v)}`)
      .join('  ');
    say(`✔ ${j.trial}: FINISHED on ${job?.returnvalue?.worker ?? '?'}  ${m}`);
  } else if (state === 'failed')
    say(`✖ ${j.trial}: FAILED after ${job?.attemptsMade ?? '?'} attempt(s)\n${job?.failedReason ?? ''}`);
  else if (state === 'active') say(`● ${j.trial}: running`);
}
