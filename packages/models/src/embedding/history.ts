import type { Csr, Rng } from '@embrec/core';
import * as tf from '@tensorflow/tfjs-core';
import type { BatchLookup } from '../training/lookup.ts';
import type { DenseParam, ParamStore, TableParam } from '../training/params.ts';
import { glorotInit } from './init.ts';

/** The SimpleX-style user tower option (`model.user.history`). */
export interface HistoryConfig {
  /** How the history's item embeddings are pooled: their mean, or attention weights. */
  readonly aggregate: 'mean' | 'attention';
  /** g in g·e_u + (1 − g)·pool: the weight of the user's own ID embedding. */
  readonly weight: number;
  /** Items drawn from a longer history per training step (0 = all); encoding always uses all. */
  readonly maxItems: number;
}

/** What a batch of users needs from the history (planned in JS before the forward pass). */
export interface HistoryBatch {
  readonly n: number;
  readonly handle: number;
  readonly segments: Int32Array; // [nnz]: the row of each history entry
  readonly counts: Float32Array; // [n]: history items used per row
}

/** Per-call options of the plan phase (training passes both). */
export interface HistoryPlanOptions {
  /** Draws `maxItems` items from longer histories; without it every item is used. */
  readonly rng?: Rng;
  /** Per row, an item left out of that row's history (the training positive of the row). */
  readonly exclude?: Int32Array;
}

/**
 * A user's training history pooled into the ID part of the user tower (SimpleX, Mao et al. CIKM
 * 2021): e'_u = g·e_u + (1 − g)·pool(E_items[history(u)]). The history is the user's rows of the
 * training interactions only (the CSR given here), and it reads the item tower's ID table, so the
 * gradient reaches the history items' embeddings. A user with an empty history keeps e_u (g = 1 for
 * that row). `attention` pools with α_k = softmax_k(a·tanh(W e_k + b)) (a starts at 0: the mean).
 */
export class HistoryPool {
  readonly attention?: { w: DenseParam; b: DenseParam; a: DenseParam };

  constructor(
    readonly csr: Csr,
    readonly items: TableParam,
    readonly cfg: HistoryConfig,
    store: ParamStore,
    rng: Rng,
  ) {
    if (cfg.aggregate === 'attention') {
      const d = items.dim;
      this.attention = {
        w: store.dense('user.history.attn.w', [d, d], glorotInit(d, d, rng.fork('user.history.attn'))),
        b: store.dense('user.history.attn.b', [d], new Float32Array(d)),
        a: store.dense('user.history.attn.a', [d, 1], new Float32Array(d)),
      };
    }
  }

  /** The history items of one user (training rows only). */
  itemsOf(user: number): Int32Array {
    const { indptr, indices, rows } = this.csr;
    return user < rows ? indices.subarray(indptr[user]!, indptr[user + 1]!) : new Int32Array(0);
  }

  plan(ids: Int32Array, lookup: BatchLookup, opts: HistoryPlanOptions = {}): HistoryBatch {
    const n = ids.length;
    const max = opts.rng && this.cfg.maxItems > 0 ? this.cfg.maxItems : Number.POSITIVE_INFINITY;
    const picked: Int32Array[] = [];
    let nnz = 0;
    for (let i = 0; i < n; i++) {
      let h = this.itemsOf(ids[i]!);
      const ex = opts.exclude?.[i];
      if (ex !== undefined && h.includes(ex)) h = h.filter((x) => x !== ex);
      if (h.length > max) {
        // a uniform draw of `max` items (partial Fisher-Yates on a copy)
        const c = Int32Array.from(h);
        for (let k = 0; k < max; k++) {
          const j = k + opts.rng!.int(c.length - k);
          const t = c[k]!;
          c[k] = c[j]!;
          c[j] = t;
        }
        h = c.subarray(0, max);
      }
      picked.push(h);
      nnz += h.length;
    }
    const entries = new Int32Array(nnz);
    const segments = new Int32Array(nnz);
    const counts = new Float32Array(n);
    let at = 0;
    picked.forEach((h, i) => {
      entries.set(h, at);
      segments.fill(i, at, at + h.length);
      at += h.length;
      counts[i] = h.length;
    });
    return { n, handle: lookup.request(this.items, entries), segments, counts };
  }

  /** Forward phase: the user's ID rows [n, d] mixed with the pooled history → [n, d]. */
  mix(own: tf.Tensor2D, batch: HistoryBatch, lookup: BatchLookup): tf.Tensor2D {
    const { n, segments, counts } = batch;
    const g = this.cfg.weight;
    const w = Float32Array.from(counts, (c) => (c > 0 ? g : 1)); // empty history: the ID embedding alone
    const ownPart = tf.mul(own, tf.tensor2d(w, [n, 1])); // [n, d]
    if (segments.length === 0) return ownPart as tf.Tensor2D;
    const rows = lookup.get(batch.handle); // [nnz, d]
    const seg = tf.tensor1d(segments, 'int32');
    let pooled: tf.Tensor2D;
    if (this.attention) {
      const { w: W, b, a } = this.attention;
      const h = tf.tanh(tf.add(tf.matMul(rows, W.variable as tf.Tensor2D), b.variable)); // [nnz, d]
      let s = tf.reshape(tf.matMul(h, a.variable as tf.Tensor2D), [-1]); // [nnz]
      s = tf.sub(s, tf.max(s)); // one shift for every row leaves each row's softmax (and its gradient) as it is
      const e = tf.exp(s); // [nnz]
      const denom = tf.unsortedSegmentSum(e, seg, n); // [n]
      const alpha = tf.div(e, tf.add(tf.gather(denom, seg), 1e-12)); // [nnz], Σ per row = 1
      pooled = tf.unsortedSegmentSum(tf.mul(rows, tf.reshape(alpha, [-1, 1])), seg, n) as tf.Tensor2D; // [n, d]
    } else {
      const inv = Float32Array.from(counts, (c) => (c > 0 ? (1 - g) / c : 0));
      const sum = tf.unsortedSegmentSum(rows, seg, n) as tf.Tensor2D; // [n, d]
      return tf.add(ownPart, tf.mul(sum, tf.tensor2d(inv, [n, 1]))) as tf.Tensor2D;
    }
    const mixW = Float32Array.from(counts, (c) => (c > 0 ? 1 - g : 0));
    return tf.add(ownPart, tf.mul(pooled, tf.tensor2d(mixW, [n, 1]))) as tf.Tensor2D;
  }
}
