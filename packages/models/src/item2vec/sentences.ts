import { cumulativeIndex, DataError, type Interactions, type Rng, UsageError } from '@embrec/core';
import type { Sentences } from '@embrec/native';

/** Each user's training items in order (CSR over users), and the sentences Item2Vec trains on. */
export interface ItemSequences {
  /** User u's history: items[indptr[u] .. indptr[u+1]), oldest first. */
  readonly history: { readonly indptr: Int32Array; readonly items: Int32Array };
  /** One sentence per user, or per session when `sessionGap` splits histories. */
  readonly sentences: Sentences;
  /** True when the order comes from timestamps, false when it is the file's order. */
  readonly timed: boolean;
  /** The interactions' weights aligned with `history.items` (and `sentences.items`), when they have any. */
  readonly weights?: Float32Array;
}

/**
 * Builds the "sentences" of Item2Vec from training interactions: each user's history in time order
 * when the interactions carry timestamps (ties keep the file's order), else in the file's order
 * (LightGCN-format files have no timestamps). With `sessionGap` (seconds) a history is split where
 * two consecutive interactions are more than `sessionGap` apart; that needs timestamps.
 */
export function itemSequences(
  train: Interactions,
  opts: { sessionGap?: number | undefined } = {},
): ItemSequences {
  const ts = train.timestamps;
  if (opts.sessionGap !== undefined && !ts) {
    throw new DataError(
      `item2vec: sessionGap (${opts.sessionGap} s) needs timestamps, but the training interactions have none ` +
        '(LightGCN-format files carry none): remove model.sessionGap or use a data set with timestamps',
    );
  }
  const nu = train.userIds.size;
  const n = train.users.length;
  const indptr = new Int32Array(nu + 1);
  for (let r = 0; r < n; r++) indptr[train.users[r]! + 1]!++;
  for (let u = 0; u < nu; u++) indptr[u + 1]! += indptr[u]!;
  const rows = new Int32Array(n); // interaction rows grouped by user, in file order
  const fill = indptr.slice(0, nu);
  for (let r = 0; r < n; r++) rows[fill[train.users[r]!]!++] = r;
  if (ts) {
    for (let u = 0; u < nu; u++) {
      const part = rows.subarray(indptr[u]!, indptr[u + 1]!);
      // a stable sort by time: ties broken by the row (file) order
      part.sort((a, b) => ts[a]! - ts[b]! || a - b);
    }
  }
  const items = new Int32Array(n);
  for (let p = 0; p < n; p++) items[p] = train.items[rows[p]!]!;
  const history = { indptr, items };
  const w = train.weights;
  const extra = w ? { weights: Float32Array.from(rows, (r) => w[r]!) } : {};
  if (opts.sessionGap === undefined || !ts)
    return { history, sentences: history, timed: ts !== undefined, ...extra };

  const gap = opts.sessionGap;
  const cuts: number[] = [0];
  for (let u = 0; u < nu; u++) {
    for (let p = indptr[u]! + 1; p < indptr[u + 1]!; p++) {
      if (ts[rows[p]!]! - ts[rows[p - 1]!]! > gap) cuts.push(p);
    }
    if (indptr[u + 1]! > indptr[u]!) cuts.push(indptr[u + 1]!);
  }
  return { history, sentences: { indptr: Int32Array.from(cuts), items }, timed: true, ...extra };
}

/**
 * Weighted sentences (`weighting: sample`): each sentence of n items is replaced by `draws`
 * sentences of n items drawn with replacement ∝ weight^power from it, once, before training. With
 * the whole sentence as window a pair (i, j) of one portfolio is then trained in proportion to
 * w_i^power · w_j^power rather than once: edge sampling (LINE, Tang et al. 2015; weighted walks in
 * DeepWalk / node2vec) instead of multiplying the gradient by the weight, which keeps SGD's step
 * sizes as they are. power 0 draws uniformly (the resampling alone, for comparison). A sentence
 * whose weights are all 0 keeps its items once each, unweighted. [draws · total items]
 */
export function weightedSentences(
  seq: ItemSequences,
  opts: { draws: number; power: number; rng: Rng },
): Sentences {
  const w = seq.weights;
  if (!w) {
    throw new UsageError(
      'item2vec: weighting "sample" draws items in proportion to their interaction weights, but the training interactions have no weights column (holdings data sets carry one): remove model.weighting or use weighted data',
    );
  }
  const { indptr, items } = seq.sentences;
  for (let e = 0; e < w.length; e++) {
    if (!(w[e]! >= 0) || !Number.isFinite(w[e]!)) {
      throw new DataError(
        `item2vec: weighting "sample" needs finite weights ≥ 0, found ${w[e]} (item at position ${e} of the training histories); use weighting: none for short positions or other signed weights`,
      );
    }
  }
  const ns = indptr.length - 1;
  const out = new Int32Array(items.length * opts.draws);
  const outPtr = new Int32Array(ns * opts.draws + 1);
  let o = 0;
  let k = 0;
  let cum = new Float64Array(16);
  for (let s = 0; s < ns; s++) {
    const a = indptr[s]!;
    const n = indptr[s + 1]! - a;
    if (cum.length < n) cum = new Float64Array(n);
    let total = 0;
    for (let e = 0; e < n; e++) {
      const x = w[a + e]!;
      total += x > 0 ? x ** opts.power : 0; // power 0: every held item alike (0^0 would count weight-0 items)
      cum[e] = total;
    }
    for (let d = 0; d < opts.draws; d++) {
      for (let e = 0; e < n; e++) {
        out[o++] = items[a + (total > 0 ? cumulativeIndex(cum, opts.rng.next() * total, 0, n) : e)]!;
      }
      outPtr[++k] = o;
    }
  }
  return { indptr: outPtr, items: out };
}
