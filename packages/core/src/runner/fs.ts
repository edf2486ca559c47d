import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { EmbrecError } from '../errors.ts';
import { assertReplaceable } from './marker.ts';

/**
 * The one atomic writer. A file is written to a temporary sibling `.<name>.tmp-<pid>-<hex>`, fsynced
 * and renamed over the target; a folder is filled in `.<name>.tmp-<pid>-<hex>` and renamed into place.
 * A failed write removes its temporary file and throws a WriteError naming the path; temporaries left
 * by a killed process are removed by `sweepStaleTemps` at the next start.
 */
export class WriteError extends EmbrecError {
  readonly path: string;
  constructor(path: string, cause: unknown) {
    const c = cause as NodeJS.ErrnoException;
    const why = c?.code && !String(c.message).startsWith(c.code) ? `${c.code}: ${c.message}` : c?.message;
    super('E_WRITE', `cannot write ${path}: ${why ?? String(cause)}`, { cause });
    this.name = 'WriteError';
    this.path = path;
  }
}

/** `.<name>.tmp-<pid>-<hex>` (or `.old-`) beside `path`. */
export function tempSibling(path: string, kind: 'tmp' | 'old' = 'tmp', tag = tempTag()): string {
  return join(dirname(path), `.${basename(path)}.${kind}-${tag}`);
}

function tempTag(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Writes a file atomically: a temporary sibling is written and fsynced, then renamed over the target. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempSibling(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const fd = openSync(tmp, 'w');
    try {
      for (let off = 0; off < bytes.byteLength; ) off += writeSync(fd, bytes, off, bytes.byteLength - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e instanceof WriteError ? e : new WriteError(path, e);
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Writes a folder atomically: `fill` writes into a temporary sibling folder, which then replaces
 * `dir` by rename, so a reader never sees a half-written folder (a crash leaves the old one).
 * Stale temporaries of `dir` left by dead processes are removed first.
 */
export async function writeFolderAtomic(
  dir: string,
  fill: (tmp: string) => void | Promise<void>,
): Promise<void> {
  const parent = dirname(dir);
  const tag = tempTag();
  const tmp = tempSibling(dir, 'tmp', tag);
  const old = tempSibling(dir, 'old', tag);
  try {
    mkdirSync(parent, { recursive: true });
    sweepStaleTemps(parent, { depth: 0, only: basename(dir) });
    mkdirSync(tmp);
    await fill(tmp);
    let moved = false;
    try {
      renameSync(dir, old);
      moved = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    try {
      renameSync(tmp, dir);
    } catch (e) {
      if (moved) renameSync(old, dir);
      throw e;
    }
    if (moved) rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // name the file as it would have been, not its temporary folder
    if (e instanceof WriteError && e.path.startsWith(tmp + sep))
      throw new WriteError(join(dir, relative(tmp, e.path)), e.cause);
    throw e instanceof EmbrecError ? e : new WriteError(dir, e);
  }
}

/** Bytes of a typed array without copying. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Files embrec writes itself: a stale copy in the old folder is never carried into the new one. */
const OWN_FILES = new Set([
  'config.json',
  'params.json',
  'metrics.json',
  'metrics-history.jsonl',
  'logs.txt',
  'stages.json',
  'status.json',
]);

/**
 * Replaces `target` by the folder `staged` (rename). An existing target is removed only when it
 * carries embrec's marker (see marker.ts); anything else is refused.
 */
export function promoteFolder(staged: string, target: string): void {
  assertReplaceable(target);
  // Files that only the target has at its top level (trackers' state, e.g. an MLflow run id) are kept.
  if (existsSync(target)) {
    for (const e of readdirSync(target, { withFileTypes: true })) {
      if (e.isFile() && !OWN_FILES.has(e.name) && !existsSync(join(staged, e.name)))
        renameSync(join(target, e.name), join(staged, e.name));
    }
  }
  try {
    rmSync(target, { recursive: true, force: true });
    mkdirSync(dirname(target), { recursive: true });
    renameSync(staged, target);
  } catch (e) {
    throw new WriteError(target, e);
  }
}

export function appendLine(path: string, line: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${line}\n`, { flag: 'a' });
  } catch (e) {
    throw new WriteError(path, e);
  }
}

/** Whether a process with this id runs on this machine (EPERM: it exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const TEMP_NAME = /^\.(.+)\.(?:tmp|old)-(\d+)-[0-9a-f]+$/;

/**
 * Removes temporaries (`.<name>.tmp-<pid>-<hex>`, `.<name>.old-<pid>-<hex>`) whose process is dead,
 * under `root` (to `depth` levels of subfolders; `only`: temporaries of that name only).
 * Returns the removed paths.
 */
export function sweepStaleTemps(root: string, opts: { depth?: number; only?: string } = {}): string[] {
  const removed: string[] = [];
  const visit = (dir: string, depth: number): void => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const m = TEMP_NAME.exec(e.name);
      const p = join(dir, e.name);
      if (m && (opts.only === undefined || m[1] === opts.only) && !pidAlive(Number(m[2]))) {
        rmSync(p, { recursive: true, force: true });
        removed.push(p);
      } else if (e.isDirectory() && depth > 0) visit(p, depth - 1);
    }
  };
  visit(root, opts.depth ?? 8);
  return removed;
}
