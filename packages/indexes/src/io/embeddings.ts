import { existsSync, statSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { EmbeddingTable } from '@embrec/core';
import {
  npyBytes as coreNpyBytes,
  DataError,
  IdMap,
  parseNpy,
  readTrialEmbeddings,
  UsageError,
} from '@embrec/core';
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
 * - a run folder (`<run>/artifacts/embeddings/items.npy` + `items.ids.csv`, optional `users.*`;
 *   or the `.f32` + `.ids.json` + `.meta.json` layout of runs before 0.2), or that folder itself;
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
    const t = readTrialEmbeddings(p);
    return t.users ? { items: t.items, users: t.users, source: t.dir } : { items: t.items, source: t.dir };
  }
  if (ext === '.npy') return { items: await readNpyTable(p), source: p };
  if (ext === '.f32') {
    const stem = p.slice(0, -4);
    return { items: await readTable(stem), source: p };
  }
  if (ext === '.yaml' || ext === '.yml' || ext === '.json')
    return loadEmbeddings(await latestRunEmbeddings(p));
  throw new UsageError(
    `${path}: unsupported input "${ext}" (expected a run folder, an experiment file .yaml/.json, a .npy or a .f32 file)`,
  );
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

/** Reads a 2-D float32 .npy file (core's NPY reader) as a table with IDs 0..n-1. */
export async function readNpyTable(path: string): Promise<EmbeddingTable> {
  const { data, shape } = parseNpy(await readFile(path), path);
  if (shape.length !== 2 || !(data instanceof Float32Array)) {
    throw new DataError(`${path}: expected a 2-D float32 array (n, dim), found shape (${shape.join(', ')})`);
  }
  const [n, dim] = shape as [number, number];
  return { ids: IdMap.range(n), dim, vectors: data };
}

/** Writes a 2-D float32 array as .npy (version 1.0): core's writer. */
export function npyBytes(vectors: Float32Array, n: number, dim: number): Uint8Array {
  return coreNpyBytes(vectors, [n, dim]);
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
    const emb = ['items.npy', 'items.f32']
      .map((f) => join(dir, 'artifacts', 'embeddings', f))
      .find(existsSync);
    if (emb) found.push({ dir: dirname(emb), mtime: (await stat(emb)).mtimeMs });
    if (depth === 0) return;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory() && !e.name.startsWith('.')) await walk(join(dir, e.name), depth - 1);
    }
  };
  await walk(root, 3);
  if (found.length === 0) {
    throw new UsageError(
      `${file}: no trial under ${root} has artifacts/embeddings/items.npy (did the run finish?)`,
    );
  }
  found.sort((a, b) => b.mtime - a.mtime);
  return (found[0] as { dir: string }).dir;
}
