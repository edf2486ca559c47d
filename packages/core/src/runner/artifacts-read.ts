/** Readers of a trial's exported files (artifacts.ts describes the layout), current and before 0.2. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, UsageError } from '../errors.ts';
import { IdMap } from '../types/ids.ts';
import type { EmbeddingTable } from '../types/values.ts';
import { ID_COLUMN, type PerUserEntry } from './artifacts.ts';
import { parseIdCsv } from './id-csv.ts';
import { parseNpy } from './npy.ts';

function embeddingsDir(dir: string): string {
  const inner = join(dir, 'artifacts', 'embeddings');
  return existsSync(inner) ? inner : dir;
}

function readTable(dir: string, name: string): EmbeddingTable | undefined {
  const npy = join(dir, `${name}.npy`);
  if (existsSync(npy)) {
    const { data, shape } = parseNpy(readFileSync(npy), npy);
    if (shape.length !== 2 || !(data instanceof Float32Array)) {
      throw new DataError(
        `${npy}: expected float32 of shape (count, dim), found shape (${shape.join(', ')})`,
      );
    }
    const [count, dim] = shape as [number, number];
    const csv = join(dir, `${name}.ids.csv`);
    const ids = existsSync(csv)
      ? parseIdCsv(readFileSync(csv, 'utf8'), csv, ID_COLUMN[name] ?? 'id')
      : undefined;
    if (ids && ids.length !== count) {
      throw new DataError(`${csv}: expected ${count} IDs (one per row of ${name}.npy), found ${ids.length}`);
    }
    return { ids: ids ? IdMap.fromJSON(ids) : IdMap.range(count), dim, vectors: data };
  }
  const f32 = join(dir, `${name}.f32`);
  if (!existsSync(f32)) return undefined;
  // the layout before 0.2: raw float32 + meta.json {dim, count?} + ids.json
  const metaFile = join(dir, `${name}.meta.json`);
  if (!existsSync(metaFile)) throw new DataError(`${f32}: its ${name}.meta.json ({dim, count}) is missing`);
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { dim?: unknown; count?: unknown };
  const dim = Number(meta.dim);
  if (!Number.isInteger(dim) || dim < 1) {
    throw new DataError(
      `${metaFile}: field "dim" must be a positive integer, found ${JSON.stringify(meta.dim)}`,
    );
  }
  const buf = readFileSync(f32);
  const count = meta.count === undefined ? buf.byteLength / 4 / dim : Number(meta.count);
  if (!Number.isInteger(count) || buf.byteLength !== dim * count * 4) {
    throw new DataError(
      `${f32}: ${buf.byteLength} bytes is not ${count} rows of ${dim} float32 (${name}.meta.json)`,
    );
  }
  const vectors = new Float32Array(dim * count);
  new Uint8Array(vectors.buffer).set(buf);
  const idsFile = join(dir, `${name}.ids.json`);
  const ids = existsSync(idsFile)
    ? IdMap.fromJSON(JSON.parse(readFileSync(idsFile, 'utf8')))
    : IdMap.range(count);
  if (ids.size !== count) {
    throw new DataError(`${idsFile}: expected ${count} ids (one per row of ${name}.f32), found ${ids.size}`);
  }
  return { ids, dim, vectors };
}

/**
 * A trial's exported embeddings, from its folder or its `artifacts/embeddings` folder, in the
 * current (.npy + .ids.csv) or the old (.f32 + .ids.json + .meta.json) layout.
 */
export function readTrialEmbeddings(dir: string): {
  items: EmbeddingTable;
  users?: EmbeddingTable;
  dir: string;
} {
  const emb = embeddingsDir(dir);
  const items = readTable(emb, 'items');
  if (!items) {
    throw new UsageError(
      `${dir}: no exported embeddings (expected ${join(emb, 'items.npy')}, or items.f32 from runs before 0.2); only embedding models export them`,
    );
  }
  const users = readTable(emb, 'users');
  if (users && users.dim !== items.dim) {
    throw new DataError(`${emb}: users have dim ${users.dim} but items have dim ${items.dim}`);
  }
  return users ? { items, users, dir: emb } : { items, dir: emb };
}

/** One metric's per-user values and the external IDs of the users they belong to. */
export interface PerUserVector {
  readonly users: readonly string[];
  readonly values: Float32Array;
}

/** A trial's per-user metric vectors by display name ("Recall@10", "Recall@10 (pipeline)"). */
export function readPerUser(trialDir: string): Record<string, PerUserVector> {
  const dir = join(trialDir, 'per-user');
  const indexFile = join(dir, 'index.json');
  if (!existsSync(indexFile))
    throw new UsageError(`${trialDir} has no per-user metrics (${indexFile} is missing)`);
  const index = JSON.parse(readFileSync(indexFile, 'utf8')) as Record<string, PerUserEntry | string>;
  const userFiles = new Map<string, string[]>();
  const usersOf = (file: string): string[] => {
    if (!userFiles.has(file)) {
      const p = join(dir, file);
      if (!existsSync(p)) throw new DataError(`${p}: missing (named by ${indexFile})`);
      const text = readFileSync(p, 'utf8');
      userFiles.set(
        file,
        file.endsWith('.json') ? (JSON.parse(text) as string[]) : parseIdCsv(text, p, 'user_id'),
      );
    }
    return userFiles.get(file)!;
  };
  const out: Record<string, PerUserVector> = {};
  for (const [display, entry] of Object.entries(index)) {
    const { values, users } = typeof entry === 'string' ? oldEntry(dir, entry) : entry;
    const p = join(dir, values);
    const buf = readFileSync(p);
    let data: Float32Array;
    if (values.endsWith('.npy')) {
      const parsed = parseNpy(buf, p).data;
      data = parsed instanceof Float32Array ? parsed : Float32Array.from(parsed);
    } else {
      data = new Float32Array(buf.byteLength / 4);
      new Uint8Array(data.buffer).set(buf);
    }
    const ids = usersOf(users);
    if (data.length !== ids.length)
      throw new DataError(`${p}: ${data.length} values for ${ids.length} users (${users})`);
    out[display] = { users: ids, values: data };
  }
  return out;
}

/** Old index entries name only the .f32 file; its users file is `<prefix>users.json`, the longest prefix that fits. */
function oldEntry(dir: string, file: string): PerUserEntry {
  let prefix = '';
  for (let i = file.indexOf('.'); i >= 0 && i < file.length - 4; i = file.indexOf('.', i + 1)) {
    const p = file.slice(0, i + 1);
    if (existsSync(join(dir, `${p}users.json`))) prefix = p;
  }
  return { values: file, users: `${prefix}users.json` };
}

/** Whether a trial folder holds exported embeddings (either layout). */
export function hasTrialEmbeddings(trialDir: string): boolean {
  const emb = join(trialDir, 'artifacts', 'embeddings');
  return existsSync(join(emb, 'items.npy')) || existsSync(join(emb, 'items.f32'));
}
