/**
 * Ranking metrics of one user, as pure functions. `ranked` holds item indices best first (-1 padded);
 * `relevant` is sorted ascending and duplicate-free. Relevance is binary.
 *
 * - Recall@k    = hits in the top k / |relevant|                      (LightGCN, BARS)
 * - Precision@k = hits in the top k / k
 * - HR@k        = 1 when the top k holds at least one relevant item
 * - NDCG@k      = DCG@k / IDCG@k with DCG@k = Σ_{i<k, ranked[i] relevant} 1/log2(i+2) and the ideal
 *                 DCG over min(|relevant|, k) positions. This is exactly LightGCN's `NDCGatK_r`
 *                 (utils.py: `length = k if k <= len(items) else len(items)`, idcg over those
 *                 positions), so no separately named variant is needed.
 * - MRR@k       = 1/(rank of the first relevant item) when it is in the top k, else 0
 * - MAP@k       = Σ_{i<k, hit} Precision@(i+1) / min(|relevant|, k)   (RecBole's AP@k)
 * A user without relevant items scores 0 on every metric (evaluators skip such users).
 */

const DISCOUNT: number[] = [];

/** 1 / log2(i + 2): the DCG discount of 0-based position i. */
export function discount(i: number): number {
  for (let j = DISCOUNT.length; j <= i; j++) DISCOUNT.push(1 / Math.log2(j + 2));
  return DISCOUNT[i]!;
}

/** Binary search in a sorted ascending array. */
export function contains(sorted: Int32Array, item: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    if (v === item) return true;
    if (v < item) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function limit(ranked: Int32Array, k: number): number {
  return Math.min(k, ranked.length);
}

export function hitsAtK(ranked: Int32Array, relevant: Int32Array, k: number): number {
  let hits = 0;
  const n = limit(ranked, k);
  for (let i = 0; i < n; i++) {
    const it = ranked[i]!;
    if (it >= 0 && contains(relevant, it)) hits++;
  }
  return hits;
}

export function recallAtK(ranked: Int32Array, relevant: Int32Array, k: number): number {
  if (relevant.length === 0) return 0;
  return hitsAtK(ranked, relevant, k) / relevant.length;
}

export function precisionAtK(ranked: Int32Array, relevant: Int32Array, k: number): number {
  if (relevant.length === 0) return 0;
  return hitsAtK(ranked, relevant, k) / k;
}

export function hitRateAtK(ranked: Int32Array, relevant: Int32Array, k: number): number {
  return hitsAtK(ranked, relevant, k) > 0 ? 1 : 0;
}

export function ndcgAtK(ranked: Int32Array, relevant: Int32Array, k: number): number {
  if (relevant.length === 0) return 0;
  let dcg = 0;
  const n = limit(ranked, k);
  for (let i = 0; i < n; i++) {
    const it = ranked[i]!;
    if (it >= 0 && contains(relevant, it)) dcg += discount(i);
  }
  let idcg = 0;
  const m = Math.min(relevant.length, k);
  for (let i = 0; i < m; i++) idcg += discount(i);
  return dcg / idcg;
}

export function mrrAtK(ranked: Int32Array, relevant: Int32Array, k: number): number {
  const n = limit(ranked, k);
  for (let i = 0; i < n; i++) {
    const it = ranked[i]!;
    if (it >= 0 && contains(relevant, it)) return 1 / (i + 1);
  }
  return 0;
}

export function mapAtK(ranked: Int32Array, relevant: Int32Array, k: number): number {
  if (relevant.length === 0) return 0;
  let hits = 0;
  let sum = 0;
  const n = limit(ranked, k);
  for (let i = 0; i < n; i++) {
    const it = ranked[i]!;
    if (it >= 0 && contains(relevant, it)) {
      hits++;
      sum += hits / (i + 1);
    }
  }
  return sum / Math.min(relevant.length, k);
}
