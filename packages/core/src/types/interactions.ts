import { IdMap } from './ids.ts';

/** Compressed sparse rows: row r holds indices[indptr[r] .. indptr[r+1]). */
export interface Csr {
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array; // [rows + 1]
  readonly indices: Int32Array; // [nnz]
  readonly values?: Float32Array; // [nnz], absent = all ones
}

/**
 * A columnar store of (user, item) events. Columns are typed arrays of equal length; optional
 * columns are absent rather than filled with placeholders. Users and items are dense indices into
 * `userIds` / `itemIds`, which are shared by every split of one dataset.
 */
export interface Interactions {
  readonly userIds: IdMap;
  readonly itemIds: IdMap;
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly ratings?: Float32Array;
  readonly timestamps?: Float64Array;
  readonly weights?: Float32Array;
}

export function numUsers(x: Interactions): number {
  return x.userIds.size;
}
export function numItems(x: Interactions): number {
  return x.itemIds.size;
}
export function size(x: Interactions): number {
  return x.users.length;
}

/** Build interactions from columns, checking lengths and index ranges. */
export function makeInteractions(cols: {
  userIds: IdMap;
  itemIds: IdMap;
  users: Int32Array;
  items: Int32Array;
  ratings?: Float32Array | undefined;
  timestamps?: Float64Array | undefined;
  weights?: Float32Array | undefined;
}): Interactions {
  const n = cols.users.length;
  if (cols.items.length !== n) throw new RangeError(`items has ${cols.items.length} rows, users has ${n}`);
  for (const key of ['ratings', 'timestamps', 'weights'] as const) {
    const c = cols[key];
    if (c !== undefined && c.length !== n)
      throw new RangeError(`${key} has ${c.length} rows, users has ${n}`);
  }
  const out: { -readonly [K in keyof Interactions]: Interactions[K] } = {
    userIds: cols.userIds,
    itemIds: cols.itemIds,
    users: cols.users,
    items: cols.items,
  };
  if (cols.ratings) out.ratings = cols.ratings;
  if (cols.timestamps) out.timestamps = cols.timestamps;
  if (cols.weights) out.weights = cols.weights;
  return out;
}

/** Rows selected by a boolean mask or an index list, keeping the ID maps. */
export function selectRows(x: Interactions, rows: Int32Array | Uint8Array): Interactions {
  let idx: Int32Array;
  if (rows instanceof Uint8Array) {
    let n = 0;
    for (let i = 0; i < rows.length; i++) if (rows[i]) n++;
    idx = new Int32Array(n);
    let j = 0;
    for (let i = 0; i < rows.length; i++) if (rows[i]) idx[j++] = i;
  } else idx = rows;
  const pick = <T extends Int32Array | Float32Array | Float64Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(idx.length);
    for (let i = 0; i < idx.length; i++) out[i] = a[idx[i]!]!;
    return out;
  };
  return makeInteractions({
    userIds: x.userIds,
    itemIds: x.itemIds,
    users: pick(x.users),
    items: pick(x.items),
    ratings: x.ratings && pick(x.ratings),
    timestamps: x.timestamps && pick(x.timestamps),
    weights: x.weights && pick(x.weights),
  });
}

/**
 * The per-user CSR view (rows = users, cols = items). Item order within a row follows the order
 * of the rows in `x` (stable). Values are weights, or ratings when `values: 'ratings'`.
 */
export function userCsr(x: Interactions, opts: { values?: 'none' | 'weights' | 'ratings' } = {}): Csr {
  const rows = x.userIds.size;
  const n = x.users.length;
  const indptr = new Int32Array(rows + 1);
  for (let i = 0; i < n; i++) indptr[x.users[i]! + 1]!++;
  for (let r = 0; r < rows; r++) indptr[r + 1]! += indptr[r]!;
  const fill = indptr.slice(0, rows);
  const indices = new Int32Array(n);
  const src = opts.values === 'ratings' ? x.ratings : opts.values === 'weights' ? x.weights : undefined;
  const values = src ? new Float32Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const u = x.users[i]!;
    const at = fill[u]!++;
    indices[at] = x.items[i]!;
    if (values && src) values[at] = src[i]!;
  }
  return values
    ? { rows, cols: x.itemIds.size, indptr, indices, values }
    : { rows, cols: x.itemIds.size, indptr, indices };
}

/** Per-user item rows (CSR) sorted within each row, for membership tests (`hasItem`) while sampling negatives. */
export interface SortedRows {
  readonly indptr: Int32Array;
  readonly indices: Int32Array; // sorted within each row
}

/** The (user, item) pairs as sorted per-user rows; duplicates stay, next to each other. */
export function sortedRows(numUsers: number, users: Int32Array, items: Int32Array): SortedRows {
  const indptr = new Int32Array(numUsers + 1);
  for (const u of users) indptr[u + 1]!++;
  for (let u = 0; u < numUsers; u++) indptr[u + 1]! += indptr[u]!;
  const fill = indptr.slice(0, numUsers);
  const indices = new Int32Array(users.length);
  for (let i = 0; i < users.length; i++) indices[fill[users[i]!]!++] = items[i]!;
  for (let u = 0; u < numUsers; u++) indices.subarray(indptr[u]!, indptr[u + 1]!).sort();
  return { indptr, indices };
}

/** Whether user `u`'s row holds `item` (binary search; false for a user outside the rows). */
export function hasItem(rows: SortedRows, u: number, item: number): boolean {
  if (u < 0 || u + 1 >= rows.indptr.length) return false;
  let lo = rows.indptr[u]!;
  let hi = rows.indptr[u + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = rows.indices[mid]!;
    if (v === item) return true;
    if (v < item) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The transpose of a CSR matrix (items × users from users × items). */
export function transposeCsr(m: Csr): Csr {
  const indptr = new Int32Array(m.cols + 1);
  for (let i = 0; i < m.indices.length; i++) indptr[m.indices[i]! + 1]!++;
  for (let c = 0; c < m.cols; c++) indptr[c + 1]! += indptr[c]!;
  const fill = indptr.slice(0, m.cols);
  const indices = new Int32Array(m.indices.length);
  const values = m.values ? new Float32Array(m.indices.length) : undefined;
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.indptr[r]!; p < m.indptr[r + 1]!; p++) {
      const at = fill[m.indices[p]!]!++;
      indices[at] = r;
      if (values && m.values) values[at] = m.values[p]!;
    }
  }
  return values
    ? { rows: m.cols, cols: m.rows, indptr, indices, values }
    : { rows: m.cols, cols: m.rows, indptr, indices };
}

/** Item counts (popularity) over the interactions. */
export function itemCounts(x: Interactions): Float64Array {
  const c = new Float64Array(x.itemIds.size);
  for (let i = 0; i < x.items.length; i++) c[x.items[i]!]!++;
  return c;
}

export { IdMap };
