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
import { dirname, join } from 'node:path';

let counter = 0;

/** Writes a file atomically: a temporary sibling is written and fsynced, then renamed over the target. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${counter++}`;
  const fd = openSync(tmp, 'w');
  try {
    if (typeof data === 'string') writeSync(fd, data);
    else writeSync(fd, data, 0, data.byteLength);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Bytes of a typed array without copying. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Replaces `target` by the folder `staged` (rename; an existing target is removed first). */
export function promoteFolder(staged: string, target: string): void {
  // Files that only the target has at its top level (trackers' state, e.g. an MLflow run id) are kept.
  if (existsSync(target)) {
    for (const e of readdirSync(target, { withFileTypes: true })) {
      if (e.isFile() && !existsSync(join(staged, e.name)))
        renameSync(join(target, e.name), join(staged, e.name));
    }
  }
  rmSync(target, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  renameSync(staged, target);
}

export function appendLine(path: string, line: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${line}\n`, { flag: 'a' });
}
