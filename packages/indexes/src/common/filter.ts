import type { QueryItemLists } from '@embrec/core';
import { TopK } from '@embrec/core';
import { type ExactScorer, ListMask } from './scan.ts';

/** A backend's unfiltered search: kk results per query ([nq, kk], -1 padded), best first. */
export type RawSearch = (queries: Float32Array, kk: number) => { ids: Int32Array; scores: Float32Array };

export interface FilterStats {
  /** Queries answered by exact scoring of the few items left (small allow lists, near-full exclusion). */
  brute: number;
  /** Extra backend calls made to refill queries whose over-fetched results were filtered away. */
  refills: number;
}

/**
 * Filtered top-k over an approximate backend, by over-fetch and refill:
 * 1. a query whose valid items are few (≤ `bruteFraction` of the catalogue, or ≤ 4k) is answered
 *    exactly by scoring only those items: cheaper than over-fetching, and exact;
 * 2. the others search kk = k + |exclude| (allow lists: k · n / |allow| · 1.5) results, drop the
 *    filtered ones and, while fewer than k remain and the backend returned a full list, double kk;
 * 3. a query still short of k after kk reached n falls back to exact scoring of its valid items.
 * So every query gets min(k, valid items) results, all of them allowed and none excluded.
 */
export function filteredSearch(
  raw: RawSearch,
  scorer: ExactScorer,
  queries: Float32Array,
  k: number,
  exclude: QueryItemLists | undefined,
  allow: QueryItemLists | undefined,
  bruteFraction = 1 / 16,
): { ids: Int32Array; scores: Float32Array; stats: FilterStats } {
  const { n, dim } = scorer;
  const nq = queries.length / dim;
  const ids = new Int32Array(nq * k).fill(-1);
  const scores = new Float32Array(nq * k).fill(Number.NEGATIVE_INFINITY);
  const stats: FilterStats = { brute: 0, refills: 0 };
  const mask = new ListMask(n, exclude, allow);
  const heap = new TopK(k);

  const brute = (q: number): void => {
    mask.select(q);
    const qn = scorer.queryNorm(queries, q);
    mask.forEachValid((i) => {
      const s = scorer.score(queries, q, i, qn);
      if (s >= heap.threshold) heap.push(i, s);
    });
    heap.drain(ids, scores, q * k, k);
    stats.brute++;
  };

  // 1. decide per query
  let pending: number[] = [];
  const want = new Map<number, number>();
  for (let q = 0; q < nq; q++) {
    mask.select(q);
    const valid = mask.validCount();
    if (valid <= Math.max(4 * k, n * bruteFraction)) {
      brute(q);
      continue;
    }
    const nEx = exclude === undefined ? 0 : (exclude.indptr[q + 1] as number) - (exclude.indptr[q] as number);
    const kk = allow === undefined ? k + nEx : Math.ceil(((k * n) / valid) * 1.5) + nEx;
    want.set(q, Math.min(n, kk));
    pending.push(q);
  }

  // 2. over-fetch and refill, grouping the pending queries into one backend call per round
  while (pending.length > 0) {
    const kk = Math.min(n, Math.max(...pending.map((q) => want.get(q) as number)));
    const sub = new Float32Array(pending.length * dim);
    pending.forEach((q, r) => {
      sub.set(queries.subarray(q * dim, (q + 1) * dim), r * dim);
    });
    const res = raw(sub, kk);
    const next: number[] = [];
    pending.forEach((q, r) => {
      mask.select(q);
      let got = 0;
      let returned = 0;
      for (let j = 0; j < kk; j++) {
        const id = res.ids[r * kk + j] as number;
        if (id < 0) continue;
        returned++;
        if (got < k && mask.ok(id)) {
          ids[q * k + got] = id;
          scores[q * k + got] = res.scores[r * kk + j] as number;
          got++;
        }
      }
      if (got >= k) return;
      if (returned >= kk && kk < n) {
        want.set(q, Math.min(n, kk * 2));
        next.push(q);
      } else {
        brute(q); // the backend has nothing more to give: score the valid items exactly
      }
    });
    if (next.length > 0) stats.refills++;
    pending = next;
  }
  mask.clear();
  return { ids, scores, stats };
}
