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
  /**
   * 'auto' (default): a fused GEMV scan (the items streamed once, AVX2 dot products, a heap per
   * query) for up to 8 queries, blocked SGEMM above; 'gemm' / 'gemv' force one path.
   */
  readonly path?: 'auto' | 'gemm' | 'gemv' | undefined;
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
    options.path === 'gemm' ? 1 : options.path === 'gemv' ? 2 : 0,
  ) as TopKResult;
}

/** The inverse of a dense symmetric positive-definite matrix [n, n] (LAPACK potrf + potri). */
export function symInverse<T extends Float32Array | Float64Array>(
  a: T,
  n: number,
  options: { inPlace?: boolean } = {},
): T {
  return addon().symInverse(a, n, options.inPlace === true) as T;
}

/**
 * The EASE item-item weights from a Gram matrix G = XᵀX [n, n] (Steck 2019):
 * P = (G + λI)⁻¹, B = I − P·diag(1/diag(P)), so B[i][j] = −P[i][j] / P[j][j] and diag(B) = 0.
 */
export function easeWeights<T extends Float32Array | Float64Array>(
  gram: T,
  n: number,
  lambda: number,
  options: { inPlace?: boolean } = {},
): T {
  return addon().easeWeights(gram, n, lambda, options.inPlace === true) as T;
}

/**
 * XᵀX [cols, cols] of a CSR matrix X [rows, cols]. `mode` picks the sparse scatter (cost Σ nnz_r²)
 * or dense ssyrk blocks; `auto` estimates both.
 */
export function gramCsr(
  csr: CsrMatrix,
  options: { mode?: 'auto' | 'sparse' | 'dense'; threads?: number } = {},
): Float32Array {
  const mode = options.mode === 'sparse' ? 1 : options.mode === 'dense' ? 2 : 0;
  return addon().gramCsr(
    csr.indptr,
    csr.indices,
    csr.values,
    csr.rows,
    csr.cols,
    mode,
    options.threads,
  ) as Float32Array;
}

/** A·X for a CSR A [rows, cols] and a dense row-major X [cols, d]: returns [rows, d]. */
export function spmm(
  csr: CsrMatrix,
  x: Float32Array,
  d: number,
  options: { threads?: number } = {},
): Float32Array {
  return addon().spmm(
    csr.indptr,
    csr.indices,
    csr.values,
    csr.rows,
    csr.cols,
    x,
    d,
    options.threads,
  ) as Float32Array;
}

/** Aᵀ·Y for a CSR A [rows, cols] and a dense row-major Y [rows, d]: returns [cols, d]. */
export function spmmT(
  csr: CsrMatrix,
  y: Float32Array,
  d: number,
  options: { threads?: number } = {},
): Float32Array {
  return addon().spmmT(
    csr.indptr,
    csr.indices,
    csr.values,
    csr.rows,
    csr.cols,
    y,
    d,
    options.threads,
  ) as Float32Array;
}

/** Divides each row of x [rows, cols] by its L2 norm ({@link unitRows}); all-zero rows stay zero. */
export function rowNormalize(
  x: Float32Array,
  rows: number,
  cols: number,
  options: { inPlace?: boolean } = {},
): Float32Array {
  const { y } = unitRows(x, rows, cols);
  if (!options.inPlace) return y;
  x.set(y);
  return x;
}

/**
 * y = x·(‖x‖² + 1e-24)^-½ per row of x [rows, cols] (all-zero rows stay zero), with the row factors r
 * as float32 for {@link unitRowsGrad}. Sums in double: the same bits as the straightforward JavaScript.
 */
export function unitRows(x: Float32Array, rows: number, cols: number): { y: Float32Array; r: Float32Array } {
  const [y, r] = addon().unitRows(x, rows, cols) as [Float32Array, Float32Array];
  return { y, r };
}

/** The gradient of {@link unitRows}: dx = r·(dy − y·(y·dy)) per row. */
export function unitRowsGrad(
  y: Float32Array,
  r: Float32Array,
  dy: Float32Array,
  rows: number,
  cols: number,
): Float32Array {
  return addon().unitRowsGrad(y, r, dy, rows, cols) as Float32Array;
}

/**
 * Normalised values for a CSR matrix (the structure is unchanged): `row` divides by row sums
 * (D_r⁻¹A), `sym` by sqrt(rowSum · colSum) (D_r^-½ A D_c^-½, LightGCN's Â for a bipartite or
 * symmetric adjacency). Entries of empty rows/columns stay 0.
 */
export function csrNormalize(csr: CsrMatrix, mode: 'row' | 'sym'): Float32Array {
  const nnz = csr.indices.length;
  const v = (e: number): number => (csr.values ? (csr.values[e] as number) : 1);
  const rowSum = new Float64Array(csr.rows);
  const colSum = new Float64Array(csr.cols);
  for (let r = 0; r < csr.rows; r++) {
    for (let e = csr.indptr[r] as number; e < (csr.indptr[r + 1] as number); e++) {
      const c = csr.indices[e] as number;
      rowSum[r] = (rowSum[r] as number) + v(e);
      colSum[c] = (colSum[c] as number) + v(e);
    }
  }
  const out = new Float32Array(nnz);
  for (let r = 0; r < csr.rows; r++) {
    for (let e = csr.indptr[r] as number; e < (csr.indptr[r + 1] as number); e++) {
      const rs = rowSum[r] as number;
      const cs = colSum[csr.indices[e] as number] as number;
      const den = mode === 'row' ? rs : Math.sqrt(rs * cs);
      out[e] = den > 0 ? v(e) / den : 0;
    }
  }
  return out;
}
