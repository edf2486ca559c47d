import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  EmbeddingTable,
  FitInput,
  LossComponent,
  ModelComponent,
  SamplerComponent,
  Scorer,
} from '@embrec/core';
import { DataError, IdMap, UsageError, writeJsonAtomic } from '@embrec/core';
import * as tf from '@tensorflow/tfjs-core';
import { normalInit } from '../../embedding/init.ts';
import type { Tower, TowerBatch } from '../../embedding/tower.ts';
import { readArrays, readSavedJson, writeArrays } from '../../training/checkpoint.ts';
import type { BatchLookup } from '../../training/lookup.ts';
import { type DenseParam, ParamStore } from '../../training/params.ts';
import { type TrainResult, train } from '../../training/trainer.ts';
import { type Adjacency, buildAdjacency, degreePower } from './adjacency.ts';
import { propagate, propagateRows } from './propagate.ts';
import { type LightGcnParams, layerWeights } from './schema.ts';

const FORMAT = 'embrec-lightgcn/1';

/** A batch of one side: the node ids of its rows in the graph. */
interface GraphBatch extends TowerBatch {
  readonly nodes: Int32Array;
}

interface Tables {
  users: EmbeddingTable;
  items: EmbeddingTable;
  /** Fold-in basis per item (see foldIn): [items, D]. */
  foldIn: Float32Array;
}

/**
 * LightGCN (He et al., SIGIR 2020) and LightGCN++ (Lee, Kim & Shin, RecSys 2024) as an embedding
 * model: ego embeddings E⁽⁰⁾ [users + items, D] are the only parameters; every training step
 * propagates them K layers over Â = D^-α A D^-β (built once per fit) with the native CSR product,
 * takes the batch's rows of E = Σ_k w_k E⁽ᵏ⁾, and hands them to the shared trainer's loss (BPR by
 * default, any registered loss works). As in the reference, the batch's ego rows get the L2 penalty
 * λ/2·(‖e_u⁽⁰⁾‖² + ‖e_i⁽⁰⁾‖² + ‖e_j⁽⁰⁾‖²)/B (its gradient is added; the logged loss is the data
 * term only). Scores are dot products of the propagated tables.
 */
export class LightGcnModel implements ModelComponent {
  #store = new ParamStore();
  #ego: DenseParam | undefined;
  #adj: Adjacency | undefined;
  #userIds: IdMap | undefined;
  #itemIds: IdMap | undefined;
  #tables: Tables | undefined;
  #threads: number | undefined;
  #lastTrain: TrainResult | undefined;
  /** Per training step (each step has its own lookup): the graph nodes its batch needs... */
  readonly #stepNodes = new WeakMap<BatchLookup, Int32Array[]>();
  /** ...and, once the forward pass starts, their propagated rows and each node's row in them. */
  readonly #stepRows = new WeakMap<BatchLookup, { rows: tf.Tensor2D; at: Int32Array }>();
  /** The number of users in the current step's batch (the L2 penalty's B). */
  readonly #stepBatch = new WeakMap<BatchLookup, number>();
  readonly weights: number[];

  constructor(
    readonly type: string,
    readonly cfg: LightGcnParams,
    readonly loss: LossComponent,
    readonly sampler: SamplerComponent | undefined,
  ) {
    this.weights = layerWeights(cfg);
  }

  get result(): TrainResult | undefined {
    return this.#lastTrain;
  }

  /** The normalised adjacency of the last fit (tests, benchmarks). */
  get adjacency(): Adjacency | undefined {
    return this.#adj;
  }

  async fit(input: FitInput): Promise<void> {
    const { dataset, splits, ctx } = input;
    const tr = splits.train;
    this.#reset();
    this.#threads = ctx.threads;
    this.#adj = buildAdjacency(tr, this.cfg.alpha, this.cfg.beta);
    this.#userIds = tr.userIds;
    this.#itemIds = tr.itemIds;
    const n = tr.userIds.size + tr.itemIds.size;
    const d = this.cfg.dim;
    this.#ego = this.#store.dense(
      'graph.ego',
      [n, d],
      normalInit(n * d, this.cfg.initStd, ctx.rng.fork('init')),
    );
    const users = this.#side(0);
    const items = this.#side(tr.userIds.size);
    this.#lastTrain = await train(
      {
        store: this.#store,
        // the trainer drives towers through plan/forward only; a graph side has the same two methods
        users: users as unknown as Tower,
        items: items as unknown as Tower,
        encode: (side, ids) =>
          this.#rows(side === 'user' ? this.#current().users : this.#current().items, ids),
        touched: () => {
          this.#tables = undefined;
        },
      },
      this.cfg.train,
      { train: tr, dataset, ctx, loss: this.loss, sampler: this.sampler, validate: input.validate },
    );
  }

  /** One side of the graph for the trainer: rows `offset + id` of the propagated table. */
  #side(offset: number) {
    const dim = this.cfg.dim;
    const isUser = offset === 0;
    return {
      cfg: { dim },
      plan: (ids: Int32Array, lookup: BatchLookup): GraphBatch => {
        if (isUser) this.#stepBatch.set(lookup, ids.length);
        const nodes = offset === 0 ? ids : Int32Array.from(ids, (i) => i + offset);
        const all = this.#stepNodes.get(lookup) ?? [];
        all.push(nodes);
        this.#stepNodes.set(lookup, all);
        return { n: ids.length, cats: [], bags: [], nodes };
      },
      forward: (batch: GraphBatch, lookup: BatchLookup): tf.Tensor2D => {
        const ego = this.#ego!.variable as tf.Tensor2D; // [N, D]
        let step = this.#stepRows.get(lookup);
        if (!step) {
          // the union of the nodes that every side planned for this step, propagated once
          const n = this.#adj!.matrix.rows;
          const at = new Int32Array(n).fill(-1);
          for (const part of this.#stepNodes.get(lookup) ?? [batch.nodes]) for (const v of part) at[v] = 0;
          let m = 0;
          for (let v = 0; v < n; v++) if (at[v] === 0) at[v] = m++;
          const nodes = new Int32Array(m);
          for (let v = 0; v < n; v++) if (at[v]! >= 0) nodes[at[v]!] = v;
          const rows = propagateRows(this.#adj!, ego, nodes, this.#propagateOptions()); // [m, D]
          step = { rows, at };
          this.#stepRows.set(lookup, step);
        }
        const pos = Int32Array.from(batch.nodes, (v) => step.at[v]!);
        const out = tf.gather(step.rows, tf.tensor1d(pos, 'int32')); // [n, D]
        if (!lookup.trainable || this.cfg.l2 === 0) return out;
        const b = this.#stepBatch.get(lookup) ?? batch.n;
        return withL2(out, tf.gather(ego, tf.tensor1d(batch.nodes, 'int32')), this.cfg.l2 / b); // [n, D]
      },
    };
  }

  #propagateOptions() {
    return {
      layers: this.cfg.layers,
      weights: this.weights,
      normalize: this.cfg.normalize,
      threads: this.#threads,
    };
  }

  #rows(table: EmbeddingTable, ids: Int32Array): Float32Array {
    const d = table.dim;
    const out = new Float32Array(ids.length * d);
    for (let r = 0; r < ids.length; r++)
      out.set(table.vectors.subarray(ids[r]! * d, (ids[r]! + 1) * d), r * d);
    return out;
  }

  /** The propagated tables (computed once per parameter update) and the fold-in basis. */
  #current(): Tables {
    if (this.#tables) return this.#tables;
    if (!this.#ego || !this.#adj || !this.#userIds || !this.#itemIds) {
      throw new UsageError(`${this.type}: scorer() needs a trained model: call fit() or load() first`);
    }
    const adj = this.#adj;
    const nu = adj.numUsers;
    const ni = adj.numItems;
    const d = this.cfg.dim;
    // tidy returns tensors (a tidy walking a returned typed array would visit every element)
    const [finalT, basisT] = tf.tidy((): [tf.Tensor2D, tf.Tensor2D | undefined] => {
      const p = propagate(adj, this.#ego!.variable as tf.Tensor2D, this.#propagateOptions());
      // fold-in basis b_i = d_i^-β Σ_{k<K} w_{k+1} x̃_i⁽ᵏ⁾ over the item rows
      let acc: tf.Tensor2D | undefined;
      p.inputs.forEach((x, k) => {
        const w = this.weights[k + 1]!;
        if (w === 0) return;
        const rows = tf.slice(x, [nu, 0], [ni, d]); // [I, D]
        acc = acc ? tf.add(acc, tf.mul(rows, w)) : (tf.mul(rows, w) as tf.Tensor2D);
      });
      return [p.final, acc];
    });
    const all = finalT.dataSync() as Float32Array; // [N, D]
    const basis = basisT?.dataSync() as Float32Array | undefined; // [I, D]
    if (finalT !== this.#ego.variable) finalT.dispose(); // with K = 0 the final table is the ego variable
    basisT?.dispose();
    const foldIn = new Float32Array(ni * d);
    if (basis) {
      const scale = degreePower(adj.degree.subarray(nu), -this.cfg.beta);
      for (let i = 0; i < ni; i++)
        for (let j = 0; j < d; j++) foldIn[i * d + j] = basis[i * d + j]! * scale[i]!;
    }
    this.#tables = {
      users: { ids: this.#userIds, dim: d, vectors: all.slice(0, nu * d) },
      items: { ids: this.#itemIds, dim: d, vectors: all.slice(nu * d) },
      foldIn,
    };
    return this.#tables;
  }

  scorer(): Scorer {
    const t = this.#current();
    return { kind: 'embeddings', users: t.users, items: t.items };
  }

  /**
   * A new user known only by the items they interacted with (dense item indices or external IDs;
   * unknown and repeated items are skipped), as one propagation step into the user's node:
   *
   *   e_u = Σ_{k<K} w_{k+1} Σ_{i∈S} Â_ui x̃_i⁽ᵏ⁾,   Â_ui = |S|^-α d_i^-β
   *
   * — the final user embedding of the trained graph with the user added, item degrees and layers
   * left as trained and no ego term (a new user has none). For a training user with their training
   * items and w_0 = 0 (γ = 0) it equals the user's row of the table. With K = 0 (no propagation)
   * it is the mean of the item vectors, as for MF. [dim]; zeros when no item is known.
   */
  foldIn(items: Int32Array | readonly string[]): Float32Array {
    const t = this.#current();
    const d = this.cfg.dim;
    const ids = t.items.ids;
    const seen = new Set<number>();
    for (const x of items) {
      const i = typeof x === 'string' ? ids.get(x) : x;
      if (i !== undefined && Number.isInteger(i) && i >= 0 && i < ids.size) seen.add(i);
    }
    const out = new Float32Array(d);
    if (seen.size === 0) return out;
    const propagates = this.cfg.layers > 0 && this.weights.slice(1).some((w) => w > 0);
    const src = propagates ? t.foldIn : t.items.vectors;
    for (const i of seen) for (let j = 0; j < d; j++) out[j]! += src[i * d + j]!;
    const scale = propagates ? seen.size ** -this.cfg.alpha : 1 / seen.size;
    for (let j = 0; j < d; j++) out[j]! *= scale;
    return out;
  }

  async save(dir: string): Promise<void> {
    const t = this.#current();
    mkdirSync(dir, { recursive: true });
    writeArrays(
      dir,
      'weights',
      new Map([
        ['graph.ego', this.#ego!.data],
        ['export.users', t.users.vectors],
        ['export.items', t.items.vectors],
        ['export.foldIn', t.foldIn],
      ]),
    );
    writeJsonAtomic(join(dir, 'model.json'), {
      format: FORMAT,
      type: this.type,
      config: this.cfg,
      dim: this.cfg.dim,
    });
    writeJsonAtomic(join(dir, 'user-ids.json'), t.users.ids.toJSON());
    writeJsonAtomic(join(dir, 'item-ids.json'), t.items.ids.toJSON());
  }

  /** Loads what `save` wrote: the tables and the fold-in basis (and the ego embeddings when fitted). */
  async load(dir: string): Promise<void> {
    const metaFile = join(dir, 'model.json');
    const meta = readSavedJson<{ format?: string; type?: string; dim?: number }>(metaFile, 'the saved model');
    if (meta.format !== FORMAT || meta.dim !== this.cfg.dim) {
      throw new DataError(
        `${metaFile}: expected a saved ${this.type} model (format ${FORMAT}, dim ${this.cfg.dim}), found format "${meta.format}" dim ${meta.dim}`,
      );
    }
    const userIds = IdMap.fromJSON(JSON.parse(readFileSync(join(dir, 'user-ids.json'), 'utf8')));
    const itemIds = IdMap.fromJSON(JSON.parse(readFileSync(join(dir, 'item-ids.json'), 'utf8')));
    const arrays = readArrays(dir, 'weights');
    const d = this.cfg.dim;
    const u = arrays.get('export.users');
    const v = arrays.get('export.items');
    const f = arrays.get('export.foldIn');
    if (
      !u ||
      !v ||
      !f ||
      u.length !== userIds.size * d ||
      v.length !== itemIds.size * d ||
      f.length !== v.length
    ) {
      throw new DataError(`${dir}/weights.bin: the exported tables do not match the ID maps (dim ${d})`);
    }
    if (this.#ego) this.#store.restore(arrays, `${dir}/weights.bin`);
    this.#userIds = userIds;
    this.#itemIds = itemIds;
    this.#tables = {
      users: { ids: userIds, dim: d, vectors: Float32Array.from(u) },
      items: { ids: itemIds, dim: d, vectors: Float32Array.from(v) },
      foldIn: Float32Array.from(f),
    };
  }

  #reset(): void {
    this.#store.dispose();
    this.#store = new ParamStore();
    this.#ego = undefined;
    this.#adj = undefined;
    this.#tables = undefined;
  }

  dispose(): void {
    this.#reset();
    this.loss.dispose?.();
  }
}

/**
 * Identity on `out` whose backward pass also adds scale·e to the gradient of `ego` (the gradient of
 * scale/2·‖ego‖²): the L2 penalty on the batch's ego rows without changing the loss the trainer sees.
 */
function withL2(out: tf.Tensor2D, ego: tf.Tensor2D, scale: number): tf.Tensor2D {
  const op = tf.customGrad((...args) => {
    const [o, e, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([e]);
    return {
      value: tf.clone(o),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [dy, tf.mul(saved[0]!, scale)],
    };
  });
  return op(out, ego) as tf.Tensor2D;
}
