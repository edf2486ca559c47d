import { readFile } from 'node:fs/promises';
import { bytesOf, DataError, writeFileAtomic, writeFolderAtomic } from '@embrec/core';

/**
 * An index folder is written with core's one atomic writer: `fill` writes into a temporary sibling
 * `.<dir>.tmp-<pid>-<hex>` that replaces `dir` by rename (a crash leaves the old one); stale
 * temporaries of dead processes are swept at the next save, and a failed write names the path.
 */
export { writeFolderAtomic };

/** Writes a Float32Array as raw little-endian bytes (atomically; a failure names the path). */
export async function writeF32(path: string, data: Float32Array): Promise<void> {
  writeFileAtomic(path, bytesOf(data));
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
