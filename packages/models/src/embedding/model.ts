import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CreateContext,
  EmbeddingTable,
  FitInput,
  LossComponent,
  ModelComponent,
  SamplerComponent,
  Scorer,
} from '@embrec/core';
import { DataError, IdMap, UsageError, userCsr } from '@embrec/core';
import * as tf from '@tensorflow/tfjs-core';
import { readArrays, writeArrays } from '../training/checkpoint.ts';
import { BatchLookup } from '../training/lookup.ts';
import { ParamStore } from '../training/params.ts';
import type { TrainConfig } from '../training/schema.ts';
import { type TrainResult, train } from '../training/trainer.ts';
import { Tower, type TowerConfig } from './tower.ts';

/** Rows encoded per forward pass when exporting tables. */
const ENCODE_BATCH = 4096;

export interface EmbeddingModelConfig {
  readonly type: string;
  readonly user: TowerConfig;
  readonly item: TowerConfig;
  readonly train: TrainConfig;
}

/**
 * A retrieval model scoring a (user, item) pair by the dot product of a user tower and an item
 * tower (MF is the case where both towers are bare ID embeddings). Trains with the injected loss and
 * sampler, exports both embedding tables with their external IDs, encodes cold-start users from
 * their item lists, and saves/loads weights with the ID maps.
 */
export class EmbeddingModel implements ModelComponent {
  #store = new ParamStore();
  #users: Tower | undefined;
  #items: Tower | undefined;
  #userIds: IdMap | undefined;
  #itemIds: IdMap | undefined;
  #tables: undefined | { users: EmbeddingTable; items: EmbeddingTable };
  #lastTrain: TrainResult | undefined;

  constructor(
    readonly cfg: EmbeddingModelConfig,
    readonly loss: LossComponent,
    readonly sampler: SamplerComponent | undefined,
    readonly ctx: CreateContext,
  ) {}

  get result(): TrainResult | undefined {
    return this.#lastTrain;
  }

  async fit(input: FitInput): Promise<void> {
    const { dataset, splits } = input;
    const tr = splits.train;
    this.#dispose();
    this.#userIds = tr.userIds;
    this.#itemIds = tr.itemIds;
    const rng = input.ctx.rng.fork('init');
    this.#users = new Tower('user', tr.userIds.size, this.cfg.user, dataset.userFeatures, this.#store, rng);
    this.#items = new Tower('item', tr.itemIds.size, this.cfg.item, dataset.itemFeatures, this.#store, rng);
    const users = this.#users;
    const items = this.#items;
    // the user's history: training interactions only (never valid or test)
    if (this.cfg.user.history) users.attachHistory(userCsr(tr), items, this.#store, rng.fork('user.history'));
    this.#lastTrain = await train(
      {
        store: this.#store,
        users,
        items,
        encode: (side, ids) => this.#encode(side === 'user' ? users : items, ids),
        touched: () => {
          this.#tables = undefined;
        },
      },
      this.cfg.train,
      {
        train: tr,
        dataset,
        ctx: input.ctx,
        loss: this.loss,
        sampler: this.sampler,
        validate: input.validate,
      },
    );
  }

  #encode(tower: Tower, ids: Int32Array): Float32Array {
    const d = tower.cfg.dim;
    const out = new Float32Array(ids.length * d);
    for (let from = 0; from < ids.length; from += ENCODE_BATCH) {
      const chunk = ids.subarray(from, Math.min(from + ENCODE_BATCH, ids.length));
      const lookup = new BatchLookup(false);
      try {
        const plan = tower.plan(chunk, lookup);
        lookup.materialize();
        const v = tf.tidy(() => tower.forward(plan, lookup));
        out.set(v.dataSync() as Float32Array, from * d);
        v.dispose();
      } finally {
        lookup.dispose();
      }
    }
    return out;
  }

  #requireFitted(what: string): { users: Tower; items: Tower; userIds: IdMap; itemIds: IdMap } {
    if (!this.#users || !this.#items || !this.#userIds || !this.#itemIds) {
      throw new UsageError(`${this.cfg.type}: ${what} needs a trained model: call fit() or load() first`);
    }
    return { users: this.#users, items: this.#items, userIds: this.#userIds, itemIds: this.#itemIds };
  }

  scorer(): Scorer {
    if (!this.#tables) {
      const m = this.#requireFitted('scorer()');
      const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
      this.#tables = {
        users: { ids: m.userIds, dim: m.users.cfg.dim, vectors: this.#encode(m.users, all(m.userIds.size)) },
        items: { ids: m.itemIds, dim: m.items.cfg.dim, vectors: this.#encode(m.items, all(m.itemIds.size)) },
      };
    }
    return { kind: 'embeddings', users: this.#tables.users, items: this.#tables.items };
  }

  /**
   * Cold start: vectors for users never trained on, from the items each interacted with (dense item
   * indices or external IDs): the mean of the items' output vectors (L2-normalised when the user
   * tower normalises). [histories.length, dim]; a user with no known item gets a zero vector.
   */
  encodeColdUsers(histories: readonly (Int32Array | readonly string[])[]): Float32Array {
    const s = this.scorer();
    if (s.kind !== 'embeddings') throw new UsageError('cold start needs embedding tables');
    const { items } = s;
    const d = items.dim;
    const out = new Float32Array(histories.length * d);
    histories.forEach((h, r) => {
      let n = 0;
      for (const x of h) {
        const i = typeof x === 'string' ? items.ids.get(x) : x;
        if (i === undefined || i < 0 || i >= items.ids.size) continue;
        for (let j = 0; j < d; j++) out[r * d + j]! += items.vectors[i * d + j]!;
        n++;
      }
      if (n === 0) return;
      let norm = 0;
      for (let j = 0; j < d; j++) norm += out[r * d + j]! ** 2;
      const scale = this.cfg.user.normalize ? 1 / (Math.sqrt(norm) || 1) : 1 / n;
      for (let j = 0; j < d; j++) out[r * d + j]! *= scale;
    });
    return out;
  }

  /** New-user fold-in (ModelComponent.foldIn): `encodeColdUsers` for one item list. */
  foldIn(items: Int32Array | readonly string[]): Float32Array {
    return this.encodeColdUsers([items]);
  }

  async save(dir: string): Promise<void> {
    const m = this.#requireFitted('save()');
    mkdirSync(dir, { recursive: true });
    const s = this.scorer();
    if (s.kind !== 'embeddings') throw new UsageError('unreachable');
    const arrays = new Map<string, Float32Array>();
    for (const [k, p] of this.#store.params) if (!k.startsWith('loss.')) arrays.set(k, p.data);
    arrays.set('export.users', s.users.vectors);
    arrays.set('export.items', s.items.vectors);
    writeArrays(dir, 'weights', arrays);
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({
        format: 'embrec-embedding-model/1',
        type: this.cfg.type,
        config: this.cfg,
        dim: m.users.cfg.dim,
      }),
    );
    writeFileSync(join(dir, 'user-ids.json'), JSON.stringify(m.userIds.toJSON()));
    writeFileSync(join(dir, 'item-ids.json'), JSON.stringify(m.itemIds.toJSON()));
  }

  /**
   * Loads weights and ID maps saved by `save`. The exported tables are restored as they were; when
   * the model has been fitted with the same configuration, its parameters are restored too.
   */
  async load(dir: string): Promise<void> {
    const metaFile = join(dir, 'model.json');
    let meta: { format?: string; type?: string; dim?: number };
    try {
      meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    } catch (e) {
      throw new DataError(`${metaFile}: cannot read the saved model (${(e as Error).message})`, { cause: e });
    }
    if (meta.format !== 'embrec-embedding-model/1' || meta.type !== this.cfg.type) {
      throw new DataError(
        `${metaFile}: expected a saved "${this.cfg.type}" model (format embrec-embedding-model/1), found type "${meta.type}" format "${meta.format}"`,
      );
    }
    const userIds = IdMap.fromJSON(JSON.parse(readFileSync(join(dir, 'user-ids.json'), 'utf8')));
    const itemIds = IdMap.fromJSON(JSON.parse(readFileSync(join(dir, 'item-ids.json'), 'utf8')));
    const arrays = readArrays(dir, 'weights');
    const dim = meta.dim ?? this.cfg.user.dim;
    const u = arrays.get('export.users');
    const v = arrays.get('export.items');
    if (!u || !v || u.length !== userIds.size * dim || v.length !== itemIds.size * dim) {
      throw new DataError(`${dir}/weights.bin: the exported tables do not match the ID maps (dim ${dim})`);
    }
    if (this.#users && this.#items) this.#store.restore(arrays, `${dir}/weights.bin`);
    this.#userIds = userIds;
    this.#itemIds = itemIds;
    this.#tables = {
      users: { ids: userIds, dim, vectors: Float32Array.from(u) },
      items: { ids: itemIds, dim, vectors: Float32Array.from(v) },
    };
  }

  #dispose(): void {
    this.#store.dispose();
    this.#store = new ParamStore();
    this.#users = undefined;
    this.#items = undefined;
    this.#tables = undefined;
  }

  dispose(): void {
    this.#dispose();
    this.loss.dispose?.();
  }
}
