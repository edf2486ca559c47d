import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sweepStaleTemps } from './fs.ts';
import { acquireLock, type Lock } from './lock.ts';
import { writeMarker } from './marker.ts';

/**
 * Opens a sweep folder for a run: marks it as embrec's, takes its lock (one run per folder), and
 * removes what dead runs left: temporaries of dead processes and `.staging` folders (with the lock
 * held, no trial of another run can be staging there).
 */
export function openSweepDir(dir: string, say: (line: string) => void): Lock {
  mkdirSync(dir, { recursive: true });
  const lock = acquireLock(dir, (h) =>
    say(`removing a stale lock of pid ${h.pid} on ${h.host} (started ${h.startedAt}; the process is gone)`),
  );
  try {
    writeMarker(dir, 'sweep');
    const removed = sweepStaleTemps(dir);
    const staging = join(dir, '.staging');
    let left: string[] = [];
    try {
      left = readdirSync(staging);
    } catch {
      // no staging folder yet
    }
    for (const n of left) rmSync(join(staging, n), { recursive: true, force: true });
    if (removed.length + left.length > 0)
      say(`removed ${removed.length + left.length} temporary file(s) left by an earlier run in ${dir}`);
  } catch (e) {
    lock.release();
    throw e;
  }
  return lock;
}
