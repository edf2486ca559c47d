/**
 * The one JS top-K of embrec: the fallback of @embrec/native's `topkRows` / `topkDot` (eval) and the
 * heap of the JS index scans (indexes). A bounded min-heap keeps the k largest scores seen (ties:
 * the smaller item index wins, so results are deterministic); `drain` writes them best first,
 * -1 / -Infinity padded.
 */
import type { QueryItemLists } from '../plugin/kinds.ts';

export class TopK {
  readonly k: number;
  readonly #scores: Float64Array;
  readonly #ids: Int32Array;
  #size = 0;

  constructor(k: number) {
    this.k = k;
    this.#scores = new Float64Array(k);
    this.#ids = new Int32Array(k);
  }

  get size(): number {
    return this.#size;
  }

  /** The score an item must beat to enter (−Infinity until the heap is full). */
  get threshold(): number {
    return this.#size < this.k ? Number.NEGATIVE_INFINITY : (this.#scores[0] as number);
  }

  reset(): void {
    this.#size = 0;
  }

  push(id: number, score: number): void {
    const s = this.#scores;
    const ids = this.#ids;
    if (this.#size < this.k) {
      let i = this.#size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(score, id, s[p] as number, ids[p] as number)) break;
        s[i] = s[p] as number;
        ids[i] = ids[p] as number;
        i = p;
      }
      s[i] = score;
      ids[i] = id;
      return;
    }
    if (!worse(s[0] as number, ids[0] as number, score, id)) return;
    // replace the root and sift down
    const n = this.#size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && worse(s[r] as number, ids[r] as number, s[l] as number, ids[l] as number)) c = r;
      if (!worse(s[c] as number, ids[c] as number, score, id)) break;
      s[i] = s[c] as number;
      ids[i] = ids[c] as number;
      i = c;
    }
    s[i] = score;
    ids[i] = id;
  }

  /** Writes the kept items best first into out[offset .. offset + width), padding with -1. */
  drain(outIds: Int32Array, outScores: Float32Array, offset: number, width: number): void {
    const n = this.#size;
    const order = new Array<number>(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const s = this.#scores;
    const ids = this.#ids;
    order.sort((a, b) =>
      worse(s[a] as number, ids[a] as number, s[b] as number, ids[b] as number) ? 1 : -1,
    );
    for (let j = 0; j < width; j++) {
      const o = order[j];
      if (o === undefined) {
        outIds[offset + j] = -1;
        outScores[offset + j] = Number.NEGATIVE_INFINITY;
      } else {
        outIds[offset + j] = ids[o] as number;
        outScores[offset + j] = s[o] as number;
      }
    }
    this.#size = 0;
  }
}

/** Is (sa, ia) ranked below (sb, ib)? Lower score, or equal score and larger index. */
function worse(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa < sb || (sa === sb && ia > ib);
}

/** The inner product of row `row` of `items` with query row `q` of `queries`. */
export function dot(items: Float32Array, row: number, queries: Float32Array, q: number, dim: number): number {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let i = row * dim;
  let j = q * dim;
  const end = i + dim - 3;
  for (; i < end; i += 4, j += 4) {
    a0 += (items[i] as number) * (queries[j] as number);
    a1 += (items[i + 1] as number) * (queries[j + 1] as number);
    a2 += (items[i + 2] as number) * (queries[j + 2] as number);
    a3 += (items[i + 3] as number) * (queries[j + 3] as number);
  }
  const stop = row * dim + dim;
  for (; i < stop; i++, j++) a0 += (items[i] as number) * (queries[j] as number);
  return a0 + a1 + a2 + a3;
}

/** k best columns per row: ids [rows, k] (-1 padded), scores [rows, k] (-Infinity padded), best first. */
export interface TopKLists {
  readonly k: number;
  readonly ids: Int32Array;
  readonly scores: Float32Array;
}

/**
 * Top-k selection of every row of a dense score matrix [rows, cols]. `exclude` row r lists columns
 * row r must never return (a user's training items); NaN scores are skipped.
 */
export function topkRowsJs(
  scores: Float32Array,
  rows: number,
  cols: number,
  k: number,
  exclude?: QueryItemLists,
): TopKLists {
  const ids = new Int32Array(rows * k);
  const out = new Float32Array(rows * k);
  const heap = new TopK(k);
  const banned = new Uint8Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    if (exclude)
      for (let p = exclude.indptr[r]!; p < exclude.indptr[r + 1]!; p++) banned[exclude.indices[p]!] = 1;
    for (let c = 0; c < cols; c++) {
      const s = scores[base + c]!;
      if (banned[c] || Number.isNaN(s) || s < heap.threshold) continue;
      heap.push(c, s);
    }
    if (exclude)
      for (let p = exclude.indptr[r]!; p < exclude.indptr[r + 1]!; p++) banned[exclude.indices[p]!] = 0;
    heap.drain(ids, out, r * k, k);
  }
  return { k, ids, scores: out };
}

/** Top-k items by dot product per query: queries [nq, dim], items [ni, dim], scored in chunks. */
export function topkDotJs(
  queries: Float32Array,
  items: Float32Array,
  dim: number,
  k: number,
  exclude?: QueryItemLists,
): TopKLists {
  const nq = queries.length / dim;
  const ni = items.length / dim;
  const chunk = Math.max(1, Math.min(nq, Math.floor(4_000_000 / Math.max(1, ni))));
  const ids = new Int32Array(nq * k);
  const scores = new Float32Array(nq * k);
  const buf = new Float32Array(chunk * ni);
  for (let q0 = 0; q0 < nq; q0 += chunk) {
    const q1 = Math.min(nq, q0 + chunk);
    for (let q = q0; q < q1; q++) {
      const bo = (q - q0) * ni;
      for (let i = 0; i < ni; i++) buf[bo + i] = dot(items, i, queries, q, dim);
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
