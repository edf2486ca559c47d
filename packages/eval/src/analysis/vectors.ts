/** Row L2 norms of a row-major [n, dim] matrix. */
export function rowNorms(v: Float32Array, dim: number): Float64Array {
  const n = v.length / dim;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += v[i * dim + j]! ** 2;
    out[i] = Math.sqrt(s);
  }
  return out;
}

/** Rows scaled to unit length (zero rows stay zero), so dot products are cosine similarities. */
export function unitRows(v: Float32Array, dim: number): Float32Array {
  const norms = rowNorms(v, dim);
  const out = new Float32Array(v.length);
  for (let i = 0; i < norms.length; i++) {
    const s = norms[i]! > 0 ? 1 / norms[i]! : 0;
    for (let j = 0; j < dim; j++) out[i * dim + j] = v[i * dim + j]! * s;
  }
  return out;
}

/** The rows `keep` of a row-major matrix. */
export function selectRows(v: Float32Array, dim: number, keep: ArrayLike<number>): Float32Array {
  const out = new Float32Array(keep.length * dim);
  for (let r = 0; r < keep.length; r++) out.set(v.subarray(keep[r]! * dim, (keep[r]! + 1) * dim), r * dim);
  return out;
}
