import { addon } from './addon.ts';

/** A CSR row structure: row r holds indices[indptr[r] .. indptr[r+1]) (the shape of core's `Csr`). */
export interface CsrIndex {
  readonly indptr: Int32Array; // [rows + 1]
  readonly indices: Int32Array; // [nnz]
}

/** A CSR matrix with optional values (absent = all ones); structurally the same as core's `Csr`. */
export interface CsrMatrix extends CsrIndex {
  readonly rows: number;
  readonly cols: number;
  readonly values?: Float32Array | undefined; // [nnz]
}

/** Top-K result: row r's j-th best is ids[r*k + j] (−1 when the row had fewer than k candidates). */
export interface TopKResult {
  readonly ids: Int32Array; // [rows * k], -1 padded
  readonly scores: Float32Array; // [rows * k], -Infinity padded
}

export interface TopKOptions {
  /** Per-row column indices never to return (already-seen items). */
  readonly exclude?: CsrIndex | undefined;
  /** Worker threads (rows are split between them). Default 1. */
  readonly threads?: number | undefined;
}

/**
 * The k best columns of each row of a dense row-major score matrix, best first, ties broken by the
 * lower column index. NaN scores and excluded columns are never returned.
 */
export function topkRows(
  scores: Float32Array,
  rows: number,
  cols: number,
  k: number,
  exclude?: CsrIndex,
  options: { threads?: number | undefined } = {},
): TopKResult {
  return addon().topkRows(
    scores,
    rows,
    cols,
    k,
    exclude?.indptr,
    exclude?.indices,
    options.threads,
  ) as TopKResult;
}

export interface TopKDotOptions extends TopKOptions {
  /** Only these item indices are candidates (a filter shared by all queries). */
  readonly allow?: Int32Array | undefined;
}

/**
 * Exact maximum-inner-product top-K: scores queries [nq, d] · items [n, d]ᵀ block by block with
 * OpenBLAS sgemm and keeps a bounded heap per query, so the nq × n score matrix never exists.
 * Same ordering rules as `topkRows`.
 */
export function topkDot(
  queries: Float32Array,
  items: Float32Array,
  d: number,
  k: number,
  options: TopKDotOptions = {},
): TopKResult {
  const nq = d > 0 ? queries.length / d : 0;
  const n = d > 0 ? items.length / d : 0;
  if (!Number.isInteger(nq) || !Number.isInteger(n)) {
    throw new RangeError(
      `topkDot: queries (length ${queries.length}) and items (length ${items.length}) must be whole rows of d = ${d}`,
    );
  }
  const ex = options.exclude;
  return addon().topkDot(
    queries,
    nq,
    items,
    n,
    d,
    k,
    ex?.indptr,
    ex?.indices,
    options.allow,
    options.threads,
  ) as TopKResult;
}
