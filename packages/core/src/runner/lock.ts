import { linkSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EmbrecError } from '../errors.ts';
import { pidAlive, tempSibling, writeFileAtomic } from './fs.ts';

/** Who holds a lock: written into the lock file. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

export interface Lock {
  readonly path: string;
  release(): void;
}

export const LOCK_FILE = '.embrec-lock';

/** Another live process holds the folder's lock. Exit code 2 in the CLI. */
export class LockedError extends EmbrecError {
  readonly holder: LockHolder | undefined;
  constructor(path: string, holder: LockHolder | undefined) {
    super(
      'E_LOCKED',
      holder
        ? `${path} is held by pid ${holder.pid} on ${holder.host} since ${holder.startedAt}: another embrec run is using this sweep folder (wait for it, or stop it; a lock whose process died is taken over). To run several processes on one folder, give each a shard: embrec run <file> --shard 1/3, --shard 2/3, … (or use a queue: --queue redis://HOST:PORT with embrec worker)`
        : `${path} is held by another embrec run (its lock file cannot be read): remove it if no run is using this sweep folder`,
    );
    this.name = 'LockedError';
    this.holder = holder;
  }
}

function linkBack(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    // a third run holds it now: it stays theirs
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock file `<dir>/.embrec-lock` (pid, host, start time). The file appears with its
 * content in one step (a temporary file hard-linked into place, which fails when one exists). A lock
 * held by a dead process on this host is stale and taken over (`onStale` is told); a lock held by a
 * live process, or by another host, throws LockedError.
 */
export function acquireLock(dir: string, onStale?: (holder: LockHolder) => void): Lock {
  const path = join(dir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  const tmp = tempSibling(path);
  writeFileAtomic(tmp, `${JSON.stringify(me)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, path);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = readHolder(path);
      const stale = holder !== undefined && holder.host === me.host && !pidAlive(holder.pid);
      if (!stale || attempt > 2) throw new LockedError(path, holder);
      // move the stale lock aside, and put it back if it changed meanwhile (another run took it over)
      const grave = tempSibling(path, 'old');
      renameSync(path, grave);
      const moved = readHolder(grave);
      if (moved?.pid === holder.pid && moved.startedAt === holder.startedAt) onStale?.(holder);
      else linkBack(grave, path);
      rmSync(grave, { force: true });
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  let released = false;
  return {
    path,
    release: () => {
      if (released) return;
      released = true;
      if (readHolder(path)?.pid === me.pid) rmSync(path, { force: true });
    },
  };
}
