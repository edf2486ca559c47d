/**
 * Recall@k of approximate results against exact ones: the share of the exact top-k that the
 * approximate top-k contains, averaged over queries (faiss's "intersection" measure). Both arrays
 * are [nq, k] row-major (-1 padding is ignored; a row with fewer than k exact items counts those).
 */
export function recallAtK(approx: Int32Array, exact: Int32Array, nq: number, k: number): number {
  let hit = 0;
  let total = 0;
  const truth = new Set<number>();
  for (let q = 0; q < nq; q++) {
    truth.clear();
    for (let j = 0; j < k; j++) {
      const t = exact[q * k + j] as number;
      if (t >= 0) truth.add(t);
    }
    total += truth.size;
    for (let j = 0; j < k; j++) {
      const a = approx[q * k + j] as number;
      if (a >= 0 && truth.has(a)) {
        hit++;
        truth.delete(a); // a duplicate in the approximate row counts once
      }
    }
  }
  return total === 0 ? 1 : hit / total;
}

/** The p-th percentile (0–100) of a list of numbers, by linear interpolation. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = ((s.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}
