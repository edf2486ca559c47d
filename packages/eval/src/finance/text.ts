import { type Csr, Rng } from '@embrec/core';
import { Matrix, QrDecomposition, SingularValueDecomposition } from 'ml-matrix';

/** Term weighting of a bag-of-words matrix. */
export type Weighting = 'tfidf' | 'bm25';

export interface Bm25Params {
  readonly k1: number;
  readonly b: number;
}

/** Document frequencies → idf (0 for terms in fewer than `minDf` documents or in more than a share `maxDf` of them: scikit-learn's min_df, max_df). tfidf: ln((1 + n) / (1 + df)) + 1 (scikit-learn's smooth idf); bm25: ln(1 + (n − df + ½) / (df + ½)). */
export function inverseDocumentFrequency(
  docs: Csr,
  weighting: Weighting,
  minDf = 1,
  maxDf = 1,
): Float64Array {
  const df = new Float64Array(docs.cols);
  for (let p = 0; p < docs.indices.length; p++) df[docs.indices[p]!]!++;
  const n = docs.rows;
  return df.map((d) =>
    d < minDf || d > maxDf * n
      ? 0
      : weighting === 'tfidf'
        ? Math.log((1 + n) / (1 + d)) + 1
        : Math.log(1 + (n - d + 0.5) / (d + 0.5)),
  );
}

/**
 * Dense document-term weights [rows, cols]. tfidf: (1 + ln tf)·idf, rows L2-normalised; bm25 (the
 * Okapi document side): idf · tf(k1 + 1) / (tf + k1(1 − b + b·len/avglen)), so that a query's
 * score is the sum of the weights of its terms.
 */
export function weightDocuments(
  docs: Csr,
  idf: Float64Array,
  weighting: Weighting,
  bm25: Bm25Params,
): Float32Array {
  const out = new Float32Array(docs.rows * docs.cols);
  const tf = (p: number) => docs.values?.[p] ?? 1;
  let total = 0;
  for (let p = 0; p < docs.indices.length; p++) total += tf(p);
  const avg = total / Math.max(1, docs.rows);
  for (let r = 0; r < docs.rows; r++) {
    let len = 0;
    for (let p = docs.indptr[r]!; p < docs.indptr[r + 1]!; p++) len += tf(p);
    let norm = 0;
    for (let p = docs.indptr[r]!; p < docs.indptr[r + 1]!; p++) {
      const t = docs.indices[p]!;
      const f = tf(p);
      const w =
        weighting === 'tfidf'
          ? (1 + Math.log(f)) * idf[t]!
          : (idf[t]! * f * (bm25.k1 + 1)) / (f + bm25.k1 * (1 - bm25.b + (bm25.b * len) / avg));
      out[r * docs.cols + t] = w;
      norm += w * w;
    }
    if (weighting === 'tfidf' && norm > 0) {
      const s = 1 / Math.sqrt(norm);
      for (let p = docs.indptr[r]!; p < docs.indptr[r + 1]!; p++) out[r * docs.cols + docs.indices[p]!]! *= s;
    }
  }
  return out;
}

/** Query-side term indicators (BM25 sums the document weights of the distinct query terms). */
export function queryTerms(queries: Csr): Float32Array {
  const out = new Float32Array(queries.rows * queries.cols);
  for (let r = 0; r < queries.rows; r++)
    for (let p = queries.indptr[r]!; p < queries.indptr[r + 1]!; p++)
      out[r * queries.cols + queries.indices[p]!] = 1;
  return out;
}

/**
 * Truncated SVD of a dense [n, m] matrix by the randomized range finder (Halko, Martinsson & Tropp
 * 2011, alg. 4.4 with `power` subspace iterations): Y = A·Ω, Q = qr(Y), B = QᵀA, SVD(B) with
 * ml-matrix. Returns the top `dim` right singular vectors [m, dim] and singular values.
 */
export function truncatedSvd(
  a: Float32Array,
  n: number,
  m: number,
  dim: number,
  opts: { oversample?: number; power?: number; seed?: number } = {},
): { components: Matrix; singularValues: number[] } {
  const A = new Matrix(n, m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) A.set(i, j, a[i * m + j]!);
  const l = Math.min(n, m, dim + (opts.oversample ?? 20));
  const rng = new Rng(opts.seed ?? 0);
  const omega = new Matrix(m, l);
  for (let i = 0; i < m; i++) for (let j = 0; j < l; j++) omega.set(i, j, rng.normal());
  const orth = (M: Matrix) => new QrDecomposition(M).orthogonalMatrix.subMatrix(0, M.rows - 1, 0, l - 1);
  let Q = orth(A.mmul(omega)); // [n, l]
  for (let it = 0; it < (opts.power ?? 2); it++) {
    const Z = orth(A.transpose().mmul(Q)); // [m, l]
    Q = orth(A.mmul(Z));
  }
  const B = Q.transpose().mmul(A); // [l, m]
  const svd = new SingularValueDecomposition(B.transpose(), { autoTranspose: true }); // Bᵀ = U Σ Vᵀ: U are B's right vectors
  const k = Math.min(dim, l);
  return {
    components: svd.leftSingularVectors.subMatrix(0, m - 1, 0, k - 1),
    singularValues: svd.diagonal.slice(0, k),
  };
}

/** Rows of a dense [n, m] matrix projected on components [m, k]: [n, k], L2-normalised. */
export function project(a: Float32Array, n: number, m: number, components: Matrix): Float32Array {
  const k = components.columns;
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < m; j++) {
        const v = a[i * m + j]!;
        if (v !== 0) s += v * components.get(j, c);
      }
      out[i * k + c] = s;
      norm += s * s;
    }
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let c = 0; c < k; c++) out[i * k + c]! *= inv;
  }
  return out;
}

/**
 * The text encoder as an item-feature encoder: TF-IDF (or BM25) weighting of a multi-hot word
 * feature, reduced by truncated SVD fitted on the documents (latent semantic analysis). Queries are
 * folded in with the documents' idf and components, so paraphrases that co-occur in documents map
 * to nearby vectors.
 */
export class TextSvdEncoder {
  #idf: Float64Array | undefined;
  #components: Matrix | undefined;
  constructor(
    readonly opts: {
      dim: number;
      weighting: Weighting;
      bm25: Bm25Params;
      minDf: number;
      maxDf: number;
      oversample: number;
      power: number;
      seed: number;
    },
  ) {}

  fit(docs: Csr): Float32Array {
    this.#idf = inverseDocumentFrequency(docs, this.opts.weighting, this.opts.minDf, this.opts.maxDf);
    const w = weightDocuments(docs, this.#idf, this.opts.weighting, this.opts.bm25);
    this.#components = truncatedSvd(w, docs.rows, docs.cols, this.opts.dim, this.opts).components;
    return project(w, docs.rows, docs.cols, this.#components);
  }

  /** Query vectors [rows, dim] (the vocabulary must be the documents'). */
  encode(queries: Csr): Float32Array {
    if (!this.#idf || !this.#components) throw new Error('TextSvdEncoder.encode before fit');
    const w = weightDocuments(queries, this.#idf, this.opts.weighting, this.opts.bm25);
    return project(w, queries.rows, queries.cols, this.#components);
  }
}
