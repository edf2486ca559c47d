import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DataError } from '@embrec/core';

/**
 * Writes a folder atomically: `fill` writes into a temporary sibling folder, which then replaces
 * `dir` by rename, so a reader never sees a half-written index (a crash leaves the old one).
 */
export async function writeFolderAtomic(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = join(parent, `.${basename(dir)}.tmp-${tag}`);
  const old = join(parent, `.${basename(dir)}.old-${tag}`);
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    let moved = false;
    try {
      await rename(dir, old);
      moved = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await rename(tmp, dir);
    if (moved) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Writes a Float32Array as raw little-endian bytes. */
export async function writeF32(path: string, data: Float32Array): Promise<void> {
  await writeFile(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** Reads raw float32 data, checking the length against the expected count. */
export async function readF32(path: string, expected: number): Promise<Float32Array> {
  const buf = await readFile(path);
  if (buf.byteLength !== expected * 4) {
    throw new DataError(
      `${path}: expected ${expected} float32 values (${expected * 4} bytes), found ${buf.byteLength} bytes`,
    );
  }
  const out = new Float32Array(expected);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

export async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new DataError(`${path}: cannot read the file (${(e as Error).message})`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DataError(`${path}: invalid JSON (${(e as Error).message})`, { cause: e });
  }
}
