import { type Csr, transposeCsr } from '@embrec/core';
import { sgemm, topkRows } from '@embrec/native';

/** How two items' trained vectors make the weight of history item i for candidate item j. */
export interface KnnOptions {
  /**
   * 'input-output': skip-gram's own prediction of j from i, w = exp(α · in_i·out_j) (∝ P(j | i)^α
   * up to a factor per candidate when negatives are drawn uniformly, power 0: Levy & Goldberg 2014);
   * 'cosine': the Item2Vec paper's item similarity, w = max(0, cos(in_i, in_j))^α.
   */
  readonly similarity: 'input-output' | 'cosine';
  /** Neighbours kept per candidate item j: the k history items i of largest similarity. */
  readonly neighbours: number;
  /** α: the similarity raised to this power (sharpens for α > 1). */
  readonly power: number;
  /** Candidate rows per block of the similarity computation (a block holds block × items floats). */
  readonly blockSize?: number;
  readonly threads?: number;
}

/**
 * The ItemKNN-style scorer of Item2Vec vectors: each candidate j keeps its `neighbours` most similar
 * items N(j), and a user's score of j is Σ_{i ∈ history ∩ N(j)} w(i, j) (Sarwar et al. 2001's
 * item-based scheme with Item2Vec's similarities, as Barkan & Koenigstein 2016 use them). Returns
 * the contributions as a CSR by history item: row i lists the candidates j with i ∈ N(j) and w(i, j).
 * Items whose input vector is all zero (absent from training) are never neighbours nor scored.
 * input, output: [items, dim].
 */
export function knnContributions(input: Float32Array, output: Float32Array, dim: number, o: KnnOptions): Csr {
  const n = input.length / dim;
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < dim; t++) {
      if (input[i * dim + t] !== 0) {
        seen[i] = 1;
        break;
      }
    }
  }
  const cosine = o.similarity === 'cosine';
  const a = cosine ? l2Rows(input, dim) : input; // [I, D] history side
  const b = cosine ? a : output; // [I, D] candidate side
  const k = Math.min(o.neighbours, Math.max(1, n - 1));
  const block = Math.max(1, Math.min(n, o.blockSize ?? 512));
  const indices = new Int32Array(n * k);
  const sims = new Float32Array(n * k);
  const s = new Float32Array(block * n); // [block, I] similarity of candidate rows to every item
  for (let j0 = 0; j0 < n; j0 += block) {
    const rows = Math.min(n, j0 + block) - j0;
    sgemm({ transB: true, M: rows, N: n, K: dim, A: b, aOffset: j0 * dim, B: a, C: s }); // [rows, I]
    for (let r = 0; r < rows; r++) {
      const j = j0 + r;
      for (let i = 0; i < n; i++) {
        const x = s[r * n + i]!;
        // NaN is skipped by the top-K: no self, no untrained item, no non-positive cosine
        if (i === j || !seen[i] || !seen[j] || (cosine && !(x > 0))) s[r * n + i] = Number.NaN;
      }
    }
    const top = topkRows(s.subarray(0, rows * n), rows, n, k, undefined, { threads: o.threads ?? 1 });
    indices.set(top.ids, j0 * k);
    sims.set(top.scores, j0 * k);
  }
  // the largest kept dot product: exp(α (x − max)) keeps the input-output weights finite
  let max = Number.NEGATIVE_INFINITY;
  for (let q = 0; q < indices.length; q++) if (indices[q]! >= 0 && sims[q]! > max) max = sims[q]!;
  const indptr = new Int32Array(n + 1);
  const values = new Float32Array(n * k);
  let nnz = 0;
  for (let j = 0; j < n; j++) {
    for (let q = j * k; q < (j + 1) * k; q++) {
      const i = indices[q]!;
      if (i < 0) break;
      indices[nnz] = i;
      values[nnz] = cosine ? sims[q]! ** o.power : Math.exp(o.power * (sims[q]! - max));
      nnz++;
    }
    indptr[j + 1] = nnz;
  }
  // rows = candidates j → transpose so that scoring walks the user's history items i
  return transposeCsr({
    rows: n,
    cols: n,
    indptr,
    indices: indices.slice(0, nnz),
    values: values.slice(0, nnz),
  });
}

/** Scores of every item for one history (dense item indices): Σ over its items of their contributions. [items] */
export function scoreHistory(
  contrib: Csr,
  items: ArrayLike<number>,
  out = new Float32Array(contrib.cols),
): Float32Array {
  const v = contrib.values!;
  for (let p = 0; p < items.length; p++) {
    const i = items[p]!;
    for (let q = contrib.indptr[i]!; q < contrib.indptr[i + 1]!; q++) out[contrib.indices[q]!]! += v[q]!;
  }
  return out;
}

/** A copy of x [rows, d] with every row scaled to unit L2 norm (zero rows stay zero). */
export function l2Rows(x: Float32Array, d: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let ss = 0;
    for (let j = 0; j < d; j++) ss += x[r * d + j]! * x[r * d + j]!;
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let j = 0; j < d; j++) out[r * d + j] = x[r * d + j]! * inv;
  }
  return out;
}
