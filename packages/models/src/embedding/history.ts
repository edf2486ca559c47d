import type { Csr, Rng } from '@embrec/core';
import { csrMatMul, nativeAvailable } from '@embrec/native';
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
  /** Row i's history entries are [starts[i], starts[i + 1]) of the request. */
  readonly starts: Int32Array; // [n + 1]
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

  plan(ids: Int32Array, lookup: BatchLookup, opts: HistoryPlanOptions = {}): HistoryBatch {
    const n = ids.length;
    const max = opts.rng && this.cfg.maxItems > 0 ? this.cfg.maxItems : Number.POSITIVE_INFINITY;
    const { indptr, indices, rows } = this.csr;
    let bound = 0;
    for (let i = 0; i < n; i++) {
      const u = ids[i]!;
      if (u < rows) bound += indptr[u + 1]! - indptr[u]!;
    }
    // one pass into one buffer: row i's items without its excluded positive, then (when longer than
    // `max`) a uniform draw of `max` of them by a partial Fisher-Yates in place; the draw's tail is
    // overwritten by the next row
    const entries = new Int32Array(bound);
    const starts = new Int32Array(n + 1);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const u = ids[i]!;
      const from = at;
      if (u < rows) {
        const ex = opts.exclude?.[i];
        for (let k = indptr[u]!; k < indptr[u + 1]!; k++) {
          const it = indices[k]!;
          if (it !== ex) entries[at++] = it;
        }
      }
      const len = at - from;
      if (len > max) {
        for (let k = 0; k < max; k++) {
          const j = from + k + opts.rng!.int(len - k);
          const t = entries[from + k]!;
          entries[from + k] = entries[j]!;
          entries[j] = t;
        }
        at = from + max;
      }
      starts[i + 1] = at;
    }
    return { n, handle: lookup.request(this.items, entries.subarray(0, at)), starts };
  }

  /** Forward phase: the user's ID rows [n, d] mixed with the pooled history → [n, d]. */
  mix(own: tf.Tensor2D, batch: HistoryBatch, lookup: BatchLookup): tf.Tensor2D {
    const { n, starts } = batch;
    const g = this.cfg.weight;
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = starts[i + 1]! > starts[i]! ? g : 1; // empty history: e_u alone
    const ownPart = tf.mul(own, tf.tensor2d(w, [n, 1])); // [n, d]
    if (starts[n] === 0) return ownPart as tf.Tensor2D;
    const { tensor: table, pos } = lookup.rows(batch.handle); // [U, d]: the batch's unique item rows
    let scores: tf.Tensor1D | undefined;
    if (this.attention) {
      // one score per unique item row: a·tanh(W e + b)
      const { w: W, b, a } = this.attention;
      const h = tf.tanh(tf.add(tf.matMul(table, W.variable as tf.Tensor2D), b.variable)); // [U, d]
      scores = tf.reshape(tf.matMul(h, a.variable as tf.Tensor2D), [-1]) as tf.Tensor1D; // [U]
    }
    const pooled = poolRows(table, scores, pos, starts); // [n, d]; empty rows are 0
    return tf.add(ownPart, tf.mul(pooled, 1 - g)) as tf.Tensor2D;
  }
}

/**
 * out_i = Σ_k α_k T[pos_k] over row i's entries k ∈ [starts[i], starts[i + 1]), with α = softmax of
 * the entries' scores s[pos_k] within the row, or uniform (the mean) without scores; 0 for an empty
 * row. Forward and gradient (dT, ds) are O(entries · d) loops: tfjs's segment-sum gradient is
 * quadratic-time on the cpu backend, this is not. The mean runs on the native CSR product when the
 * addon is there (the JS loops otherwise).
 */
function poolRows(
  table: tf.Tensor2D,
  scores: tf.Tensor1D | undefined,
  pos: Int32Array,
  starts: Int32Array,
): tf.Tensor2D {
  const n = starts.length - 1;
  const [u, d] = table.shape;
  const forward = (tv: Float32Array, sv: Float32Array | undefined) => {
    const out = new Float32Array(n * d);
    const alpha = new Float32Array(pos.length);
    for (let i = 0; i < n; i++) {
      const lo = starts[i]!;
      const hi = starts[i + 1]!;
      if (hi === lo) continue;
      if (sv) {
        let m = Number.NEGATIVE_INFINITY;
        for (let k = lo; k < hi; k++) m = Math.max(m, sv[pos[k]!]!);
        let z = 0;
        for (let k = lo; k < hi; k++) z += alpha[k] = Math.exp(sv[pos[k]!]! - m);
        for (let k = lo; k < hi; k++) alpha[k]! /= z;
      } else alpha.fill(1 / (hi - lo), lo, hi);
      for (let k = lo; k < hi; k++) {
        const a = alpha[k]!;
        const r = pos[k]! * d;
        for (let j = 0; j < d; j++) out[i * d + j]! += a * tv[r + j]!;
      }
    }
    return { out, alpha };
  };
  const backward = (dy: Float32Array, tv: Float32Array, alpha: Float32Array, withScores: boolean) => {
    const dt = new Float32Array(u * d);
    const ds = withScores ? new Float32Array(u) : undefined;
    const da = withScores ? new Float32Array(pos.length) : undefined;
    for (let i = 0; i < n; i++) {
      const lo = starts[i]!;
      const hi = starts[i + 1]!;
      let dot = 0;
      for (let k = lo; k < hi; k++) {
        const a = alpha[k]!;
        const r = pos[k]! * d;
        let g = 0;
        for (let j = 0; j < d; j++) {
          dt[r + j]! += a * dy[i * d + j]!;
          g += dy[i * d + j]! * tv[r + j]!;
        }
        if (da) {
          da[k] = g;
          dot += a * g;
        }
      }
      if (ds && da) for (let k = lo; k < hi; k++) ds[pos[k]!]! += alpha[k]! * (da[k]! - dot);
    }
    return { dt, ds };
  };
  if (scores) {
    const op = tf.customGrad((t, s) => {
      const tv = (t as tf.Tensor).dataSync() as Float32Array;
      const { out, alpha } = forward(tv, (s as tf.Tensor).dataSync() as Float32Array);
      return {
        value: tf.tensor2d(out, [n, d]),
        gradFunc: (dy: tf.Tensor) => {
          const { dt, ds } = backward(dy.dataSync() as Float32Array, tv, alpha, true);
          return [tf.tensor2d(dt, [u, d]), tf.tensor1d(ds!)];
        },
      };
    });
    return op(table, scores) as tf.Tensor2D;
  }
  if (nativeAvailable()) {
    // the mean is a CSR product: row i holds 1/|h_i| at its entries (the native kernel and its transpose)
    const values = new Float32Array(pos.length);
    for (let i = 0; i < n; i++) values.fill(1 / (starts[i + 1]! - starts[i]!), starts[i]!, starts[i + 1]!);
    return csrMatMul(tf, { rows: n, cols: u, indptr: starts, indices: pos, values }, table);
  }
  const op = tf.customGrad((t) => {
    const tv = (t as tf.Tensor).dataSync() as Float32Array;
    const { out, alpha } = forward(tv, undefined);
    return {
      value: tf.tensor2d(out, [n, d]),
      gradFunc: (dy: tf.Tensor) => [
        tf.tensor2d(backward(dy.dataSync() as Float32Array, tv, alpha, false).dt, [u, d]),
      ],
    };
  });
  return op(table) as tf.Tensor2D;
}
