import { copyFileSync, existsSync, linkSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesOf, DataError, writeFileAtomic } from '@embrec/core';

/**
 * A saved model's JSON file, parsed; a missing or unparsable file is a DataError naming it:
 * "<file>: cannot read <what> (<reason>)".
 */
export function readSavedJson<T>(file: string, what: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new DataError(`${file}: cannot read ${what} (${(e as Error).message})`, { cause: e });
  }
}

/** Named float arrays written as one binary file plus a JSON index (name → offset, length). */
export function writeArrays(dir: string, base: string, arrays: ReadonlyMap<string, Float32Array>): void {
  const index: { name: string; offset: number; length: number }[] = [];
  let total = 0;
  for (const [name, a] of arrays) {
    index.push({ name, offset: total, length: a.length });
    total += a.length;
  }
  const buf = new Float32Array(total);
  for (const e of index) buf.set(arrays.get(e.name)!, e.offset);
  // each file is atomic (core's writer); a checkpoint folder is committed as one unit by the caller
  writeFileAtomic(join(dir, `${base}.bin`), bytesOf(buf));
  writeFileAtomic(join(dir, `${base}.json`), JSON.stringify(index));
}

/** Carries `base` arrays unchanged from one checkpoint folder to the next (a hard link, else a copy). */
export function carryArrays(from: string, to: string, base: string): boolean {
  const files = [`${base}.bin`, `${base}.json`];
  if (!files.every((f) => existsSync(join(from, f)))) return false;
  for (const f of files) {
    try {
      linkSync(join(from, f), join(to, f));
    } catch {
      copyFileSync(join(from, f), join(to, f));
    }
  }
  return true;
}

export function readArrays(dir: string, base: string): Map<string, Float32Array> {
  const indexFile = join(dir, `${base}.json`);
  const binFile = join(dir, `${base}.bin`);
  let index: { name: string; offset: number; length: number }[];
  try {
    index = JSON.parse(readFileSync(indexFile, 'utf8'));
  } catch (e) {
    throw new DataError(`${indexFile}: cannot read the parameter index (${(e as Error).message})`, {
      cause: e,
    });
  }
  const raw = readFileSync(binFile);
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const out = new Map<string, Float32Array>();
  for (const e of index) {
    if (e.offset + e.length > all.length) {
      throw new DataError(
        `${binFile}: parameter "${e.name}" needs values ${e.offset}..${e.offset + e.length}, the file holds ${all.length}`,
      );
    }
    out.set(e.name, all.subarray(e.offset, e.offset + e.length));
  }
  return out;
}
