import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DataError,
  IdMap,
  type Interactions,
  makeInteractions,
  type Splits,
  writeFileAtomic,
} from '@embrec/core';

/** One atomic writer (temp, fsync, rename): core's, re-exported for the data modules. */
export { writeFileAtomic } from '@embrec/core';

const FORMAT = 'embrec-interactions/1';

function bytes(a: Int32Array | Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

type Column = 'users' | 'items' | 'ratings' | 'timestamps' | 'weights';
const KINDS: Record<Column, 'i32' | 'f32' | 'f64'> = {
  users: 'i32',
  items: 'i32',
  ratings: 'f32',
  timestamps: 'f64',
  weights: 'f32',
};

/**
 * Saves interactions and their ID maps to `dir`: one little-endian binary file per column
 * (`users.i32`, `ratings.f32`, ...), `user-ids.json`, `item-ids.json` and `meta.json` (written last,
 * so a folder with a meta.json is complete). Each file is written atomically.
 */
export function saveInteractions(x: Interactions, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const columns: Column[] = [];
  for (const c of Object.keys(KINDS) as Column[]) {
    const a = x[c];
    if (a === undefined) continue;
    columns.push(c);
    writeFileAtomic(join(dir, `${c}.${KINDS[c]}`), bytes(a));
  }
  writeFileAtomic(join(dir, 'user-ids.json'), JSON.stringify(x.userIds.toJSON()));
  writeFileAtomic(join(dir, 'item-ids.json'), JSON.stringify(x.itemIds.toJSON()));
  writeFileAtomic(join(dir, 'meta.json'), JSON.stringify({ format: FORMAT, rows: x.users.length, columns }));
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DataError(`${file}: expected JSON, found a parse error (${(e as Error).message})`);
  }
}

/** Loads what `saveInteractions` wrote, checking every column's length and index range. */
export function loadInteractions(dir: string): Interactions {
  const metaFile = join(dir, 'meta.json');
  const meta = readJson(metaFile) as { format?: unknown; rows?: unknown; columns?: unknown };
  if (meta.format !== FORMAT)
    throw new DataError(
      `${metaFile}: field "format": expected "${FORMAT}", found ${JSON.stringify(meta.format)}`,
    );
  const rows = meta.rows;
  if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 0)
    throw new DataError(
      `${metaFile}: field "rows": expected a non-negative integer, found ${JSON.stringify(rows)}`,
    );
  const cols = Array.isArray(meta.columns) ? (meta.columns as Column[]) : [];
  const idsOf = (name: string) => {
    const f = join(dir, name);
    try {
      return IdMap.fromJSON(readJson(f));
    } catch (e) {
      if (e instanceof DataError) throw e;
      throw new DataError(`${f}: expected a JSON array of strings, found something else`);
    }
  };
  const userIds = idsOf('user-ids.json');
  const itemIds = idsOf('item-ids.json');
  const read = (c: Column): Int32Array | Float32Array | Float64Array | undefined => {
    if (!cols.includes(c)) return undefined;
    const kind = KINDS[c];
    const file = join(dir, `${c}.${kind}`);
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch {
      throw new DataError(`${file}: listed in meta.json but cannot be read`);
    }
    const width = kind === 'f64' ? 8 : 4;
    if (buf.byteLength !== rows * width)
      throw new DataError(`${file}: expected ${rows * width} bytes (${rows} rows), found ${buf.byteLength}`);
    const copy = new Uint8Array(buf).buffer;
    return kind === 'i32'
      ? new Int32Array(copy)
      : kind === 'f32'
        ? new Float32Array(copy)
        : new Float64Array(copy);
  };
  const users = read('users') as Int32Array | undefined;
  const items = read('items') as Int32Array | undefined;
  if (!users || !items)
    throw new DataError(
      `${metaFile}: field "columns": expected users and items, found ${JSON.stringify(cols)}`,
    );
  for (const [name, a, map] of [
    ['users', users, userIds],
    ['items', items, itemIds],
  ] as const) {
    for (let r = 0; r < a.length; r++) {
      const v = a[r]!;
      if (v < 0 || v >= map.size)
        throw new DataError(
          `${join(dir, `${name}.i32`)}: row ${r}: expected an index below ${map.size}, found ${v}`,
        );
    }
  }
  return makeInteractions({
    userIds,
    itemIds,
    users,
    items,
    ratings: read('ratings') as Float32Array | undefined,
    timestamps: read('timestamps') as Float64Array | undefined,
    weights: read('weights') as Float32Array | undefined,
  });
}

/** Saves train / valid / test into sub-folders of `dir` (each with its columns and ID maps). */
export function saveSplits(s: Splits, dir: string): void {
  saveInteractions(s.train, join(dir, 'train'));
  if (s.valid) saveInteractions(s.valid, join(dir, 'valid'));
  saveInteractions(s.test, join(dir, 'test'));
}

/** Loads what `saveSplits` wrote; the parts share one pair of ID maps again (checked equal). */
export function loadSplits(dir: string): Splits {
  const train = loadInteractions(join(dir, 'train'));
  const share = (x: Interactions, part: string): Interactions => {
    for (const [name, a, b] of [
      ['user', x.userIds, train.userIds],
      ['item', x.itemIds, train.itemIds],
    ] as const) {
      const ea = a.toArray();
      const eb = b.toArray();
      if (ea.length !== eb.length || ea.some((id, k) => id !== eb[k]))
        throw new DataError(
          `${join(dir, part, `${name}-ids.json`)}: expected the same ${name} IDs as train, found a different list`,
        );
    }
    return makeInteractions({ ...x, userIds: train.userIds, itemIds: train.itemIds });
  };
  const test = share(loadInteractions(join(dir, 'test')), 'test');
  if (!existsSync(join(dir, 'valid', 'meta.json'))) return { train, test };
  return { train, valid: share(loadInteractions(join(dir, 'valid')), 'valid'), test };
}
