import { mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type {
  Dataset,
  FitInput,
  Interactions,
  LossComponent,
  ModelComponent,
  Scorer,
  SortedRows,
  TrialContext,
} from '@embrec/core';
import { DataError, IdMap, Rng, sortedRows, UsageError, writeFileAtomic } from '@embrec/core';
import * as tf from '@tensorflow/tfjs-core';
import { readArrays, readSavedJson, writeArrays } from '../training/checkpoint.ts';
import { BatchLookup } from '../training/lookup.ts';
import { ParamStore } from '../training/params.ts';
import { readFeatures, type SideFeatures, usedFeatures, writeFeatures } from './features-io.ts';
import { checkFeatures, NcfNet } from './net.ts';
import type { NcfConfig } from './schema.ts';
import { type EpochSource, fitNcf, type Groups, sampledNegatives } from './train.ts';

const FORMAT = 'embrec-ncf/1';

/** Pairs scored per forward pass by `scorePairs`. */
const PAIR_BATCH = 8192;

/**
 * The NCF family as a full-ranking model (He et al. 2017): GMF, MLP or NeuMF, trained on every
 * training pair with sampled negatives, optionally from pre-trained GMF and MLP parts. Scores every
 * item for a user in blocks (scorer kind 'scores'); the NeuMF ranker builds on the same network.
 */
export class NcfModel implements ModelComponent {
  protected store = new ParamStore();
  protected net: NcfNet | undefined;
  protected userIds: IdMap | undefined;
  protected itemIds: IdMap | undefined;
  /** The side-feature tables the network was built with (saved with it: features-io.ts). */
  #side: SideFeatures = {};
  /** Sees every training batch (tests: no test item may enter training). */
  onBatch: ((g: Groups) => void) | undefined;

  constructor(
    readonly cfg: NcfConfig,
    readonly loss: LossComponent | undefined,
    readonly configDir: string,
    readonly type = 'ncf',
    readonly extras = 0,
  ) {}

  async fit(input: FitInput): Promise<void> {
    const tr = input.splits.train;
    this.build(input.dataset, tr, input.ctx);
    const seen = sortedRows(tr.userIds.size, tr.users, tr.items);
    const src = this.trainSource(tr, seen);
    await this.trainBase(src, input.ctx, input.validate);
  }

  /** A fresh network for the training data's ID maps. */
  build(dataset: Dataset | undefined, tr: Interactions, ctx: TrialContext): NcfNet {
    if (tr.users.length === 0)
      throw new UsageError(`${this.type}: cannot train on empty training interactions`);
    if (dataset) checkFeatures(this.cfg.features, dataset);
    this.#dispose();
    this.userIds = tr.userIds;
    this.itemIds = tr.itemIds;
    this.#side = {
      user: usedFeatures(dataset?.userFeatures, this.cfg.features),
      item: usedFeatures(dataset?.itemFeatures, this.cfg.features),
    };
    this.net = new NcfNet(
      { ...this.cfg, extras: this.extras },
      tr.userIds.size,
      tr.itemIds.size,
      dataset,
      this.store,
      ctx.rng.fork('init'),
    );
    return this.net;
  }

  trainSource(tr: Interactions, seen: SortedRows, forbid?: SortedRows): EpochSource {
    const t = this.cfg.train;
    return sampledNegatives(
      tr.users,
      tr.items,
      tr.itemIds.size,
      seen,
      t.negatives,
      t.batchSize,
      forbid,
      this.extras,
    );
  }

  /** Pre-training (when asked) and the main training run on `src`. */
  async trainBase(src: EpochSource, ctx: TrialContext, validate?: FitInput['validate']): Promise<void> {
    const net = this.#net('fit()');
    const t = this.cfg.train;
    const pre = this.cfg.pretrain;
    let lr = t.lr;
    if (pre && this.cfg.variant === 'neumf') {
      if (pre.epochs > 0) {
        const common = { cfg: t, lr: t.lr, epochs: pre.epochs, loss: this.loss, ctx, onBatch: this.onBatch };
        await fitNcf(net, src, { ...common, path: 'gmf', label: 'pretrain.gmf' });
        await fitNcf(net, src, { ...common, path: 'mlp', label: 'pretrain.mlp' });
      } else {
        if (!pre.gmf || !pre.mlp) {
          throw new UsageError(
            `${this.type}: pretrain needs either pretrain.epochs > 0 or both pretrain.gmf and pretrain.mlp (saved ncf models), found ${pre.gmf ? 'only gmf' : pre.mlp ? 'only mlp' : 'neither'}`,
          );
        }
        this.#loadPart(pre.gmf, 'gmf');
        this.#loadPart(pre.mlp, 'mlp');
      }
      net.fuseHeads(pre.alpha);
      lr = pre.lr ?? t.lr;
    } else if (pre) {
      throw new UsageError(
        `${this.type}: pretrain applies to variant neumf, found variant ${this.cfg.variant}`,
      );
    }
    await fitNcf(net, src, {
      cfg: t,
      path: this.cfg.variant,
      lr,
      epochs: t.epochs,
      loss: this.loss,
      validate,
      ctx,
      label: 'ncf',
      onBatch: this.onBatch,
    });
  }

  /** Copies the parameters of one pre-trained part (a saved gmf or mlp model) into the network. */
  #loadPart(dir: string, part: 'gmf' | 'mlp'): void {
    const abs = isAbsolute(dir) ? dir : resolve(this.configDir, dir);
    const meta = readMeta(abs);
    const c = meta.config as Partial<NcfConfig>;
    if (c.variant !== part) {
      throw new UsageError(
        `${this.type}: pretrain.${part} = ${dir} holds a "${c.variant}" model, expected variant ${part}`,
      );
    }
    const same =
      part === 'gmf'
        ? c.factors === this.cfg.factors
        : JSON.stringify(c.layers) === JSON.stringify(this.cfg.layers);
    if (!same || meta.numUsers !== this.net!.numUsers || meta.numItems !== this.net!.numItems) {
      throw new UsageError(
        `${this.type}: pretrain.${part} = ${dir} was trained with ${part === 'gmf' ? `factors ${c.factors}` : `layers [${c.layers}]`} on ${meta.numUsers} users × ${meta.numItems} items; this model has ${part === 'gmf' ? `factors ${this.cfg.factors}` : `layers [${this.cfg.layers}]`} on ${this.net!.numUsers} × ${this.net!.numItems}`,
      );
    }
    const arrays = readArrays(abs, 'weights');
    const mine = new Map<string, Float32Array>();
    for (const [k, v] of arrays) {
      const isGmf = k.startsWith('gmf.') || k.startsWith('head.gmf');
      if ((part === 'gmf') === isGmf && k !== 'head.extra' && this.store.params.has(k)) mine.set(k, v);
    }
    this.store.restore(mine, `${abs}/weights.bin`);
  }

  scorer(): Scorer {
    const net = this.#net('scorer()');
    const block = this.cfg.scoreBlock;
    return {
      kind: 'scores',
      numItems: net.numItems,
      scoreUsers: (users) => {
        for (const u of users)
          if (u < 0 || u >= net.numUsers)
            throw new UsageError(
              `${this.type}: user index ${u} is outside the trained ${net.numUsers} users`,
            );
        return net.scoreAll(users, block, () => new BatchLookup(false));
      },
    };
  }

  /** Logits of (user, item) pairs with optional pair inputs: [users.length]. */
  scorePairs(users: Int32Array, items: Int32Array, extras?: Float32Array): Float32Array {
    const net = this.#net('scoring');
    const out = new Float32Array(users.length);
    const x = this.extras;
    for (let from = 0; from < users.length; from += PAIR_BATCH) {
      const to = Math.min(from + PAIR_BATCH, users.length);
      const lookup = new BatchLookup(false);
      try {
        const plan = net.plan(
          users.subarray(from, to),
          items.subarray(from, to),
          lookup,
          extras?.subarray(from * x, to * x),
        );
        lookup.materialize();
        const s = tf.tidy(() => net.forward(plan, lookup));
        out.set(s.dataSync() as Float32Array, from);
        s.dispose();
      } finally {
        lookup.dispose();
      }
    }
    return out;
  }

  /** The user and item ID maps of the fitted or loaded network (its rows). */
  idMaps(): { readonly users: IdMap; readonly items: IdMap } {
    this.#net('idMaps()');
    return { users: this.userIds!, items: this.itemIds! };
  }

  #net(what: string): NcfNet {
    if (!this.net)
      throw new UsageError(`${this.type}: ${what} needs a trained model: call fit() or load() first`);
    return this.net;
  }

  async save(dir: string): Promise<void> {
    const net = this.#net('save()');
    mkdirSync(dir, { recursive: true });
    const arrays = new Map<string, Float32Array>();
    for (const [k, p] of this.store.params) arrays.set(k, p.data);
    writeArrays(dir, 'weights', arrays);
    writeFileAtomic(
      join(dir, 'model.json'),
      JSON.stringify({
        format: FORMAT,
        type: this.type,
        config: this.cfg,
        extras: this.extras,
        numUsers: net.numUsers,
        numItems: net.numItems,
      }),
    );
    writeFileAtomic(join(dir, 'user-ids.json'), JSON.stringify(this.userIds!.toJSON()));
    writeFileAtomic(join(dir, 'item-ids.json'), JSON.stringify(this.itemIds!.toJSON()));
    if (this.cfg.features !== 'none') writeFeatures(dir, this.#side);
  }

  /**
   * Loads a saved model (model.json, weights, ID maps, and features.json when it uses side features).
   * A missing or unreadable file, ID maps or weights that do not fit model.json, or pair inputs other
   * than this model's are refused, naming the file, what was expected and what was found.
   */
  async load(dir: string): Promise<void> {
    const meta = readMeta(dir);
    const c = meta.config as NcfConfig;
    const extras = meta.extras ?? 0;
    if (extras !== this.extras)
      throw new DataError(
        `${join(dir, 'model.json')}: the saved model takes ${extras} pair inputs, this ${this.type} expects ${this.extras}`,
      );
    const userIds = readIds(join(dir, 'user-ids.json'), meta.numUsers, 'users');
    const itemIds = readIds(join(dir, 'item-ids.json'), meta.numItems, 'items');
    const side = c.features !== 'none' ? readFeatures(dir, { user: meta.numUsers, item: meta.numItems }) : {};
    const weights = readWeights(dir);
    this.#dispose();
    this.userIds = userIds;
    this.itemIds = itemIds;
    this.#side = side;
    this.net = new NcfNet(
      { ...c, extras },
      userIds.size,
      itemIds.size,
      { userFeatures: side.user, itemFeatures: side.item } as unknown as Dataset,
      this.store,
      new Rng(0),
    );
    const missing = [...this.store.params.keys()].filter((k) => !weights.has(k));
    const extra = [...weights.keys()].filter((k) => !this.store.params.has(k));
    if (missing.length > 0 || extra.length > 0) {
      const expected = [...this.store.params.keys()].join(', ');
      this.#dispose();
      throw new DataError(
        missing.length > 0
          ? `${join(dir, 'weights.json')}: expected the parameters ${missing.join(', ')} of the saved ${c.variant} network, found ${[...weights.keys()].join(', ') || 'none'}`
          : `${join(dir, 'weights.json')}: parameters ${extra.join(', ')} are not in the network model.json and features.json describe (expected ${expected})`,
      );
    }
    try {
      this.store.restore(weights, join(dir, 'weights.bin'));
    } catch (e) {
      this.#dispose();
      throw new DataError((e as Error).message, { cause: e });
    }
  }

  #dispose(): void {
    this.store.dispose();
    this.store = new ParamStore();
    this.net = undefined;
  }

  dispose(): void {
    this.#dispose();
    this.loss?.dispose?.();
  }
}

/** An ID map file of a saved model, with the row count model.json records. */
function readIds(file: string, expected: number, what: string): IdMap {
  let ids: IdMap;
  try {
    ids = IdMap.fromJSON(JSON.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    throw new DataError(`${file}: cannot read the saved model's ${what} ID map (${(e as Error).message})`, {
      cause: e,
    });
  }
  if (ids.size !== expected)
    throw new DataError(`${file}: expected ${expected} ${what} (model.json), found ${ids.size}`);
  return ids;
}

function readWeights(dir: string): Map<string, Float32Array> {
  try {
    return readArrays(dir, 'weights');
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(
      `${join(dir, 'weights.bin')}: cannot read the saved weights (${(e as Error).message})`,
      {
        cause: e,
      },
    );
  }
}

function readMeta(dir: string): { config: unknown; extras?: number; numUsers: number; numItems: number } {
  const file = join(dir, 'model.json');
  const meta = readSavedJson<{
    format?: string;
    config?: unknown;
    extras?: number;
    numUsers?: number;
    numItems?: number;
  }>(file, 'the saved ncf model');
  if (meta.format !== FORMAT || typeof meta.numUsers !== 'number' || typeof meta.numItems !== 'number') {
    throw new DataError(
      `${file}: expected a saved ncf model (format ${FORMAT}), found format "${meta.format}"`,
    );
  }
  return meta as { config: unknown; extras?: number; numUsers: number; numItems: number };
}
