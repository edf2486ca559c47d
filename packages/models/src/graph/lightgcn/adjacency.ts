import type { Interactions } from '@embrec/core';
import { DataError } from '@embrec/core';
import type { CsrMatrix } from '@embrec/native';

/**
 * The user–item graph of LightGCN: N = users + items nodes (users first, item i is node users + i),
 * A = [[0, R], [Rᵀ, 0]] with R the binary [users, items] training matrix (duplicate pairs count
 * once), normalised as Â = D^-α A D^-β (D = node degrees). α = β = ½ is LightGCN's symmetric
 * D^-½ A D^-½ (the same values as `csrNormalize(A, 'sym')`); LightGCN++ uses other α, β.
 * Nodes without training edges have empty rows and columns.
 */
export interface Adjacency {
  readonly numUsers: number;
  readonly numItems: number;
  /** Â [N, N] with values. */
  readonly matrix: CsrMatrix & { readonly values: Float32Array };
  /** Node degrees (distinct neighbours): [N]. */
  readonly degree: Int32Array;
}

/** Builds Â from training interactions; `what` names the data in errors. */
export function buildAdjacency(
  train: Interactions,
  alpha: number,
  beta: number,
  what = 'the training split',
): Adjacency {
  const nu = train.userIds.size;
  const ni = train.itemIds.size;
  const m = train.users.length;
  if (m === 0) {
    throw new DataError(
      `lightgcn: ${what} has no interactions: the user–item graph would be empty (expected at least one (user, item) pair)`,
    );
  }
  // user rows of R as CSR, deduplicated and sorted (counting sort by user, then by item)
  const count = new Int32Array(nu + 1);
  for (let e = 0; e < m; e++) {
    const u = train.users[e]!;
    const i = train.items[e]!;
    if (!(u >= 0 && u < nu) || !(i >= 0 && i < ni)) {
      throw new DataError(
        `lightgcn: ${what} row ${e} has user index ${u} and item index ${i}; expected 0 ≤ user < ${nu} and 0 ≤ item < ${ni}`,
      );
    }
    count[u + 1]!++;
  }
  for (let u = 0; u < nu; u++) count[u + 1]! += count[u]!;
  const fill = count.slice(0, nu);
  const raw = new Int32Array(m);
  for (let e = 0; e < m; e++) raw[fill[train.users[e]!]!++] = train.items[e]!;
  const rPtr = new Int32Array(nu + 1);
  const rIdx = new Int32Array(m);
  let nnz = 0;
  for (let u = 0; u < nu; u++) {
    const row = raw.subarray(count[u]!, count[u + 1]!).sort();
    for (let p = 0; p < row.length; p++) if (p === 0 || row[p] !== row[p - 1]) rIdx[nnz++] = row[p]!;
    rPtr[u + 1] = nnz;
  }
  // item degrees and Rᵀ rows (users in ascending order because u runs in order)
  const n = nu + ni;
  const degree = new Int32Array(n);
  for (let u = 0; u < nu; u++) degree[u] = rPtr[u + 1]! - rPtr[u]!;
  for (let p = 0; p < nnz; p++) degree[nu + rIdx[p]!]!++;
  const indptr = new Int32Array(n + 1);
  for (let v = 0; v < n; v++) indptr[v + 1] = indptr[v]! + degree[v]!;
  const indices = new Int32Array(2 * nnz);
  const at = indptr.slice(nu, n);
  for (let u = 0; u < nu; u++) {
    for (let p = rPtr[u]!; p < rPtr[u + 1]!; p++) {
      indices[indptr[u]! + (p - rPtr[u]!)] = nu + rIdx[p]!;
      indices[at[rIdx[p]!]!++] = u;
    }
  }
  const values = new Float32Array(2 * nnz);
  const left = degreePower(degree, -alpha);
  const right = degreePower(degree, -beta);
  for (let v = 0; v < n; v++)
    for (let p = indptr[v]!; p < indptr[v + 1]!; p++) values[p] = left[v]! * right[indices[p]!]!;
  return { numUsers: nu, numItems: ni, matrix: { rows: n, cols: n, indptr, indices, values }, degree };
}

/** d^e per node in float64, 0 for isolated nodes (their rows and columns are empty anyway). */
export function degreePower(degree: Int32Array, e: number): Float64Array {
  const out = new Float64Array(degree.length);
  for (let v = 0; v < degree.length; v++) out[v] = degree[v]! > 0 ? degree[v]! ** e : 0;
  return out;
}
