/**
 * Maximal Marginal Relevance (Carbonell & Goldstein 1998): greedily picks up to `k` of the `rel.length`
 * candidates, each time the one that maximises λ·rel − (1 − λ)·(its largest similarity to those already
 * picked; 0 for the first pick). Ties go to the earlier candidate. `sim(a, b)` takes candidate positions
 * (a not yet picked, b just picked). Returns the picked positions in order with their MMR values. The one
 * implementation behind the `mmr` re-ranker and `embrec serve`.
 */
export function mmrSelect(
  rel: ArrayLike<number>,
  k: number,
  lambda: number,
  sim: (a: number, b: number) => number,
): { order: number[]; values: number[] } {
  const n = rel.length;
  const maxSim = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  const used = new Uint8Array(n);
  const order: number[] = [];
  const values: number[] = [];
  for (let m = 0; m < Math.min(k, n); m++) {
    let best = -1;
    let bestV = Number.NEGATIVE_INFINITY;
    for (let a = 0; a < n; a++) {
      if (used[a]) continue;
      const v = lambda * rel[a]! - (1 - lambda) * (m === 0 ? 0 : maxSim[a]!);
      if (v > bestV) {
        bestV = v;
        best = a;
      }
    }
    if (best < 0) break;
    used[best] = 1;
    order.push(best);
    values.push(bestV);
    for (let a = 0; a < n; a++) if (!used[a]) maxSim[a] = Math.max(maxSim[a]!, sim(a, best));
  }
  return { order, values };
}
