/**
 * Trustworthiness of a low-dimensional embedding (Venna & Kaski 2001), as
 * sklearn.manifold.trustworthiness computes it with Euclidean distances:
 *
 *   T(k) = 1 − 2 / (n·k·(2n − 3k − 1)) · Σ_i Σ_{j ∈ U_i} (r(i, j) − k)
 *
 * where U_i are the k nearest neighbours of i in the map that are not among its k nearest in the
 * original space, and r(i, j) is j's rank (1 = nearest) among i's neighbours in the original space.
 * O(n²·(dim + k)) time, O(n) memory: meant for n up to ~10⁴.
 */
export function trustworthiness(
  high: Float32Array,
  highDim: number,
  low: Float32Array | Float64Array,
  lowDim: number,
  k = 5,
): number {
  const n = high.length / highDim;
  if (k >= n / 2) throw new RangeError(`trustworthiness: k (${k}) must be below n/2 (${n / 2})`);
  const dh = new Float64Array(n);
  const dl = new Float64Array(n);
  const nbrLow = new Int32Array(k);
  let penalty = 0;
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < n; m++) {
      let s = 0;
      for (let j = 0; j < highDim; j++) {
        const d = high[i * highDim + j]! - high[m * highDim + j]!;
        s += d * d;
      }
      dh[m] = s;
      let t = 0;
      for (let j = 0; j < lowDim; j++) {
        const d = low[i * lowDim + j]! - low[m * lowDim + j]!;
        t += d * d;
      }
      dl[m] = t;
    }
    dh[i] = Number.POSITIVE_INFINITY;
    dl[i] = Number.POSITIVE_INFINITY;
    kSmallest(dl, k, nbrLow);
    for (const j of nbrLow) {
      // rank of j in the original space: points strictly closer, ties broken by index
      const dj = dh[j]!;
      let rank = 1;
      for (let m = 0; m < n; m++) {
        const d = dh[m]!;
        if (d < dj || (d === dj && m < j)) rank++;
      }
      if (rank > k) penalty += rank - k;
    }
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;
}

/** Indices of the k smallest values (ties to the lower index), in no particular order. */
function kSmallest(d: Float64Array, k: number, out: Int32Array): void {
  let filled = 0;
  for (let m = 0; m < d.length; m++) {
    const v = d[m]!;
    if (filled < k) {
      out[filled++] = m;
      continue;
    }
    // replace the current worst when v is smaller
    let w = 0;
    for (let a = 1; a < k; a++)
      if (d[out[a]!]! > d[out[w]!]! || (d[out[a]!]! === d[out[w]!]! && out[a]! > out[w]!)) w = a;
    if (v < d[out[w]!]!) out[w] = m;
  }
}
