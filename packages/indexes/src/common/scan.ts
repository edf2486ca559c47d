import type { QueryItemLists } from '@embrec/core';
import { dot, TopK } from '@embrec/core';
import type { Metric } from './metric.ts';

/**
 * Exact scores of stored vectors against queries, for one metric. For `cosine` the stored vectors
 * and the queries must already be normalised (the index does it); `l2` uses the squared norms.
 */
export class ExactScorer {
  readonly n: number;
  readonly dim: number;
  readonly vectors: Float32Array;
  readonly metric: Metric;
  readonly #norms: Float32Array | undefined;

  constructor(vectors: Float32Array, dim: number, metric: Metric, norms?: Float32Array) {
    this.vectors = vectors;
    this.dim = dim;
    this.n = vectors.length / dim;
    this.metric = metric;
    this.#norms = metric === 'l2' ? norms : undefined;
  }

  /** Score of item `row` for query row `q` of `queries`; `qNorm` is ‖q‖² (l2 only). */
  score(queries: Float32Array, q: number, row: number, qNorm: number): number {
    const d = dot(this.vectors, row, queries, q, this.dim);
    if (this.#norms === undefined) return d;
    return -((this.#norms[row] as number) - 2 * d + qNorm);
  }

  queryNorm(queries: Float32Array, q: number): number {
    if (this.#norms === undefined) return 0;
    let s = 0;
    for (let j = q * this.dim, e = j + this.dim; j < e; j++) {
      const v = queries[j] as number;
      s += v * v;
    }
    return s;
  }
}

/**
 * Per-query masks over the catalogue built from `exclude` / `allow` lists; one shared byte array is
 * reused query after query, so the cost is O(list length), not O(n), per query.
 */
export class ListMask {
  readonly #mark: Uint8Array;
  readonly #exclude: QueryItemLists | undefined;
  readonly #allow: QueryItemLists | undefined;
  #q = -1;

  constructor(n: number, exclude: QueryItemLists | undefined, allow: QueryItemLists | undefined) {
    this.#mark = new Uint8Array(n);
    this.#exclude = exclude;
    this.#allow = allow;
  }

  get hasAllow(): boolean {
    return this.#allow !== undefined;
  }

  /** Switches to query q. Marks: 1 = excluded, 2 = allowed (allow-list mode), 3 = both. */
  select(q: number): void {
    this.clear();
    this.#q = q;
    this.#each(this.#allow, q, (i) => {
      this.#mark[i] = (this.#mark[i] as number) | 2;
    });
    this.#each(this.#exclude, q, (i) => {
      this.#mark[i] = (this.#mark[i] as number) | 1;
    });
  }

  clear(): void {
    if (this.#q < 0) return;
    const q = this.#q;
    this.#each(this.#allow, q, (i) => {
      this.#mark[i] = 0;
    });
    this.#each(this.#exclude, q, (i) => {
      this.#mark[i] = 0;
    });
    this.#q = -1;
  }

  /** May item i be returned for the selected query? */
  ok(i: number): boolean {
    const m = this.#mark[i] as number;
    return this.#allow === undefined ? m === 0 : m === 2;
  }

  /** Number of items that may be returned for the selected query. */
  validCount(): number {
    const q = this.#q;
    if (this.#allow !== undefined) {
      let c = 0;
      this.#each(this.#allow, q, (i) => {
        if (this.#mark[i] === 2) {
          c++;
          this.#mark[i] = 6; // count each allowed item once (duplicates in the list)
        }
      });
      this.#each(this.#allow, q, (i) => {
        if (this.#mark[i] === 6) this.#mark[i] = 2;
      });
      return c;
    }
    let c = 0;
    this.#each(this.#exclude, q, (i) => {
      if (this.#mark[i] === 1) {
        c++;
        this.#mark[i] = 5;
      }
    });
    this.#each(this.#exclude, q, (i) => {
      if (this.#mark[i] === 5) this.#mark[i] = 1;
    });
    return this.#mark.length - c;
  }

  /** Calls fn on every item that may be returned for the selected query (allow lists: list order). */
  forEachValid(fn: (i: number) => void): void {
    if (this.#allow !== undefined) {
      const seen = new Set<number>();
      this.#each(this.#allow, this.#q, (i) => {
        if (this.#mark[i] === 2 && !seen.has(i)) {
          seen.add(i);
          fn(i);
        }
      });
      return;
    }
    const n = this.#mark.length;
    for (let i = 0; i < n; i++) if (this.#mark[i] === 0) fn(i);
  }

  #each(lists: QueryItemLists | undefined, q: number, fn: (i: number) => void): void {
    if (lists === undefined || q < 0) return;
    const end = lists.indptr[q + 1] as number;
    for (let p = lists.indptr[q] as number; p < end; p++) fn(lists.indices[p] as number);
  }
}

/**
 * Exact top-k of the stored vectors for every query, honouring exclude / allow lists. The reference
 * that every approximate index is tested against (and the JS fallback of the `exact` index).
 */
export function exactSearch(
  scorer: ExactScorer,
  queries: Float32Array,
  k: number,
  exclude?: QueryItemLists,
  allow?: QueryItemLists,
): { ids: Int32Array; scores: Float32Array } {
  const nq = queries.length / scorer.dim;
  const ids = new Int32Array(nq * k);
  const scores = new Float32Array(nq * k);
  const heap = new TopK(k);
  const filtered = exclude !== undefined || allow !== undefined;
  const mask = filtered ? new ListMask(scorer.n, exclude, allow) : undefined;
  for (let q = 0; q < nq; q++) {
    const qn = scorer.queryNorm(queries, q);
    if (mask === undefined) {
      for (let i = 0; i < scorer.n; i++) {
        const s = scorer.score(queries, q, i, qn);
        if (s >= heap.threshold) heap.push(i, s);
      }
    } else {
      mask.select(q);
      mask.forEachValid((i) => {
        const s = scorer.score(queries, q, i, qn);
        if (s >= heap.threshold) heap.push(i, s);
      });
    }
    heap.drain(ids, scores, q * k, k);
  }
  mask?.clear();
  return { ids, scores };
}
