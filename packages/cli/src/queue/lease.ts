import { linkSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pidAlive, writeFileAtomic } from '@embrec/core';

/**
 * Per-trial leases on a shared sweep folder: `<sweep>/.leases/<trial>.json` names the holder (host,
 * pid) and when the lease expires. The holder renews it while the trial runs; another process takes
 * it over once it expired (or at once when the holder is a dead process on the same host). The file
 * appears with its content in one step (a temporary file hard-linked into place, which fails when one
 * exists), so two processes never both hold a trial.
 */
export interface LeaseHolder {
  readonly host: string;
  readonly pid: number;
  readonly token: string;
  readonly expiresAt: number;
}

export interface Lease {
  readonly path: string;
  release(): void;
}

/** Lease length; renewed every third of it. EMBREC_LEASE_MS overrides (tests shorten it). */
export function leaseMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.EMBREC_LEASE_MS);
  return Number.isFinite(v) && v >= 200 ? v : 60_000;
}

function read(path: string): LeaseHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as LeaseHolder;
    return typeof h.pid === 'number' && typeof h.expiresAt === 'number' ? h : undefined;
  } catch {
    return undefined;
  }
}

let counter = 0;

/** Takes the lease of one trial, or returns undefined when a live process holds it. */
export function tryLease(sweepDir: string, trial: string, ttl = leaseMs()): Lease | undefined {
  const dir = join(sweepDir, '.leases');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${trial}.json`);
  const token = `${hostname()}-${process.pid}-${Date.now()}-${counter++}`;
  const me = (): LeaseHolder => ({ host: hostname(), pid: process.pid, token, expiresAt: Date.now() + ttl });
  const tmp = `${path}.${token}.tmp`;
  writeFileAtomic(tmp, JSON.stringify(me()));
  let taken = false;
  try {
    for (let attempt = 0; attempt < 3 && !taken; attempt++) {
      try {
        linkSync(tmp, path);
        taken = true;
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const h = read(path);
      const free =
        h === undefined
          ? false
          : h.expiresAt < Date.now() || (h.host === hostname() && h.pid !== process.pid && !pidAlive(h.pid));
      if (!free) return undefined;
      // move the expired lease aside; put it back when it changed meanwhile (renewed or taken over)
      const grave = `${path}.${token}.old`;
      try {
        renameSync(path, grave);
      } catch {
        continue; // another process moved it first
      }
      const moved = read(grave);
      if (moved?.token !== h?.token) {
        try {
          linkSync(grave, path);
        } catch {
          // a third process holds it now
        }
      }
      rmSync(grave, { force: true });
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  if (!taken) return undefined;
  const timer = setInterval(
    () => {
      if (read(path)?.token === token) writeFileAtomic(path, JSON.stringify(me()));
    },
    Math.max(100, Math.floor(ttl / 3)),
  );
  timer.unref();
  let released = false;
  return {
    path,
    release: () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      if (read(path)?.token === token) rmSync(path, { force: true });
    },
  };
}

/** Waits (polling) until the trial's lease can be taken: a crashed holder's lease expires. */
export async function waitLease(
  sweepDir: string,
  trial: string,
  signal?: AbortSignal,
  ttl = leaseMs(),
): Promise<Lease | undefined> {
  for (;;) {
    const l = tryLease(sweepDir, trial, ttl);
    if (l || signal?.aborted) return l;
    await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(50, ttl / 10))));
  }
}
