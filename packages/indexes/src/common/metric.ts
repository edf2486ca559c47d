/**
 * Metrics. Scores are always "higher is better":
 * - `ip`: the inner product q·x (maximum inner product search, the default for recommenders);
 * - `cosine`: items and queries are L2-normalised, then the inner product;
 * - `l2`: minus the squared Euclidean distance, −‖q − x‖².
 */
export type Metric = 'ip' | 'cosine' | 'l2';

export const METRICS = ['ip', 'cosine', 'l2'] as const;

/** A copy of `vectors` ([n, dim]) with each row scaled to unit length (zero rows stay zero). */
export function normalizeRows(vectors: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(vectors.length);
  const n = vectors.length / dim;
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const v = vectors[o + j] as number;
      s += v * v;
    }
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < dim; j++) out[o + j] = (vectors[o + j] as number) * inv;
  }
  return out;
}

/** Squared norms of the rows of [n, dim]. */
export function squaredNorms(vectors: Float32Array, dim: number): Float32Array {
  const n = vectors.length / dim;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const v = vectors[o + j] as number;
      s += v * v;
    }
    out[i] = s;
  }
  return out;
}
