import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { coreVersion } from '@embrec/core';

/** Tag keys (core's: status.json carries them too) and the hash of a flattened config. */
export { paramsHash as configHash, TAGS } from '@embrec/core';

/** The embrec version runs are tagged with (the one version constant of @embrec/core). */
export function embrecVersion(): string {
  return coreVersion;
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
