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
import type { Job } from 'bullmq';
import { EXIT, fmt } from '../output.ts';
import { openQueue, probe } from './connection.ts';
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
    let added = 0;
    let again = 0;
    let done = 0;
    const attempts = (args.retries ?? 2) + 1;
    for (const j of mine) {
      const st = readStatus(layout.trialDir(dir, j.trial));
      const finished = !args.force && st?.status === 'FINISHED' && st.tags[TAGS.configHash] === j.configHash;
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
      `▶ ${exp.name}: ${mine.length} trial(s) → ${url}: ${added} enqueued, ${again} failed before and enqueued again, ${mine.length - added - again - done} already queued, ${done} finished before (${dir})`,
    );
    say(`  start workers with: embrec worker --queue ${url}${output ? ` --output ${output}` : ''}`);
    return await follow(queue, mine, dir, args);
  } finally {
    await queue.close();
  }
}

async function follow(
  queue: ReturnType<typeof openQueue>,
  jobs: readonly TrialJob[],
  dir: string,
  args: QueueRunArgs,
): Promise<number> {
  const seen = new Map<string, string>();
  let finished = 0;
  let failed = 0;
  for (;;) {
    if (args.signal.aborted) {
      say('stopped following: the trials stay queued for the workers');
      return 130;
    }
    const states = await Promise.all(
      jobs.map(async (j) => {
        const job = (await queue.getJob(jobId(j.experiment, j.configHash))) as
          | Job<TrialJob, TrialResult>
          | undefined;
        return { j, job, state: job ? await job.getState() : 'finished-before' };
      }),
    );
    finished = 0;
    failed = 0;
    for (const { j, job, state } of states) {
      if (state === 'completed' || state === 'finished-before') finished++;
      if (state === 'failed') failed++;
      if (seen.get(j.trial) === state) continue;
      seen.set(j.trial, state);
      const event = {
        type: 'trial-state',
        trial: j.trial,
        state,
        result: job?.returnvalue,
        error: job?.failedReason,
      };
      if (args.json) process.stdout.write(`${JSON.stringify(event)}\n`);
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
    if (finished + failed === jobs.length) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  say(`■ queue: ${finished} finished, ${failed} failed → ${dir} (embrec report ${dir})`);
  return failed > 0 ? EXIT.failure : EXIT.ok;
}
