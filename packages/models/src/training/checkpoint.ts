import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '@embrec/core';

/** Named float arrays written as one binary file plus a JSON index (name → offset, length). */
export function writeArrays(dir: string, base: string, arrays: ReadonlyMap<string, Float32Array>): void {
  mkdirSync(dir, { recursive: true });
  const index: { name: string; offset: number; length: number }[] = [];
  let total = 0;
  for (const [name, a] of arrays) {
    index.push({ name, offset: total, length: a.length });
    total += a.length;
  }
  const buf = new Float32Array(total);
  for (const e of index) buf.set(arrays.get(e.name)!, e.offset);
  // write-then-rename so an interrupted write never leaves a truncated checkpoint
  writeFileSync(join(dir, `${base}.bin.tmp`), Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  writeFileSync(join(dir, `${base}.json.tmp`), JSON.stringify(index));
  renameSync(join(dir, `${base}.bin.tmp`), join(dir, `${base}.bin`));
  renameSync(join(dir, `${base}.json.tmp`), join(dir, `${base}.json`));
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
