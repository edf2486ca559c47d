import type { Csr, FeatureTable, Rng } from '@embrec/core';
import { UsageError } from '@embrec/core';
import { l2Normalize } from '@embrec/native';
import * as tf from '@tensorflow/tfjs-core';
import type { BatchLookup } from '../training/lookup.ts';
import type { DenseParam, ParamStore, TableParam } from '../training/params.ts';
import { type HistoryBatch, type HistoryConfig, type HistoryPlanOptions, HistoryPool } from './history.ts';
import { glorotInit, normalInit } from './init.ts';

/** How one side (users or items) is encoded. */
export interface TowerConfig {
  readonly dim: number; // output dimension
  readonly idEmbedding: boolean;
  /** Side features to use: 'all', 'none' or a list of feature names. */
  readonly features: 'all' | 'none' | readonly string[];
  readonly featureDim: number;
  readonly pooling: 'mean' | 'sum';
  readonly hidden: readonly number[];
  readonly activation: 'relu' | 'tanh' | 'gelu';
  readonly layerNorm: boolean;
  /** L2-normalise the output (dot product = cosine). */
  readonly normalize: boolean;
  readonly initStd: number;
  /** User tower only: mix the ID embedding with the pooled training history (history.ts). */
  readonly history?: HistoryConfig;
  /**
   * Dropout rate on the tower's inputs (the ID embedding, mixed with the history when there is one,
   * and the feature embeddings) in training steps; inverted (kept values scaled by 1/(1 − rate)), so
   * encoding for evaluation and export uses the inputs as they are. 0 or absent: off.
   */
  readonly dropout?: number;
}

interface Layer {
  /** One weight block per input part (the first layer reads the parts without concatenating). */
  readonly ws: DenseParam[];
  readonly b: DenseParam;
  readonly ln?: { g: DenseParam; b: DenseParam };
}

/** What a batch of ids needs from the tower (computed in JS before the forward pass). */
export interface TowerBatch {
  readonly n: number;
  readonly id?: number;
  readonly cats: number[];
  readonly bags: { handle: number; segments: Int32Array; scale: Float32Array }[];
  readonly numeric?: Float32Array; // [n, numNumeric]
  readonly history?: HistoryBatch;
}

/**
 * One tower: [ID embedding ‖ categorical embeddings ‖ pooled multi-hot bags ‖ numeric features]
 * → MLP (hidden layers with activation and optional LayerNorm) → linear to `dim` → optional L2 norm.
 * With only an ID embedding and no hidden layers the tower is the embedding itself (MF).
 */
export class Tower {
  readonly id?: TableParam;
  readonly cats: { name: string; values: Int32Array; table: TableParam }[] = [];
  readonly bags: { name: string; bags: Csr; table: TableParam }[] = [];
  readonly numeric: { name: string; values: Float32Array; mean: number; std: number }[] = [];
  readonly layers: Layer[] = [];
  readonly out?: Layer;
  #history: HistoryPool | undefined;
  /** Widths of the input parts, in forward order. */
  readonly #parts: number[] = [];

  constructor(
    readonly side: 'user' | 'item',
    readonly rows: number,
    readonly cfg: TowerConfig,
    features: FeatureTable | undefined,
    store: ParamStore,
    rng: Rng,
  ) {
    const use = (name: string): boolean =>
      cfg.features === 'all' ? true : cfg.features === 'none' ? false : cfg.features.includes(name);
    if (Array.isArray(cfg.features)) {
      const have = new Set([
        ...Object.keys(features?.categorical ?? {}),
        ...Object.keys(features?.multiHot ?? {}),
        ...Object.keys(features?.numeric ?? {}),
      ]);
      for (const f of cfg.features as readonly string[]) {
        if (!have.has(f))
          throw new UsageError(
            `${side} feature "${f}" is not in the dataset (available: ${[...have].join(', ') || 'none'})`,
          );
      }
    }
    const hasMlp = cfg.hidden.length > 0;
    const idDim = hasMlp ? cfg.featureDim : cfg.dim;
    let inDim = 0;
    if (cfg.idEmbedding) {
      this.id = store.table(
        `${side}.id`,
        rows,
        idDim,
        normalInit(rows * idDim, cfg.initStd, rng.fork(`${side}.id`)),
      );
      inDim += idDim;
      this.#parts.push(idDim);
    }
    const fd = cfg.featureDim;
    for (const [name, f] of Object.entries(features?.categorical ?? {})) {
      if (!use(name)) continue;
      const r = f.vocab.length + 1; // last row: missing value
      const table = store.table(
        `${side}.cat.${name}`,
        r,
        fd,
        normalInit(r * fd, cfg.initStd, rng.fork(`${side}.cat.${name}`)),
      );
      const values = new Int32Array(rows);
      for (let i = 0; i < rows; i++) {
        const v = f.values[i] ?? -1;
        values[i] = v >= 0 ? v : f.vocab.length;
      }
      this.cats.push({ name, values, table });
      inDim += fd;
      this.#parts.push(fd);
    }
    for (const [name, f] of Object.entries(features?.multiHot ?? {})) {
      if (!use(name)) continue;
      const r = Math.max(f.vocab.length, 1);
      const table = store.table(
        `${side}.bag.${name}`,
        r,
        fd,
        normalInit(r * fd, cfg.initStd, rng.fork(`${side}.bag.${name}`)),
      );
      this.bags.push({ name, bags: f.bags, table });
      inDim += fd;
      this.#parts.push(fd);
    }
    for (const [name, values] of Object.entries(features?.numeric ?? {})) {
      if (!use(name)) continue;
      let s = 0;
      let s2 = 0;
      let n = 0;
      for (const v of values)
        if (!Number.isNaN(v)) {
          s += v;
          s2 += v * v;
          n++;
        }
      const mean = n > 0 ? s / n : 0;
      const std = n > 1 ? Math.sqrt(Math.max(s2 / n - mean * mean, 0)) || 1 : 1;
      this.numeric.push({ name, values, mean, std });
      inDim += 1;
    }
    if (this.numeric.length > 0) this.#parts.push(this.numeric.length);
    if (inDim === 0)
      throw new UsageError(`the ${side} tower has no inputs: enable idEmbedding or some features`);
    const needOut =
      hasMlp || inDim !== cfg.dim || this.cats.length + this.bags.length + this.numeric.length > 0;
    // weight blocks: a Glorot matrix [fanIn, fanOut] cut into row blocks of the given widths
    const blocks = (name: string, widths: number[], out: number): DenseParam[] => {
      const fanIn = widths.reduce((a, b) => a + b, 0);
      const w = glorotInit(fanIn, out, rng.fork(name));
      let at = 0;
      return widths.map((wd, k) => {
        const p = store.dense(`${name}.w${k}`, [wd, out], w.slice(at * out, (at + wd) * out));
        at += wd;
        return p;
      });
    };
    let widths = this.#parts;
    cfg.hidden.forEach((h, i) => {
      const ws = blocks(`${side}.mlp.${i}`, widths, h);
      const b = store.dense(`${side}.mlp.${i}.b`, [h], new Float32Array(h));
      const ln = cfg.layerNorm
        ? {
            g: store.dense(`${side}.ln.${i}.g`, [h], new Float32Array(h).fill(1)),
            b: store.dense(`${side}.ln.${i}.b`, [h], new Float32Array(h)),
          }
        : undefined;
      this.layers.push(ln ? { ws, b, ln } : { ws, b });
      widths = [h];
    });
    if (needOut) {
      this.out = {
        ws: blocks(`${side}.out`, widths, cfg.dim),
        b: store.dense(`${side}.out.b`, [cfg.dim], new Float32Array(cfg.dim)),
      };
    }
  }

  /**
   * Pools `history` (the users' training items, a users × items CSR) through the item tower's ID
   * table into this tower's ID embedding (`cfg.history`; user tower only).
   */
  attachHistory(history: Csr, items: Tower, store: ParamStore, rng: Rng): HistoryPool {
    const cfg = this.cfg.history;
    if (!cfg) throw new UsageError(`the ${this.side} tower has no history option`);
    if (!this.id)
      throw new UsageError(
        `${this.side}.history mixes into the ID embedding: set ${this.side}.idEmbedding: true`,
      );
    if (!items.id)
      throw new UsageError(`${this.side}.history pools item ID embeddings: set item.idEmbedding: true`);
    if (items.id.dim !== this.id.dim)
      throw new UsageError(
        `${this.side}.history: the item ID embedding has ${items.id.dim} dimensions, the ${this.side} one ${this.id.dim}: give both towers the same hidden layers (or none)`,
      );
    this.#history = new HistoryPool(history, items.id, cfg, store, rng);
    return this.#history;
  }

  get history(): HistoryPool | undefined {
    return this.#history;
  }

  /**
   * Plan phase: request the embedding rows that `ids` need. `opts` reach the history pooling
   * (training: the step's rng and each row's positive item, left out of its own history).
   */
  plan(ids: Int32Array, lookup: BatchLookup, opts?: HistoryPlanOptions): TowerBatch {
    const n = ids.length;
    const batch: { -readonly [K in keyof TowerBatch]: TowerBatch[K] } = { n, cats: [], bags: [] };
    if (this.id) batch.id = lookup.request(this.id, ids);
    // weight 1 is the ID embedding alone: no history rows (sparse Adam would move rows with zero gradients)
    if (this.#history && this.#history.cfg.weight < 1) batch.history = this.#history.plan(ids, lookup, opts);
    for (const c of this.cats) {
      const v = new Int32Array(n);
      for (let i = 0; i < n; i++) v[i] = c.values[ids[i]!]!;
      batch.cats.push(lookup.request(c.table, v));
    }
    for (const b of this.bags) {
      const { indptr, indices, rows } = b.bags;
      let nnz = 0;
      for (let i = 0; i < n; i++) {
        const r = ids[i]!;
        if (r < rows) nnz += indptr[r + 1]! - indptr[r]!;
      }
      const entries = new Int32Array(nnz);
      const segments = new Int32Array(nnz);
      const scale = new Float32Array(n);
      let at = 0;
      for (let i = 0; i < n; i++) {
        const r = ids[i]!;
        if (r >= rows) continue;
        const len = indptr[r + 1]! - indptr[r]!;
        for (let p = indptr[r]!; p < indptr[r + 1]!; p++) {
          entries[at] = indices[p]!;
          segments[at++] = i;
        }
        scale[i] = len === 0 ? 0 : this.cfg.pooling === 'mean' ? 1 / len : 1;
      }
      batch.bags.push({ handle: lookup.request(b.table, entries), segments, scale });
    }
    if (this.numeric.length > 0) {
      const k = this.numeric.length;
      const x = new Float32Array(n * k);
      this.numeric.forEach((f, j) => {
        for (let i = 0; i < n; i++) {
          const v = f.values[ids[i]!] ?? Number.NaN;
          x[i * k + j] = Number.isNaN(v) ? 0 : (v - f.mean) / f.std;
        }
      });
      batch.numeric = x;
    }
    return batch;
  }

  /**
   * Forward phase: [n, dim] output vectors. `train` marks a training step: input dropout
   * (`cfg.dropout`) draws its masks from `train.rng`.
   */
  forward(batch: TowerBatch, lookup: BatchLookup, train?: { rng: Rng }): tf.Tensor2D {
    const n = batch.n;
    let parts: tf.Tensor2D[] = [];
    if (batch.id !== undefined) {
      const own = lookup.get(batch.id); // [n, idDim]
      parts.push(batch.history && this.#history ? this.#history.mix(own, batch.history, lookup) : own);
    }
    for (const h of batch.cats) parts.push(lookup.get(h)); // [n, fd]
    for (const b of batch.bags) {
      const rows = lookup.get(b.handle); // [nnz, fd]
      const pooled =
        b.segments.length === 0
          ? tf.zeros([n, rows.shape[1]])
          : tf.unsortedSegmentSum(rows, tf.tensor1d(b.segments, 'int32'), n); // [n, fd]
      parts.push(tf.mul(pooled, tf.tensor2d(b.scale, [n, 1])) as tf.Tensor2D);
    }
    const rate = this.cfg.dropout ?? 0;
    if (train && rate > 0) parts = parts.map((x) => dropout(x, rate, train.rng)); // [n, w] each
    if (batch.numeric) parts.push(tf.tensor2d(batch.numeric, [n, this.numeric.length])); // [n, numeric]
    let xs: tf.Tensor2D[] = parts;
    for (const l of this.layers) {
      let x = linear(xs, l); // [n, h]
      x = this.cfg.activation === 'relu' ? tf.relu(x) : this.cfg.activation === 'tanh' ? tf.tanh(x) : gelu(x);
      if (l.ln) x = layerNorm(x, l.ln.g.variable, l.ln.b.variable);
      xs = [x];
    }
    let x = this.out ? linear(xs, this.out) : xs[0]!; // [n, dim]
    // [n, dim], ‖x‖ = 1: x · rsqrt(Σx² + 1e-12), one fused native op each way (the bits of the tfjs chain)
    if (this.cfg.normalize) x = l2Normalize(x);
    return x;
  }
}

/** Inverted dropout with a mask drawn from `rng`: each value kept with probability 1 − rate, scaled by 1/(1 − rate). */
function dropout(x: tf.Tensor2D, rate: number, rng: Rng): tf.Tensor2D {
  const mask = new Float32Array(x.size);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < rate ? 0 : keep;
  return tf.mul(x, tf.tensor2d(mask, x.shape)) as tf.Tensor2D;
}

/** Σ_k x_k W_k + b: a linear layer over input parts (the same as concatenating them first). */
function linear(xs: tf.Tensor2D[], l: Layer): tf.Tensor2D {
  const terms = xs.map((x, k) => tf.matMul(x, l.ws[k]!.variable as tf.Tensor2D)); // [n, out] each
  const y = terms.length === 1 ? terms[0]! : tf.addN(terms);
  return tf.add(y, l.b.variable);
}

/** LayerNorm over the last axis (Ba et al. 2016). */
function layerNorm(x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 1, true); // [n, 1]
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
}

/** GELU, tanh approximation. */
function gelu(x: tf.Tensor2D): tf.Tensor2D {
  const c = Math.sqrt(2 / Math.PI);
  return tf.mul(
    tf.mul(x, 0.5),
    tf.add(1, tf.tanh(tf.mul(c, tf.add(x, tf.mul(0.044715, tf.mul(x, tf.square(x))))))),
  );
}
