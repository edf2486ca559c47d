import type { Interactions } from '@embrec/core';
import { nativeAvailable } from '@embrec/native';

/** A binary user × item CSR (duplicates removed, items ascending within a row). */
export interface BinaryCsr {
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
}

/** The implicit-feedback matrix X of the training interactions: X[u][i] = 1 when u interacted with i. */
export function binaryUserItem(train: Interactions): BinaryCsr {
  const rows = train.userIds.size;
  const cols = train.itemIds.size;
  const count = new Int32Array(rows + 1);
  for (let p = 0; p < train.users.length; p++) count[train.users[p]! + 1]!++;
  for (let r = 0; r < rows; r++) count[r + 1]! += count[r]!;
  const fill = count.slice(0, rows);
  const raw = new Int32Array(train.users.length);
  for (let p = 0; p < train.users.length; p++) raw[fill[train.users[p]!]!++] = train.items[p]!;
  const indptr = new Int32Array(rows + 1);
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = raw.subarray(count[r]!, count[r + 1]!).sort();
    for (let j = 0; j < row.length; j++) if (j === 0 || row[j] !== row[j - 1]) out.push(row[j]!);
    indptr[r + 1] = out.length;
  }
  return { rows, cols, indptr, indices: Int32Array.from(out) };
}

/** The rows of `users` as a CSR of their own (the batch a scorer multiplies). */
export function selectCsrRows(x: BinaryCsr, users: Int32Array): BinaryCsr {
  const indptr = new Int32Array(users.length + 1);
  let nnz = 0;
  for (let b = 0; b < users.length; b++) {
    const u = users[b]!;
    nnz += u < x.rows ? x.indptr[u + 1]! - x.indptr[u]! : 0;
    indptr[b + 1] = nnz;
  }
  const indices = new Int32Array(nnz);
  for (let b = 0; b < users.length; b++) {
    const u = users[b]!;
    if (u < x.rows) indices.set(x.indices.subarray(x.indptr[u]!, x.indptr[u + 1]!), indptr[b]!);
  }
  return { rows: users.length, cols: x.cols, indptr, indices };
}

/** The transpose (item × user) of a binary CSR. */
export function transposeBinary(x: BinaryCsr): BinaryCsr {
  const indptr = new Int32Array(x.cols + 1);
  for (let p = 0; p < x.indices.length; p++) indptr[x.indices[p]! + 1]!++;
  for (let c = 0; c < x.cols; c++) indptr[c + 1]! += indptr[c]!;
  const fill = indptr.slice(0, x.cols);
  const indices = new Int32Array(x.indices.length);
  for (let r = 0; r < x.rows; r++)
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) indices[fill[x.indices[p]!]!++] = r;
  return { rows: x.cols, cols: x.rows, indptr, indices };
}

/** Whether the native ops this folder uses are built (the JS fallbacks are slow for big catalogues). */
export function hasNative(): boolean {
  return nativeAvailable();
}

/** Human-readable bytes: 6.72 GB. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e3).toFixed(1)} kB`;
}
