import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { DataError } from '@embrec/core';

/**
 * A tiny zip reader (stored and deflated entries, through the central directory), used when the
 * system `unzip` is missing. Enough for the GroupLens archives; no zip64, no encryption.
 */
export function readZip(buf: Uint8Array, name = 'zip'): Map<string, Uint8Array> {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 65557); i--) {
    if (b.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0)
    throw new DataError(`${name}: expected a zip archive, found no end-of-central-directory record`);
  const count = b.readUInt16LE(eocd + 10);
  let p = b.readUInt32LE(eocd + 16);
  const out = new Map<string, Uint8Array>();
  for (let e = 0; e < count; e++) {
    if (b.readUInt32LE(p) !== 0x02014b50)
      throw new DataError(`${name}: corrupt central directory at byte ${p}`);
    const method = b.readUInt16LE(p + 10);
    const csize = b.readUInt32LE(p + 20);
    const nameLen = b.readUInt16LE(p + 28);
    const extraLen = b.readUInt16LE(p + 30);
    const commentLen = b.readUInt16LE(p + 32);
    const local = b.readUInt32LE(p + 42);
    const entry = b.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (entry.endsWith('/')) continue;
    const dataAt = local + 30 + b.readUInt16LE(local + 26) + b.readUInt16LE(local + 28);
    const raw = b.subarray(dataAt, dataAt + csize);
    if (method === 0) out.set(entry, new Uint8Array(raw));
    else if (method === 8) out.set(entry, new Uint8Array(inflateRawSync(raw)));
    else
      throw new DataError(`${name}: entry "${entry}": expected compression method 0 or 8, found ${method}`);
  }
  return out;
}

/** Extracts every file of a zip into `dir` (entries escaping `dir` are refused). */
export function extractZip(buf: Uint8Array, dir: string, name = 'zip'): void {
  for (const [entry, data] of readZip(buf, name)) {
    const rel = normalize(entry);
    if (rel.startsWith('..') || rel.startsWith('/'))
      throw new DataError(`${name}: entry "${entry}" points outside the target folder`);
    const file = join(dir, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, data);
  }
}
