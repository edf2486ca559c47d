import type { Interactions } from '@embrec/core';
import { kmeans } from 'ml-kmeans';
import { unitRows } from '../analysis/vectors.ts';
import { topkBackend } from '../evaluation/backend.ts';

/** The k nearest rows of every row by cosine similarity (itself excluded): [n, k] row indices, -1 padded. */
export function cosineNeighbours(vectors: Float32Array, dim: number, k: number, threads = 1): Int32Array {
  const n = vectors.length / dim;
  const unit = unitRows(vectors, dim);
  const exclude = {
    indptr: Int32Array.from({ length: n + 1 }, (_, i) => i),
    indices: Int32Array.from({ length: n }, (_, i) => i),
  };
  const top = topkBackend({ threads }).topkDot(unit, unit, dim, k, exclude);
  if (top.k === k) return top.ids;
  const out = new Int32Array(n * k).fill(-1);
  for (let i = 0; i < n; i++) out.set(top.ids.subarray(i * top.k, (i + 1) * top.k), i * k);
  return out;
}

/**
 * Label purity of neighbour lists: per row, the share of its k neighbours with the row's own label
 * (sector purity@k of securities; same-style hit rate@k of clients). Rows without a label (-1),
 * or outside `rows`, are NaN. Padding (-1) counts as a miss.
 */
export function labelPurity(
  neighbours: Int32Array,
  k: number,
  labels: Int32Array,
  rows?: Uint8Array,
): Float64Array {
  const n = neighbours.length / k;
  const out = new Float64Array(n).fill(Number.NaN);
  for (let i = 0; i < n; i++) {
    if (labels[i]! < 0 || (rows && !rows[i])) continue;
    let same = 0;
    for (let j = 0; j < k; j++) {
      const c = neighbours[i * k + j]!;
      if (c >= 0 && labels[c] === labels[i]) same++;
    }
    out[i] = same / k;
  }
  return out;
}

/**
 * The purity a random neighbour list scores: the chance that another row, drawn uniformly among
 * the labelled rows other than itself, shares the row's label, averaged over the labelled rows —
 * Σ_s n_s(n_s − 1) / (n(n − 1)) for label counts n_s. With 8 equal sectors it is 1/8 less a little
 * (the row itself is not a candidate). Rows labelled -1 are left out.
 */
export function purityChance(labels: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! < 0) continue;
    counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
    n++;
  }
  if (n < 2) return Number.NaN;
  let same = 0;
  for (const c of counts.values()) same += c * (c - 1);
  return same / (n * (n - 1));
}

/** The mean of the finite values. */
export function finiteMean(a: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++)
    if (Number.isFinite(a[i]!)) {
      s += a[i]!;
      n++;
    }
  return n > 0 ? s / n : Number.NaN;
}

/**
 * Normalised mutual information of two labelings (arithmetic-mean normalisation, as scikit-learn's
 * default): NMI = I(a; b) / ((H(a) + H(b)) / 2), 1 when both are constant and equal.
 */
export function nmi(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`labelings differ in length: ${n} vs ${b.length}`);
  const joint = new Map<string, number>();
  const ca = new Map<number, number>();
  const cb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]}|${b[i]}`;
    joint.set(key, (joint.get(key) ?? 0) + 1);
    ca.set(a[i]!, (ca.get(a[i]!) ?? 0) + 1);
    cb.set(b[i]!, (cb.get(b[i]!) ?? 0) + 1);
  }
  const h = (c: Map<number, number>) => {
    let s = 0;
    for (const v of c.values()) s -= (v / n) * Math.log(v / n);
    return s;
  };
  let mi = 0;
  for (const [key, v] of joint) {
    const [x, y] = key.split('|').map(Number) as [number, number];
    mi += (v / n) * Math.log((v * n) / (ca.get(x)! * cb.get(y)!));
  }
  const ha = h(ca);
  const hb = h(cb);
  if (ha === 0 && hb === 0) return 1;
  return mi / ((ha + hb) / 2);
}

/**
 * k-means (ml-kmeans, k-means++ starts) on unit-length rows — the cosine geometry every other
 * measure uses — best of `restarts` seeded runs by within-cluster sum of squares.
 */
export function kmeansLabels(
  vectors: Float32Array,
  dim: number,
  k: number,
  seed = 0,
  restarts = 10,
): Int32Array {
  const unit = unitRows(vectors, dim);
  const n = vectors.length / dim;
  const data = Array.from({ length: n }, (_, i) => Array.from(unit.subarray(i * dim, (i + 1) * dim)));
  let best: { sse: number; clusters: number[] } | undefined;
  for (let r = 0; r < restarts; r++) {
    const res = kmeans(data, k, { seed: seed + r, initialization: 'kmeans++', maxIterations: 300 });
    let sse = 0;
    res.clusters.forEach((c, i) => {
      const centre = res.centroids[c]!;
      for (let j = 0; j < dim; j++) sse += (data[i]![j]! - centre[j]!) ** 2;
    });
    if (!best || sse < best.sse) best = { sse, clusters: res.clusters };
  }
  return Int32Array.from(best!.clusters);
}

/**
 * The co-holding representation: each security's column of the binary portfolio × security matrix
 * (`side: 'items'`, [items, users]) or each portfolio's row (`side: 'users'`, [users, items]).
 * Cosine between these rows is the co-holding count normalised by the two holder counts.
 */
export function holdingsMatrix(
  x: Interactions,
  side: 'items' | 'users',
): { vectors: Float32Array; dim: number } {
  const nU = x.userIds.size;
  const nI = x.itemIds.size;
  const dim = side === 'items' ? nU : nI;
  const vectors = new Float32Array((side === 'items' ? nI : nU) * dim);
  for (let r = 0; r < x.users.length; r++) {
    const u = x.users[r]!;
    const i = x.items[r]!;
    if (side === 'items') vectors[i * dim + u] = 1;
    else vectors[u * dim + i] = 1;
  }
  return { vectors, dim };
}
