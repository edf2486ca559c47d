import type { SearchOptions, SearchResult } from '@embrec/core';
import { dot, TopK } from '@embrec/core';
import { BaseIndex } from '../common/base.ts';
import type { Metric } from '../common/metric.ts';
import { exactSearch } from '../common/scan.ts';
import { nativeTopk, nativeTopkAvailable } from './native.ts';

/**
 * Exact search: every item scored, top-k kept by a heap. The reference every approximate index is
 * measured against. Uses the native blocked SGEMM + heap kernel of @embrec/native (a fused GEMV
 * scan that streams the items once for batches of ≤ 8 queries) when it is
 * available and a blocked JS loop otherwise; filters are applied inside the scan (exact by design).
 */
export class ExactIndex extends BaseIndex {
  readonly type = 'exact';
  protected readonly searchParams: readonly string[] = [];
  protected override get nativeFilters(): boolean {
    return true;
  }
  readonly #blockRows: number;

  constructor(metric: Metric, blockRows = 2048) {
    super(metric);
    this.#blockRows = blockRows;
  }

  protected params(): Record<string, string | number | boolean> {
    return { backend: this.#native() ? 'native' : 'js' };
  }

  protected async buildBackend(): Promise<void> {}

  protected async saveBackend(): Promise<void> {}

  protected async loadBackend(): Promise<void> {}

  protected backendBytes(): number {
    return 0;
  }

  protected rawSearch(
    queries: Float32Array,
    kk: number,
    _params: Readonly<Record<string, number>>,
    threads: number,
  ): { ids: Int32Array; scores: Float32Array } {
    const scorer = this.scorer;
    if (scorer === undefined) throw new Error('exact index: not built');
    if (this.#native() && scorer.metric !== 'l2') {
      return nativeTopk(queries, scorer.vectors, this.dim, kk, undefined, undefined, threads);
    }
    if (scorer.metric === 'l2') return exactSearch(scorer, queries, kk);
    return blockedTopk(scorer.vectors, queries, this.dim, kk, this.#blockRows);
  }

  protected override filteredRaw(
    queries: Float32Array,
    k: number,
    opts: SearchOptions,
    _params: Readonly<Record<string, number>>,
    threads: number,
  ): SearchResult {
    const scorer = this.scorer;
    if (scorer === undefined) throw new Error('exact index: not built');
    if (this.#native() && scorer.metric !== 'l2') {
      return { k, ...nativeTopk(queries, scorer.vectors, this.dim, k, opts.exclude, opts.allow, threads) };
    }
    const r = exactSearch(scorer, queries, k, opts.exclude, opts.allow);
    return { k, ids: r.ids, scores: r.scores };
  }

  #native(): boolean {
    return nativeTopkAvailable();
  }
}

/**
 * Unfiltered inner-product top-k in JS, blocked over items so that a block of rows stays in cache
 * while every query of the batch is scored against it.
 */
export function blockedTopk(
  items: Float32Array,
  queries: Float32Array,
  dim: number,
  k: number,
  blockRows: number,
): { ids: Int32Array; scores: Float32Array } {
  const n = items.length / dim;
  const nq = queries.length / dim;
  const heaps = Array.from({ length: nq }, () => new TopK(k));
  for (let b0 = 0; b0 < n; b0 += blockRows) {
    const b1 = Math.min(n, b0 + blockRows);
    for (let q = 0; q < nq; q++) {
      const h = heaps[q] as TopK;
      let thr = h.threshold;
      for (let i = b0; i < b1; i++) {
        const s = dot(items, i, queries, q, dim);
        if (s >= thr) {
          h.push(i, s);
          thr = h.threshold;
        }
      }
    }
  }
  const ids = new Int32Array(nq * k);
  const scores = new Float32Array(nq * k);
  heaps.forEach((h, q) => {
    h.drain(ids, scores, q * k, k);
  });
  return { ids, scores };
}
