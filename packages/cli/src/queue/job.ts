import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { configHash, coreVersion, type LoadedExperiment, UsageError } from '@embrec/core';
import { QUEUE_NAME } from './connection.ts';

/** What a queued trial carries: enough for a worker on another machine to run it and check it. */
export interface TrialJob {
  /** @embrec/core version of the process that enqueued it. */
  readonly version: string;
  readonly experiment: string;
  /** The experiment file: as given (absolute), relative to the enqueuer's folder, and its sha256. */
  readonly file: string;
  readonly fileRel: string;
  readonly sha256: string;
  readonly set: readonly string[];
  /** The output folder (absolute); a worker's --output replaces it. */
  readonly output: string | undefined;
  readonly trial: string;
  readonly configHash: string;
}

/** What a finished job returns. */
export interface TrialResult {
  readonly metrics: Record<string, number>;
  readonly dir: string;
  readonly worker: string;
  readonly skipped: boolean;
}

/** The queue's owner: which experiment its trials belong to (one sweep per Redis database). */
export interface QueueMeta {
  readonly experiment: string;
  readonly file: string;
  readonly version: string;
}

export const META_KEY = `embrec:${QUEUE_NAME}:meta`;

/** BullMQ job ids may not contain ':' — experiment names can. */
export function jobId(experiment: string, hash: string): string {
  return `${experiment.replace(/[^A-Za-z0-9._-]/g, '_')}--${hash}`;
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export function jobsOf(
  exp: LoadedExperiment,
  set: readonly string[],
  output: string | undefined,
): TrialJob[] {
  const digest = sha256(exp.file);
  return exp.trials.map((t) => ({
    version: coreVersion,
    experiment: exp.name,
    file: exp.file,
    fileRel: relative(process.cwd(), exp.file),
    sha256: digest,
    set,
    output,
    trial: t.name,
    configHash: configHash(t.config),
  }));
}

/** 0.x: the minor version must match; from 1.0 the major. */
export function compatible(a: string, b: string): boolean {
  const [am, an] = a.split('.');
  const [bm, bn] = b.split('.');
  return am === bm && (am !== '0' || an === bn);
}

export async function readMeta(redis: {
  get(key: string): Promise<string | null>;
}): Promise<QueueMeta | undefined> {
  const raw = await redis.get(META_KEY);
  return raw ? (JSON.parse(raw) as QueueMeta) : undefined;
}

export function incompatible(url: string, theirs: string, what: string): UsageError {
  return new UsageError(
    `${what} at ${url} was made by embrec ${theirs}; this is embrec ${coreVersion}, which cannot run its trials. Install embrec ${theirs} on this machine (the queue keeps the trials: nothing was taken).`,
  );
}
