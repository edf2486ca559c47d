import type { Dataset, Rng } from '@embrec/core';
import { UsageError } from '@embrec/core';
import * as tf from '@tensorflow/tfjs-core';
import { glorotInit, normalInit } from '../embedding/init.ts';
import { Tower, type TowerBatch } from '../embedding/tower.ts';
import type { BatchLookup } from '../training/lookup.ts';
import type { DenseParam, ParamStore, TableParam } from '../training/params.ts';

/** Which part of the network produces the logit: GMF alone, MLP alone, or both fused (NeuMF). */
export type NcfPath = 'gmf' | 'mlp' | 'neumf';

export interface NcfNetConfig {
  readonly variant: NcfPath;
  readonly factors: number;
  readonly layers: readonly number[];
  readonly initStd: number;
  readonly features: 'all' | 'none' | readonly string[];
  readonly featureDim: number;
  /** Extra per-pair inputs (retrieval score and rank for the ranker); 0 for full ranking. */
  readonly extras: number;
}

interface DenseLayer {
  readonly ws: DenseParam[]; // one block per input part
  readonly b: DenseParam;
}

/** What one batch of (user, item) pairs needs (planned in JS before the forward pass). */
export interface NcfBatch {
  readonly n: number;
  readonly gmfU?: number;
  readonly gmfI?: number;
  readonly mlpU?: number;
  readonly mlpI?: number;
  readonly userSide?: TowerBatch;
  readonly itemSide?: TowerBatch;
  readonly extras?: Float32Array; // [n, extras]
}

/**
 * Neural Collaborative Filtering (He et al., WWW 2017), a network over (user, item) pairs:
 *   GMF:   φ_GMF = p_u ⊙ q_i                                   [n, factors]
 *   MLP:   φ_MLP = ReLU(... ReLU(W_1 [p'_u ‖ q'_i ‖ side_u ‖ side_i ‖ extras] + b_1) ...)   [n, last]
 *   NeuMF: ŷ = σ(h_GMFᵀ φ_GMF + h_MLPᵀ φ_MLP + h_xᵀ extras + b)
 * GMF and MLP have separate embeddings, as in the paper. The first MLP layer is kept as one weight
 * block per input part, so scoring every item splits it into a user term and an item term.
 */
export class NcfNet {
  gmfUser?: TableParam;
  gmfItem?: TableParam;
  mlpUser?: TableParam;
  mlpItem?: TableParam;
  userSide: Tower | undefined;
  itemSide: Tower | undefined;
  readonly hidden: DenseLayer[] = [];
  headGmf?: DenseParam;
  headGmfB?: DenseParam;
  headMlp?: DenseParam;
  headMlpB?: DenseParam;
  headExtra?: DenseParam;
  /** Widths of the MLP input parts, in forward order, and which side each belongs to. */
  readonly parts: { width: number; side: 'user' | 'item' | 'pair' }[] = [];

  constructor(
    readonly cfg: NcfNetConfig,
    readonly numUsers: number,
    readonly numItems: number,
    dataset: Dataset | undefined,
    readonly store: ParamStore,
    rng: Rng,
  ) {
    const { variant, factors, layers, initStd } = cfg;
    const useGmf = variant !== 'mlp';
    const useMlp = variant !== 'gmf';
    if (useGmf) {
      this.gmfUser = store.table(
        'gmf.user',
        numUsers,
        factors,
        normalInit(numUsers * factors, initStd, rng.fork('gmf.user')),
      );
      this.gmfItem = store.table(
        'gmf.item',
        numItems,
        factors,
        normalInit(numItems * factors, initStd, rng.fork('gmf.item')),
      );
      this.headGmf = store.dense('head.gmf', [factors, 1], glorotInit(factors, 1, rng.fork('head.gmf')));
      this.headGmfB = store.dense('head.gmf.b', [1], new Float32Array(1));
    }
    if (useMlp) {
      const e = Math.max(1, Math.floor(layers[0]! / 2));
      this.mlpUser = store.table(
        'mlp.user',
        numUsers,
        e,
        normalInit(numUsers * e, initStd, rng.fork('mlp.user')),
      );
      this.mlpItem = store.table(
        'mlp.item',
        numItems,
        e,
        normalInit(numItems * e, initStd, rng.fork('mlp.item')),
      );
      this.parts.push({ width: e, side: 'user' }, { width: e, side: 'item' });
      if (cfg.features !== 'none') {
        this.userSide = sideTower('user', numUsers, cfg, dataset, store, rng);
        this.itemSide = sideTower('item', numItems, cfg, dataset, store, rng);
        if (this.userSide) this.parts.push({ width: cfg.featureDim, side: 'user' });
        if (this.itemSide) this.parts.push({ width: cfg.featureDim, side: 'item' });
        if (Array.isArray(cfg.features) && !this.userSide && !this.itemSide) {
          throw new UsageError(`ncf: features [${cfg.features.join(', ')}] are not in the dataset`);
        }
      }
      if (cfg.extras > 0) this.parts.push({ width: cfg.extras, side: 'pair' });
      let widths = this.parts.map((p) => p.width);
      layers.slice(1).forEach((h, l) => {
        const fanIn = widths.reduce((a, b) => a + b, 0);
        const w = glorotInit(fanIn, h, rng.fork(`mlp.${l}`));
        let at = 0;
        const ws = widths.map((wd, k) => {
          const p = store.dense(`mlp.${l}.w${k}`, [wd, h], w.slice(at * h, (at + wd) * h));
          at += wd;
          return p;
        });
        this.hidden.push({ ws, b: store.dense(`mlp.${l}.b`, [h], new Float32Array(h)) });
        widths = [h];
      });
      const last = widths.reduce((a, b) => a + b, 0);
      this.headMlp = store.dense('head.mlp', [last, 1], glorotInit(last, 1, rng.fork('head.mlp')));
      this.headMlpB = store.dense('head.mlp.b', [1], new Float32Array(1));
    }
    if (cfg.extras > 0) {
      this.headExtra = store.dense('head.extra', [cfg.extras, 1], new Float32Array(cfg.extras));
    }
  }

  /** Plan phase: request the rows a batch of pairs needs. */
  plan(users: Int32Array, items: Int32Array, lookup: BatchLookup, extras?: Float32Array): NcfBatch {
    const b: { -readonly [K in keyof NcfBatch]: NcfBatch[K] } = { n: users.length };
    if (this.gmfUser && this.gmfItem) {
      b.gmfU = lookup.request(this.gmfUser, users);
      b.gmfI = lookup.request(this.gmfItem, items);
    }
    if (this.mlpUser && this.mlpItem) {
      b.mlpU = lookup.request(this.mlpUser, users);
      b.mlpI = lookup.request(this.mlpItem, items);
      if (this.userSide) b.userSide = this.userSide.plan(users, lookup);
      if (this.itemSide) b.itemSide = this.itemSide.plan(items, lookup);
    }
    if (this.cfg.extras > 0) b.extras = extras ?? new Float32Array(users.length * this.cfg.extras);
    return b;
  }

  /** Forward phase: logits [n] of the planned pairs along `path` (pre-training trains one path). */
  forward(b: NcfBatch, lookup: BatchLookup, path: NcfPath = this.cfg.variant): tf.Tensor1D {
    const terms: tf.Tensor2D[] = [];
    let bias: tf.Tensor | undefined;
    if (path !== 'mlp' && b.gmfU !== undefined && b.gmfI !== undefined) {
      const phi = tf.mul(lookup.get(b.gmfU), lookup.get(b.gmfI)) as tf.Tensor2D; // [n, factors]
      terms.push(tf.matMul(phi, this.headGmf!.variable as tf.Tensor2D)); // [n, 1]
      bias = this.headGmfB!.variable;
    }
    if (path !== 'gmf' && b.mlpU !== undefined && b.mlpI !== undefined) {
      const xs: tf.Tensor2D[] = [lookup.get(b.mlpU), lookup.get(b.mlpI)]; // [n, e] each
      if (b.userSide) xs.push(this.userSide!.forward(b.userSide, lookup)); // [n, featureDim]
      if (b.itemSide) xs.push(this.itemSide!.forward(b.itemSide, lookup));
      if (b.extras) xs.push(tf.tensor2d(b.extras, [b.n, this.cfg.extras])); // [n, extras]
      const phi = this.#mlp(xs); // [n, last]
      terms.push(tf.matMul(phi, this.headMlp!.variable as tf.Tensor2D)); // [n, 1]
      bias = bias ? tf.add(bias, this.headMlpB!.variable) : this.headMlpB!.variable;
      if (b.extras && this.headExtra && path === this.cfg.variant)
        terms.push(
          tf.matMul(tf.tensor2d(b.extras, [b.n, this.cfg.extras]), this.headExtra.variable as tf.Tensor2D),
        );
    }
    if (terms.length === 0)
      throw new UsageError(`ncf: path "${path}" does not exist in a "${this.cfg.variant}" model`);
    const sum = terms.length === 1 ? terms[0]! : tf.addN(terms);
    return tf.reshape(tf.add(sum, bias!), [b.n]) as tf.Tensor1D; // [n] logits
  }

  /** MLP over input parts; the first layer reads the parts without concatenating them. */
  #mlp(xs: tf.Tensor2D[]): tf.Tensor2D {
    if (this.hidden.length === 0) return xs.length === 1 ? xs[0]! : (tf.concat(xs, 1) as tf.Tensor2D);
    let cur = xs;
    for (const l of this.hidden) {
      const t = cur.map((x, k) => tf.matMul(x, l.ws[k]!.variable as tf.Tensor2D)); // [n, h]
      cur = [tf.relu(tf.add(t.length === 1 ? t[0]! : tf.addN(t), l.b.variable)) as tf.Tensor2D];
    }
    return cur[0]!;
  }

  /**
   * Logits of every item for each user: [users.length, numItems] row-major, computed in blocks of
   * about `block` pairs. The first MLP layer is split into a per-user and a per-item term (no pair
   * features in full ranking), so item terms are computed once.
   */
  scoreAll(users: Int32Array, block: number, lookupOf: () => BatchLookup): Float32Array {
    const ni = this.numItems;
    const out = new Float32Array(users.length * ni);
    const allItems = Int32Array.from({ length: ni }, (_, i) => i);
    const lookup = lookupOf();
    try {
      const itemPlan = this.plan(new Int32Array(ni), allItems, lookup);
      lookup.materialize();
      const itemT = tf.tidy(() => this.#itemTerms(itemPlan, lookup));
      try {
        const per = Math.max(1, Math.floor(block / Math.max(ni, 1)));
        for (let from = 0; from < users.length; from += per) {
          const chunk = users.subarray(from, Math.min(from + per, users.length));
          const ul = lookupOf();
          try {
            const up = this.plan(chunk, new Int32Array(chunk.length), ul);
            ul.materialize();
            const s = tf.tidy(() => this.#blockScores(up, ul, itemT)); // [nu, ni]
            out.set(s.dataSync() as Float32Array, from * ni);
            s.dispose();
          } finally {
            ul.dispose();
          }
        }
      } finally {
        for (const t of Object.values(itemT)) t?.dispose();
      }
    } finally {
      lookup.dispose();
    }
    return out;
  }

  /** Per-item tensors: GMF item vectors [ni, f] and the item part of the MLP's first layer. */
  #itemTerms(b: NcfBatch, lookup: BatchLookup): { q?: tf.Tensor2D; c?: tf.Tensor2D } {
    const out: { q?: tf.Tensor2D; c?: tf.Tensor2D } = {};
    if (b.gmfI !== undefined) out.q = lookup.get(b.gmfI); // [ni, f]
    if (b.mlpI !== undefined) {
      const xs: tf.Tensor2D[] = [lookup.get(b.mlpI)];
      if (b.itemSide) xs.push(this.itemSide!.forward(b.itemSide, lookup));
      out.c = this.#sideTerm(xs, 'item'); // [ni, h1] (or [ni, 1] without hidden layers)
    }
    return out;
  }

  /** Σ over one side's parts of x_k W1_k: [n, h1]; without hidden layers the raw concatenation. */
  #sideTerm(xs: tf.Tensor2D[], side: 'user' | 'item'): tf.Tensor2D {
    const idx = this.parts.flatMap((p, k) => (p.side === side ? [k] : []));
    const l = this.hidden[0];
    // no hidden layer: the head itself is the first layer, cut into the rows of each part
    const weight = (k: number): tf.Tensor2D => {
      if (l) return l.ws[k]!.variable as tf.Tensor2D;
      let at = 0;
      for (let j = 0; j < k; j++) at += this.parts[j]!.width;
      return tf.slice(this.headMlp!.variable as tf.Tensor2D, [at, 0], [this.parts[k]!.width, 1]);
    };
    const t = xs.map((x, j) => tf.matMul(x, weight(idx[j]!))); // [n, h1] or [n, 1]
    return (t.length === 1 ? t[0]! : tf.addN(t)) as tf.Tensor2D;
  }

  #blockScores(b: NcfBatch, lookup: BatchLookup, it: { q?: tf.Tensor2D; c?: tf.Tensor2D }): tf.Tensor2D {
    const nu = b.n;
    const ni = this.numItems;
    let total: tf.Tensor2D | undefined;
    let bias: tf.Tensor | undefined;
    if (b.gmfU !== undefined && it.q) {
      const hg = tf.reshape(this.headGmf!.variable, [1, -1]); // [1, f]
      const pu = tf.mul(lookup.get(b.gmfU), hg) as tf.Tensor2D; // [nu, f]
      total = tf.matMul(pu, it.q, false, true); // [nu, ni]
      bias = this.headGmfB!.variable;
    }
    if (b.mlpU !== undefined && it.c) {
      const xs: tf.Tensor2D[] = [lookup.get(b.mlpU)];
      if (b.userSide) xs.push(this.userSide!.forward(b.userSide, lookup));
      const a = this.#sideTerm(xs, 'user'); // [nu, h1]
      if (this.hidden.length === 0) {
        // no hidden layer: user and item terms are already head-weighted [nu, 1] and [ni, 1]
        const s = tf.add(a, tf.reshape(it.c, [1, ni])) as tf.Tensor2D; // [nu, ni]
        total = total ? tf.add(total, s) : s;
      } else {
        const h1 = a.shape[1];
        const l0 = this.hidden[0]!;
        const x = tf.relu(
          tf.add(tf.add(tf.reshape(a, [nu, 1, h1]), tf.reshape(it.c, [1, ni, h1])), l0.b.variable),
        ); // [nu, ni, h1]
        let cur = tf.reshape(x, [nu * ni, h1]) as tf.Tensor2D;
        for (const l of this.hidden.slice(1))
          cur = tf.relu(
            tf.add(tf.matMul(cur, l.ws[0]!.variable as tf.Tensor2D), l.b.variable),
          ) as tf.Tensor2D;
        const s = tf.reshape(tf.matMul(cur, this.headMlp!.variable as tf.Tensor2D), [nu, ni]) as tf.Tensor2D;
        total = total ? tf.add(total, s) : s;
      }
      bias = bias ? tf.add(bias, this.headMlpB!.variable) : this.headMlpB!.variable;
    }
    return tf.add(total!, bias!) as tf.Tensor2D; // [nu, ni]
  }

  /** Scales the pre-trained heads into the fused one: h ← [α h_GMF ; (1−α) h_MLP] (He et al. §3.4.1). */
  fuseHeads(alpha: number): void {
    const scale = (p: DenseParam | undefined, s: number) => {
      if (!p) return;
      for (let i = 0; i < p.data.length; i++) p.data[i]! *= s;
      this.store.sync(p);
    };
    scale(this.headGmf, alpha);
    scale(this.headGmfB, alpha);
    scale(this.headMlp, 1 - alpha);
    scale(this.headMlpB, 1 - alpha);
  }
}

function sideTower(
  side: 'user' | 'item',
  rows: number,
  cfg: NcfNetConfig,
  dataset: Dataset | undefined,
  store: ParamStore,
  rng: Rng,
): Tower | undefined {
  const f = side === 'user' ? dataset?.userFeatures : dataset?.itemFeatures;
  const names = [
    ...Object.keys(f?.categorical ?? {}),
    ...Object.keys(f?.multiHot ?? {}),
    ...Object.keys(f?.numeric ?? {}),
  ];
  const wanted =
    cfg.features === 'all' ? names : names.filter((n) => (cfg.features as readonly string[]).includes(n));
  if (wanted.length === 0) return undefined;
  return new Tower(
    side,
    rows,
    {
      dim: cfg.featureDim,
      idEmbedding: false,
      features: wanted,
      featureDim: cfg.featureDim,
      pooling: 'mean',
      hidden: [],
      activation: 'relu',
      layerNorm: false,
      normalize: false,
      initStd: cfg.initStd,
    },
    f,
    store,
    rng.fork(`side.${side}`),
  );
}

/** Checks a feature list against both sides of the dataset, naming what exists. */
export function checkFeatures(features: NcfNetConfig['features'], dataset: Dataset): void {
  if (!Array.isArray(features)) return;
  const have = new Set<string>();
  for (const f of [dataset.userFeatures, dataset.itemFeatures]) {
    for (const n of [
      ...Object.keys(f?.categorical ?? {}),
      ...Object.keys(f?.multiHot ?? {}),
      ...Object.keys(f?.numeric ?? {}),
    ])
      have.add(n);
  }
  const missing = (features as readonly string[]).filter((n) => !have.has(n));
  if (missing.length > 0) {
    throw new UsageError(
      `ncf: feature${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} not in dataset "${dataset.name}" (available: ${[...have].join(', ') || 'none'})`,
    );
  }
}
