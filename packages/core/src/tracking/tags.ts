import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

/** Tag keys embrec sets on MLflow runs (MLflow's own `mlflow.*` tags where one exists). */
export const TAGS = {
  kind: 'embrec.kind', // "sweep" | "trial"
  sweep: 'embrec.sweep',
  trial: 'embrec.trial',
  baseline: 'embrec.baseline',
  version: 'embrec.version',
  configHash: 'embrec.config_hash',
  /** A stable identity of the run folder: sync finds the run again even without mlflow.json. */
  runKey: 'embrec.runKey',
  gitCommit: 'mlflow.source.git.commit',
  parentRunId: 'mlflow.parentRunId',
} as const;

let version: string | undefined;

/** @embrec/core's version (read from its package.json, so tracking does not import the package index). */
export function embrecVersion(): string {
  version ??= (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  return version;
}

/** A short, order-independent hash of a flattened config. */
export function configHash(params: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(params)
    .sort()
    .map((k) => [k, params[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 12);
}

/** The identity of a sweep (`trial` omitted) or of one of its trials, stable across machines. */
export function runKey(sweep: { name: string; createdAt: string | number }, trial?: string): string {
  const parts = [sweep.name, String(sweep.createdAt), ...(trial === undefined ? [] : [trial])];
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}

const commits = new Map<string, string | undefined>();

/** The git commit of the repository containing `dir`, if any (cached per folder). */
export function gitCommit(dir: string): string | undefined {
  if (commits.has(dir)) return commits.get(dir);
  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    if (!/^[0-9a-f]{40,64}$/.test(commit)) commit = undefined;
  } catch {
    commit = undefined;
  }
  commits.set(dir, commit);
  return commit;
}
