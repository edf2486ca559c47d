import { existsSync, statSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { EmbeddingTable } from '@embrec/core';
import { DataError, IdMap, UsageError } from '@embrec/core';
import { parse as parseYaml } from 'yaml';
import { readF32, readJson } from '../common/store.ts';

/** Item embeddings (the index) and, when the run wrote them, user embeddings (the queries). */
export interface LoadedEmbeddings {
  readonly items: EmbeddingTable;
  readonly users?: EmbeddingTable;
  /** The folder or file they came from. */
  readonly source: string;
}

/**
 * Loads embeddings for `embrec index sweep` from any of:
 * - a run folder (`<run>/artifacts/embeddings/items.f32` + `items.ids.json` + `items.meta.json`,
 *   optional `users.*`), or that embeddings folder itself;
 * - an experiment file (.yaml / .yml / .json): the most recent trial folder under `<output>/<name>/`
 *   that holds embeddings;
 * - a `.npy` file (float32, C order, 2-D) of item vectors, IDs 0..n-1, or a `.f32` file with its
 *   `<name>.meta.json` ({dim, count}) and optional `<name>.ids.json`.
 */
export async function loadEmbeddings(path: string): Promise<LoadedEmbeddings> {
  const p = resolve(path);
  if (!existsSync(p))
    throw new UsageError(`${path}: no such file or folder (expected a run folder, experiment file or .npy)`);
  const ext = extname(p).toLowerCase();
  if (statSync(p).isDirectory()) {
    const dir = existsSync(join(p, 'items.f32')) ? p : join(p, 'artifacts', 'embeddings');
    return loadFolder(dir);
  }
  if (ext === '.npy') return { items: await readNpyTable(p), source: p };
  if (ext === '.f32') {
    const stem = p.slice(0, -4);
    return { items: await readTable(stem), source: p };
  }
  if (ext === '.yaml' || ext === '.yml' || ext === '.json') return loadFolder(await latestRunEmbeddings(p));
  throw new UsageError(
    `${path}: unsupported input "${ext}" (expected a run folder, an experiment file .yaml/.json, a .npy or a .f32 file)`,
  );
}

async function loadFolder(dir: string): Promise<LoadedEmbeddings> {
  if (!existsSync(join(dir, 'items.f32'))) {
    throw new DataError(
      `${dir}: no items.f32 here (a run's embeddings are written to artifacts/embeddings/)`,
    );
  }
  const items = await readTable(join(dir, 'items'));
  const users = existsSync(join(dir, 'users.f32')) ? await readTable(join(dir, 'users')) : undefined;
  if (users !== undefined && users.dim !== items.dim) {
    throw new DataError(`${dir}: users.f32 has dim ${users.dim} but items.f32 has dim ${items.dim}`);
  }
  return users === undefined ? { items, source: dir } : { items, users, source: dir };
}

/** Reads `<stem>.f32` with `<stem>.meta.json` {dim, count} and `<stem>.ids.json` (optional). */
export async function readTable(stem: string): Promise<EmbeddingTable> {
  const metaPath = `${stem}.meta.json`;
  const meta = (await readJson(metaPath)) as { dim?: unknown; count?: unknown };
  const dim = Number(meta.dim);
  if (!Number.isInteger(dim) || dim < 1) {
    throw new DataError(
      `${metaPath}: field "dim" must be a positive integer, found ${JSON.stringify(meta.dim)}`,
    );
  }
  const size = (await stat(`${stem}.f32`)).size;
  const count = meta.count === undefined ? size / 4 / dim : Number(meta.count);
  if (!Number.isInteger(count)) {
    throw new DataError(`${stem}.f32: ${size} bytes is not a whole number of rows of dim ${dim}`);
  }
  const vectors = await readF32(`${stem}.f32`, count * dim);
  let ids = IdMap.range(count);
  if (existsSync(`${stem}.ids.json`)) {
    try {
      ids = IdMap.fromJSON(await readJson(`${stem}.ids.json`));
    } catch (e) {
      throw new DataError(`${stem}.ids.json: ${(e as Error).message}`, { cause: e });
    }
    if (ids.size !== count) {
      throw new DataError(
        `${stem}.ids.json: expected ${count} ids (one per row of ${basename(stem)}.f32), found ${ids.size}`,
      );
    }
  }
  return { ids, dim, vectors };
}

/** Reads a 2-D little-endian float32 C-order .npy file as a table with IDs 0..n-1. */
export async function readNpyTable(path: string): Promise<EmbeddingTable> {
  const buf = await readFile(path);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') {
    throw new DataError(`${path}: not a .npy file (the magic string \\x93NUMPY is missing)`);
  }
  const major = buf[6] as number;
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr !== '<f4')
    throw new DataError(`${path}: header "descr" must be '<f4' (float32), found '${descr}'`);
  if (fortran !== 'False') throw new DataError(`${path}: header "fortran_order" must be False (C order)`);
  const dims = (shape ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (dims.length !== 2)
    throw new DataError(`${path}: header "shape" must be 2-D (n, dim), found (${shape})`);
  const [n, dim] = dims as [number, number];
  const offset = start + headerLen;
  if (buf.length - offset !== n * dim * 4) {
    throw new DataError(
      `${path}: expected ${n} × ${dim} float32 values after the header, found ${buf.length - offset} bytes`,
    );
  }
  const vectors = new Float32Array(n * dim);
  new Uint8Array(vectors.buffer).set(buf.subarray(offset));
  return { ids: IdMap.range(n), dim, vectors };
}

/** Writes a 2-D float32 array as .npy (version 1.0). */
export function npyBytes(vectors: Float32Array, n: number, dim: number): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${dim}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64);
  header += '\n';
  const out = new Uint8Array(10 + header.length + vectors.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength), 10 + header.length);
  return out;
}

/** The embeddings folder of the most recent trial of an experiment file that has one. */
async function latestRunEmbeddings(file: string): Promise<string> {
  const doc = parseYaml(await readFile(file, 'utf8')) as { name?: unknown; output?: unknown } | null;
  const name = typeof doc?.name === 'string' ? doc.name : basename(file).replace(/\.(ya?ml|json)$/, '');
  const output = typeof doc?.output === 'string' ? doc.output : 'runs';
  const root = resolve(dirname(file), output, name);
  if (!existsSync(root)) {
    throw new UsageError(`${file}: no runs found at ${root} (run \`embrec run ${file}\` first)`);
  }
  const found: { dir: string; mtime: number }[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const emb = join(dir, 'artifacts', 'embeddings', 'items.f32');
    if (existsSync(emb)) found.push({ dir: dirname(emb), mtime: (await stat(emb)).mtimeMs });
    if (depth === 0) return;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory() && !e.name.startsWith('.')) await walk(join(dir, e.name), depth - 1);
    }
  };
  await walk(root, 3);
  if (found.length === 0) {
    throw new UsageError(
      `${file}: no trial under ${root} has artifacts/embeddings/items.f32 (did the run finish?)`,
    );
  }
  found.sort((a, b) => b.mtime - a.mtime);
  return (found[0] as { dir: string }).dir;
}
