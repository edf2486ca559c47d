import { defineComponent, type FitInput, type ModelComponent, type Scorer, UsageError } from '@embrec/core';
import { topkRows } from '@embrec/native';
import { z } from 'zod';
import { type BinaryCsr, binaryUserItem, transposeBinary } from './matrix.ts';
import { rowScorer } from './row-scorer.ts';

export const itemKnnSchema = z.strictObject({
  /** Neighbours kept per item. */
  k: z.number().int().min(1).default(200),
  /** Shrinkage h: sim(i, j) = |U_i ∩ U_j| / (√|U_i| √|U_j| + h). */
  shrink: z.number().min(0).default(0),
  /** Items per block of the similarity computation (a block holds block × items floats). */
  blockSize: z.number().int().min(1).default(512),
  /**
   * 'columns' (default, as RecBole and the NumPy reference): item j is scored from ITS k nearest
   * neighbours among the user's items, score(u, j) = Σ_{i ∈ I_u ∩ N(j)} sim(i, j).
   * 'rows': each of the user's items adds its own k neighbours, Σ_{i ∈ I_u, j ∈ N(i)} sim(i, j).
   */
  prune: z.enum(['columns', 'rows']).default('columns'),
});

/** The model's parameters, as its schema gives them. */
export type ItemKnnOptions = Readonly<z.output<typeof itemKnnSchema>>;

/**
 * Item-based kNN (Sarwar et al. 2001; Deshpande & Karypis 2004) with cosine similarity on the binary
 * user-item matrix and optional shrinkage. Each item keeps its k most similar other items N(j); a
 * user's score of item j is Σ_{i ∈ I_u ∩ N(j)} sim(i, j) (see `prune`). The similarity matrix is never dense:
 * co-counts are accumulated for a block of items at a time and pruned to k with the native top-K.
 */
export class ItemKnn implements ModelComponent {
  readonly #opts: ItemKnnOptions;
  #x: BinaryCsr | undefined;
  #nbr: WeightedCsr | undefined;
  #contrib: WeightedCsr | undefined;

  constructor(opts: ItemKnnOptions) {
    this.#opts = opts;
  }

  async fit({ splits, ctx }: FitInput): Promise<void> {
    const x = binaryUserItem(splits.train);
    const xt = transposeBinary(x); // [items, users]
    const n = x.cols;
    const k = Math.min(this.#opts.k, Math.max(1, n - 1));
    const norm = new Float32Array(n);
    for (let i = 0; i < n; i++) norm[i] = Math.sqrt(xt.indptr[i + 1]! - xt.indptr[i]!);
    const threads = Math.max(1, ctx.threads);
    const block = Math.max(1, Math.min(n, this.#opts.blockSize));
    const indices = new Int32Array(n * k);
    const weights = new Float32Array(n * k);
    const sims = new Float32Array(block * n); // [block, items]
    for (let i0 = 0; i0 < n; i0 += block) {
      const i1 = Math.min(n, i0 + block);
      sims.fill(0);
      for (let i = i0; i < i1; i++) {
        const base = (i - i0) * n;
        for (let p = xt.indptr[i]!; p < xt.indptr[i + 1]!; p++) {
          const u = xt.indices[p]!;
          for (let q = x.indptr[u]!; q < x.indptr[u + 1]!; q++) sims[base + x.indices[q]!]!++;
        }
        const ni = norm[i]!;
        for (let j = 0; j < n; j++) {
          const c = sims[base + j]!;
          // zero co-count items are never neighbours (NaN is skipped by the top-K)
          sims[base + j] = c > 0 && j !== i ? c / (ni * norm[j]! + this.#opts.shrink) : Number.NaN;
        }
      }
      const res = topkRows(sims.subarray(0, (i1 - i0) * n), i1 - i0, n, k, undefined, { threads });
      indices.set(res.ids, i0 * k);
      weights.set(res.scores, i0 * k);
    }
    // compact the -1 padding away
    const indptr = new Int32Array(n + 1);
    let nnz = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) {
        const id = indices[i * k + j]!;
        if (id < 0) break;
        indices[nnz] = id;
        weights[nnz] = weights[i * k + j]!;
        nnz++;
      }
      indptr[i + 1] = nnz;
    }
    this.#x = x;
    this.#nbr = { indptr, indices: indices.slice(0, nnz), weights: weights.slice(0, nnz) };
    // scoring walks the user's items i; with column pruning i must list the items j having i in N(j)
    this.#contrib = this.#opts.prune === 'columns' ? transposeWeighted(this.#nbr, n) : this.#nbr;
    ctx.log.info(`itemknn: ${n} items, ${nnz} neighbour links (k = ${k}, shrink = ${this.#opts.shrink})`);
  }

  scorer(): Scorer {
    const x = this.#x;
    const nbr = this.#contrib;
    if (!x || !nbr) throw new UsageError('itemknn: scorer() called before fit()');
    return rowScorer(x.cols, x.rows, (u, row) => {
      for (let p = x.indptr[u]!; p < x.indptr[u + 1]!; p++) {
        const i = x.indices[p]!;
        for (let q = nbr.indptr[i]!; q < nbr.indptr[i + 1]!; q++) row[nbr.indices[q]!]! += nbr.weights[q]!;
      }
    });
  }

  /** The k most similar items of item i and their similarities (for inspection and tests). */
  neighbours(i: number): { items: Int32Array; sims: Float32Array } {
    const nbr = this.#nbr;
    if (!nbr) throw new UsageError('itemknn: neighbours() called before fit()');
    return {
      items: nbr.indices.subarray(nbr.indptr[i]!, nbr.indptr[i + 1]!),
      sims: nbr.weights.subarray(nbr.indptr[i]!, nbr.indptr[i + 1]!),
    };
  }
}

interface WeightedCsr {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly weights: Float32Array;
}

function transposeWeighted(m: WeightedCsr, n: number): WeightedCsr {
  const indptr = new Int32Array(n + 1);
  for (let p = 0; p < m.indices.length; p++) indptr[m.indices[p]! + 1]!++;
  for (let c = 0; c < n; c++) indptr[c + 1]! += indptr[c]!;
  const fill = indptr.slice(0, n);
  const indices = new Int32Array(m.indices.length);
  const weights = new Float32Array(m.indices.length);
  for (let r = 0; r < n; r++)
    for (let p = m.indptr[r]!; p < m.indptr[r + 1]!; p++) {
      const at = fill[m.indices[p]!]!++;
      indices[at] = r;
      weights[at] = m.weights[p]!;
    }
  return { indptr, indices, weights };
}

export const itemKnnComponent = defineComponent({
  kind: 'model',
  type: 'itemknn',
  scorer: 'scores',
  description: 'Item-based kNN: cosine similarity with shrinkage, top-k neighbours per item (sparse)',
  schema: itemKnnSchema,
  create: (p) => new ItemKnn(p),
});
