import type { QueryItemLists } from '@embrec/core';

/** k best columns per row: ids [rows, k] (-1 padded), scores [rows, k] (-Infinity padded), best first. */
export interface TopK {
  readonly k: number;
  readonly ids: Int32Array;
  readonly scores: Float32Array;
}

/**
 * Top-k selection of every row of a dense score matrix in plain JS (a size-k min-heap per row).
 * `exclude` row r lists columns that row r must never return (a user's training items).
 * This is the fallback of the native `topkRows`; results are identical up to the order of ties.
 */
export function topkRowsJs(
  scores: Float32Array,
  rows: number,
  cols: number,
  k: number,
  exclude?: QueryItemLists,
): TopK {
  const ids = new Int32Array(rows * k).fill(-1);
  const out = new Float32Array(rows * k).fill(Number.NEGATIVE_INFINITY);
  const hs = new Float32Array(k);
  const hi = new Int32Array(k);
  const banned = new Uint8Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    if (exclude)
      for (let p = exclude.indptr[r]!; p < exclude.indptr[r + 1]!; p++) banned[exclude.indices[p]!] = 1;
    let n = 0;
    for (let c = 0; c < cols; c++) {
      if (banned[c]) continue;
      const s = scores[base + c]!;
      if (Number.isNaN(s)) continue;
      if (n < k) {
        heapPush(hs, hi, n, s, c);
        n++;
      } else if (s > hs[0]!) {
        heapReplaceRoot(hs, hi, k, s, c);
      }
    }
    if (exclude)
      for (let p = exclude.indptr[r]!; p < exclude.indptr[r + 1]!; p++) banned[exclude.indices[p]!] = 0;
    drainSorted(hs, hi, n, ids, out, r * k);
  }
  return { k, ids, scores: out };
}

/**
 * Top-k items by dot product for each query in plain JS: queries [nq, dim], items [ni, dim].
 * Scores are computed row by row into a scratch buffer, then selected as in `topkRowsJs`.
 */
export function topkDotJs(
  queries: Float32Array,
  items: Float32Array,
  dim: number,
  k: number,
  exclude?: QueryItemLists,
): TopK {
  const nq = queries.length / dim;
  const ni = items.length / dim;
  const chunk = Math.max(1, Math.min(nq, Math.floor(4_000_000 / Math.max(1, ni))));
  const ids = new Int32Array(nq * k);
  const scores = new Float32Array(nq * k);
  const buf = new Float32Array(chunk * ni);
  for (let q0 = 0; q0 < nq; q0 += chunk) {
    const q1 = Math.min(nq, q0 + chunk);
    for (let q = q0; q < q1; q++) {
      const qo = q * dim;
      const bo = (q - q0) * ni;
      for (let i = 0; i < ni; i++) {
        const io = i * dim;
        let s = 0;
        for (let d = 0; d < dim; d++) s += queries[qo + d]! * items[io + d]!;
        buf[bo + i] = s;
      }
    }
    const sub = exclude ? sliceLists(exclude, q0, q1) : undefined;
    const part = topkRowsJs(buf.subarray(0, (q1 - q0) * ni), q1 - q0, ni, k, sub);
    ids.set(part.ids, q0 * k);
    scores.set(part.scores, q0 * k);
  }
  return { k, ids, scores };
}

/** Rows [r0, r1) of a CSR list, re-based to start at row 0. */
export function sliceLists(x: QueryItemLists, r0: number, r1: number): QueryItemLists {
  const start = x.indptr[r0]!;
  const indptr = new Int32Array(r1 - r0 + 1);
  for (let r = r0; r <= r1; r++) indptr[r - r0] = x.indptr[r]! - start;
  return { indptr, indices: x.indices.subarray(start, x.indptr[r1]!) };
}

// Min-heap on (score, id); on equal scores the larger id is "smaller", so lower ids win ties.
function less(as: number, ai: number, bs: number, bi: number): boolean {
  return as < bs || (as === bs && ai > bi);
}

function heapPush(hs: Float32Array, hi: Int32Array, n: number, s: number, id: number): void {
  let i = n;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!less(s, id, hs[p]!, hi[p]!)) break;
    hs[i] = hs[p]!;
    hi[i] = hi[p]!;
    i = p;
  }
  hs[i] = s;
  hi[i] = id;
}

function siftDown(hs: Float32Array, hi: Int32Array, n: number, s: number, id: number): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && less(hs[r]!, hi[r]!, hs[l]!, hi[l]!) ? r : l;
    if (!less(hs[c]!, hi[c]!, s, id)) break;
    hs[i] = hs[c]!;
    hi[i] = hi[c]!;
    i = c;
  }
  hs[i] = s;
  hi[i] = id;
}

function heapReplaceRoot(hs: Float32Array, hi: Int32Array, n: number, s: number, id: number): void {
  siftDown(hs, hi, n, s, id);
}

/** Pops the heap into out[at + n-1] .. out[at] so that the best comes first. */
function drainSorted(
  hs: Float32Array,
  hi: Int32Array,
  n: number,
  ids: Int32Array,
  scores: Float32Array,
  at: number,
): void {
  for (let m = n; m > 0; m--) {
    ids[at + m - 1] = hi[0]!;
    scores[at + m - 1] = hs[0]!;
    const ls = hs[m - 1]!;
    const li = hi[m - 1]!;
    if (m - 1 > 0) siftDown(hs, hi, m - 1, ls, li);
  }
}
