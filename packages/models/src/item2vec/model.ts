import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Csr,
  DataError,
  type EmbeddingTable,
  type FitInput,
  IdMap,
  type Interactions,
  type ModelComponent,
  type Scorer,
  UsageError,
  writeJsonAtomic,
} from '@embrec/core';
import { item2vecTrain, sgemm } from '@embrec/native';
import { rowScorer } from '../baselines/row-scorer.ts';
import { readArrays, readSavedJson, writeArrays } from '../training/checkpoint.ts';
import { knnContributions, l2Rows, scoreHistory } from './knn.ts';
import type { Item2VecParams } from './schema.ts';
import { itemSequences, weightedSentences } from './sentences.ts';

const FORMAT = 'embrec-item2vec/1';

interface Fitted {
  readonly userIds: IdMap;
  readonly itemIds: IdMap;
  readonly input: Float32Array; // [I, D] trained input vectors (zero for items absent from training)
  readonly output: Float32Array; // [I, D] trained output vectors
  readonly users: EmbeddingTable; // [U, D] pooled histories
  readonly items: EmbeddingTable; // [I, D] the table scored against users
  readonly history: { readonly indptr: Int32Array; readonly items: Int32Array }; // user u's items, oldest first
  readonly knn: Csr | undefined; // scoring 'knn': contributions by history item (knn.ts)
}

/**
 * Item2Vec (Barkan & Koenigstein 2016): skip-gram with negative sampling over each user's history,
 * trained by the native `item2vecTrain` (word2vec's loop, Hogwild threads). As a recommender a user
 * is the (recency-weighted) mean of their history's item vectors, scored by dot product against the
 * item table, so it runs through the same retrieve/evaluate stages and indexes as any embedding model;
 * or (`scoring: knn`) scored as ItemKNN on item2vec's similarities (knn.ts), a score model.
 */
export class Item2VecModel implements ModelComponent {
  readonly #base: Item2VecParams;
  #p: Item2VecParams;
  #fitted: Fitted | undefined;

  constructor(params: Item2VecParams) {
    this.#base = params;
    this.#p = params;
  }

  /** The hyperparameters in use: the configured ones, with the grid's choice when `select` is set. */
  get params(): Item2VecParams {
    return this.#p;
  }

  async fit({ splits, ctx, validate }: FitInput): Promise<void> {
    const grid = selectionGrid(this.#base);
    const by = this.#base.select?.by ?? 'NDCG@20';
    if (grid.length > 1 && !validate) {
      throw new UsageError(
        `item2vec: model.select is a grid of ${grid.length} settings chosen on validation data, but the split has none (use split.valid)`,
      );
    }
    if (grid.length === 1) {
      this.#p = { ...this.#base, ...grid[0] };
      this.#fitOne(splits.train, ctx, true);
      return;
    }
    let best:
      | { value: number; over: GridChoice; fitted: Fitted; values: Readonly<Record<string, number>> }
      | undefined;
    let trained: { key: string; loss: number } | undefined;
    for (const [step, over] of grid.entries()) {
      this.#p = { ...this.#base, ...over };
      // settings that only change scoring reuse the vectors of the previous setting
      const key = JSON.stringify(TRAIN_KEYS.map((k) => over[k]));
      if (trained?.key === key) this.#rescore(splits.train);
      else trained = { key, loss: this.#fitOne(splits.train, ctx, false) };
      const loss = trained.loss;
      const res = await validate!();
      const value = res.values[by];
      if (value === undefined) {
        throw new UsageError(
          `item2vec: model.select.by "${by}" is not among the validation metrics: ${Object.keys(res.values).join(', ')}`,
        );
      }
      ctx.logMetrics({ ...over, loss, [`valid_${by}`]: value }, step);
      ctx.log.info(`item2vec: ${JSON.stringify(over)}: valid ${by} = ${value.toFixed(4)}`);
      if (!best || value > best.value) best = { value, over, fitted: this.#fitted!, values: res.values };
    }
    this.#p = { ...this.#base, ...best!.over };
    this.#fitted = best!.fitted;
    // the chosen setting's validation metrics last: what `embrec report --select valid.<metric>` reads
    ctx.logMetrics({ ...best!.values }, grid.length);
    ctx.log.info(`item2vec: chose ${JSON.stringify(best!.over)} (valid ${by} = ${best!.value.toFixed(4)})`);
  }

  /** Trains with the current parameters and installs the vectors; returns the last epoch's loss. */
  #fitOne(train: Interactions, ctx: FitInput['ctx'], logEpochs: boolean): number {
    const p = this.#p;
    if (p.minLr > p.lr) {
      throw new UsageError(`item2vec: model.minLr (${p.minLr}) must not exceed model.lr (${p.lr})`);
    }
    const seq = itemSequences(train, { sessionGap: p.sessionGap });
    const sentences =
      p.weighting === 'sample'
        ? weightedSentences(seq, {
            draws: p.draws,
            power: p.weightPower,
            rng: ctx.rng.fork('item2vec weights'),
          })
        : seq.sentences;
    const ni = train.itemIds.size;
    ctx.signal.throwIfAborted();
    const started = performance.now();
    const r = item2vecTrain(sentences, ni, {
      dim: p.dim,
      window: p.window,
      shuffle: p.shuffle,
      negative: p.negative,
      power: p.power,
      sample: p.sample,
      lr: p.lr,
      minLr: p.minLr,
      epochs: p.epochs,
      threads: p.threads,
      seed: ctx.rng.int(2 ** 31),
    });
    const seconds = (performance.now() - started) / 1000;
    if (logEpochs) {
      r.loss.forEach((loss, epoch) => {
        ctx.logMetrics({ loss, pairs: r.pairs[epoch]! }, epoch + 1);
      });
    }
    const occurrences = sentences.items.length;
    const drawn =
      p.weighting === 'sample' ? `, drawn ∝ weight^${p.weightPower} (${p.draws} per history)` : '';
    ctx.log.info(
      `item2vec: ${sentences.indptr.length - 1} sentences (${seq.timed ? 'time' : 'file'} order${drawn}), ` +
        `${occurrences} items × ${p.epochs} epochs in ${seconds.toFixed(2)} s ` +
        `(${Math.round((occurrences * p.epochs) / seconds)} items/s, ${p.threads} thread${p.threads === 1 ? '' : 's'})`,
    );
    this.setVectors(train, r.input, r.output);
    return r.loss[r.loss.length - 1]!;
  }

  /** Rebuilds the scoring tables from the current vectors with the current (scoring) parameters. */
  #rescore(train: Interactions): void {
    const f = this.#require('rescoring');
    this.#fitted = this.#tables(train.userIds, train.itemIds, f.input, f.output, f.history);
  }

  /**
   * Uses given input and output vectors ([items, dim] each, dense item order of `train`) as the
   * trained model: what `fit` does after training, and a way to serve vectors trained elsewhere
   * (gensim's `wv.vectors` / `syn1neg`). Items absent from `train` get zero vectors, so that they
   * score 0 rather than at random. The arrays are modified in place.
   */
  setVectors(train: Interactions, input: Float32Array, output: Float32Array): void {
    const d = this.#p.dim;
    const ni = train.itemIds.size;
    if (input.length !== ni * d || output.length !== ni * d) {
      throw new UsageError(
        `item2vec: setVectors expects ${ni} × ${d} = ${ni * d} values per table, got input ${input.length}, output ${output.length}`,
      );
    }
    const seq = itemSequences(train, { sessionGap: undefined });
    const seen = new Uint8Array(ni);
    for (const i of seq.history.items) seen[i] = 1;
    for (let i = 0; i < ni; i++) {
      if (seen[i]) continue;
      input.fill(0, i * d, (i + 1) * d);
      output.fill(0, i * d, (i + 1) * d);
    }
    this.#fitted = this.#tables(train.userIds, train.itemIds, input, output, seq.history);
  }

  /** Pools every user's history and builds the item table from the trained vectors. */
  #tables(
    userIds: IdMap,
    itemIds: IdMap,
    input: Float32Array,
    output: Float32Array,
    history: { readonly indptr: Int32Array; readonly items: Int32Array },
  ): Fitted {
    const p = this.#p;
    const d = p.dim;
    const base = p.normalize ? l2Rows(input, d) : input; // [I, D] pooled per user
    const scored = p.itemVectors === 'input' ? base : p.normalize ? l2Rows(output, d) : output; // [I, D]
    const nu = userIds.size;
    const users = new Float32Array(nu * d); // [U, D]
    for (let u = 0; u < nu; u++) {
      const items = history.items.subarray(history.indptr[u]!, history.indptr[u + 1]!);
      users.set(this.#pool(base, items), u * d);
    }
    const knn = this.#knn(input, output);
    return {
      userIds,
      itemIds,
      input,
      output,
      users: { ids: userIds, dim: d, vectors: users },
      items: { ids: itemIds, dim: d, vectors: scored },
      history,
      knn,
    };
  }

  /** With `scoring: knn`, the neighbour contributions of the trained vectors (knn.ts). */
  #knn(input: Float32Array, output: Float32Array): Csr | undefined {
    const p = this.#p;
    if (p.scoring !== 'knn') return undefined;
    return knnContributions(input, output, p.dim, {
      similarity: p.similarity,
      neighbours: p.neighbours,
      power: p.similarityPower,
      threads: p.threads,
    });
  }

  /** The pooled vector of an ordered item list (oldest first): mean or recency-weighted mean. [D] */
  #pool(vectors: Float32Array, items: Int32Array): Float32Array {
    const d = this.#p.dim;
    const out = new Float32Array(d);
    const n = items.length;
    if (n === 0) return out;
    let total = 0;
    for (let k = 0; k < n; k++) {
      const w = this.#p.pooling === 'recency' ? 0.5 ** ((n - 1 - k) / this.#p.halfLife) : 1;
      const row = items[k]! * d;
      for (let j = 0; j < d; j++) out[j]! += w * vectors[row + j]!;
      total += w;
    }
    for (let j = 0; j < d; j++) out[j]! /= total;
    return out;
  }

  #require(what: string): Fitted {
    if (!this.#fitted)
      throw new UsageError(`item2vec: ${what} needs a trained model: call fit() or load() first`);
    return this.#fitted;
  }

  scorer(): Scorer {
    const f = this.#require('scorer()');
    const knn = f.knn;
    if (!knn) return { kind: 'embeddings', users: f.users, items: f.items };
    const h = f.history;
    return rowScorer(f.itemIds.size, f.userIds.size, (u, row) => {
      scoreHistory(knn, h.items.subarray(h.indptr[u]!, h.indptr[u + 1]!), row);
    });
  }

  /**
   * Scores of every item for a user known only by a list of items (dense indices or external IDs,
   * oldest first; unknown items are skipped), as `scorer()` scores a training user: the pooled vector
   * against the item table, or the knn sum of similarities. [items]
   */
  scoreItems(items: Int32Array | readonly string[]): Float32Array {
    const f = this.#require('scoreItems()');
    const known = this.#known(f, items);
    if (f.knn) return scoreHistory(f.knn, known);
    const u = this.#pool(this.#p.normalize ? l2Rows(f.input, this.#p.dim) : f.input, known); // [D]
    const out = new Float32Array(f.itemIds.size);
    sgemm({ transB: true, M: 1, N: f.itemIds.size, K: this.#p.dim, A: u, B: f.items.vectors, C: out });
    return out;
  }

  #known(f: Fitted, items: Int32Array | readonly string[]): Int32Array {
    const known: number[] = [];
    for (const x of items) {
      const i = typeof x === 'string' ? f.itemIds.get(x) : x;
      if (i !== undefined && Number.isInteger(i) && i >= 0 && i < f.itemIds.size) known.push(i);
    }
    return Int32Array.from(known);
  }

  /** Trained input vectors [items, dim] (the item embeddings of the Item2Vec paper). */
  itemEmbeddings(): EmbeddingTable {
    const f = this.#require('itemEmbeddings()');
    return { ids: f.itemIds, dim: this.#p.dim, vectors: f.input };
  }

  /**
   * A new user known only by an ordered list of items (dense indices or external IDs, oldest first;
   * unknown items are skipped): their pooled vector, scored like any user row. [dim]
   */
  foldIn(items: Int32Array | readonly string[]): Float32Array {
    const f = this.#require('foldIn()');
    if (f.knn) {
      throw new UsageError(
        'item2vec: foldIn() gives a vector for pooled scoring, but model.scoring is "knn" (no user vectors): use scoreItems()',
      );
    }
    const d = this.#p.dim;
    const base = this.#p.normalize ? l2Rows(f.input, d) : f.input;
    return this.#pool(base, this.#known(f, items));
  }

  async save(dir: string): Promise<void> {
    const f = this.#require('save()');
    if (f.itemIds.size >= 2 ** 24) {
      throw new UsageError(
        `item2vec: save() stores histories as float32, exact for item indices below 2^24 (${f.itemIds.size} items)`,
      );
    }
    mkdirSync(dir, { recursive: true });
    writeArrays(
      dir,
      'weights',
      new Map([
        ['input', f.input],
        ['output', f.output],
        ['users', f.users.vectors],
        ['items', f.items.vectors],
        // the training histories (knn scoring walks them), exact as float32 below 2^24
        [
          'history.lengths',
          Float32Array.from(f.history.indptr.subarray(1), (x, u) => x - f.history.indptr[u]!),
        ],
        ['history.items', Float32Array.from(f.history.items)],
      ]),
    );
    writeJsonAtomic(join(dir, 'model.json'), {
      format: FORMAT,
      type: 'item2vec',
      dim: this.#p.dim,
      params: this.#p,
    });
    writeJsonAtomic(join(dir, 'user-ids.json'), f.userIds.toJSON());
    writeJsonAtomic(join(dir, 'item-ids.json'), f.itemIds.toJSON());
  }

  async load(dir: string): Promise<void> {
    const metaFile = join(dir, 'model.json');
    const meta = readSavedJson<{ format?: string; dim?: number; params?: unknown }>(
      metaFile,
      'the saved model',
    );
    // with a selection grid, the saved model carries the chosen settings (its dim among them)
    if (this.#base.select && meta.params && typeof meta.params === 'object') {
      this.#p = { ...this.#base, ...pickGrid(meta.params as Partial<Item2VecParams>) };
    }
    const d = this.#p.dim;
    if (meta.format !== FORMAT || meta.dim !== d) {
      throw new DataError(
        `${metaFile}: expected a saved item2vec model (format ${FORMAT}, dim ${d}), found format "${meta.format}" dim ${meta.dim}`,
      );
    }
    const userIds = IdMap.fromJSON(JSON.parse(readFileSync(join(dir, 'user-ids.json'), 'utf8')));
    const itemIds = IdMap.fromJSON(JSON.parse(readFileSync(join(dir, 'item-ids.json'), 'utf8')));
    const a = readArrays(dir, 'weights');
    const [input, output, users, items, lengths, hItems] = [
      'input',
      'output',
      'users',
      'items',
      'history.lengths',
      'history.items',
    ].map((k) => a.get(k));
    const ni = itemIds.size * d;
    if (
      !input ||
      !output ||
      !users ||
      !items ||
      !lengths ||
      !hItems ||
      input.length !== ni ||
      output.length !== ni ||
      items.length !== ni ||
      users.length !== userIds.size * d ||
      lengths.length !== userIds.size
    ) {
      throw new DataError(
        `${dir}/weights.bin: the saved vectors do not match the ID maps (${userIds.size} users, ${itemIds.size} items, dim ${d})`,
      );
    }
    const indptr = new Int32Array(userIds.size + 1);
    for (let u = 0; u < userIds.size; u++) indptr[u + 1] = indptr[u]! + lengths[u]!;
    const history = { indptr, items: Int32Array.from(hItems) };
    if (
      indptr[userIds.size] !== history.items.length ||
      history.items.some((i) => i < 0 || i >= itemIds.size)
    ) {
      throw new DataError(
        `${dir}/weights.bin: the saved histories do not match the ID maps (${itemIds.size} items)`,
      );
    }
    const knn = this.#knn(input, output);
    this.#fitted = {
      userIds,
      itemIds,
      input,
      output,
      users: { ids: userIds, dim: d, vectors: users },
      items: { ids: itemIds, dim: d, vectors: items },
      history,
      knn,
    };
  }

  dispose(): void {
    this.#fitted = undefined;
  }
}

/** Grid settings that need training; the scoring ones come last, so a grid varies them innermost. */
const TRAIN_KEYS = [
  'dim',
  'window',
  'negative',
  'power',
  'sample',
  'epochs',
  'lr',
  'weightPower',
  'draws',
] as const;
const GRID_KEYS = [...TRAIN_KEYS, 'neighbours', 'similarityPower'] as const;
type GridKey = (typeof GRID_KEYS)[number];
type GridChoice = Partial<Record<GridKey, number>>;

/** Every combination of the `select` lists (one empty override without `select`), in order. */
function selectionGrid(p: Item2VecParams): GridChoice[] {
  let out: GridChoice[] = [{}];
  for (const key of GRID_KEYS) {
    const values = p.select?.[key];
    if (!values) continue;
    out = out.flatMap((o) => values.map((v) => ({ ...o, [key]: v })));
  }
  return out;
}

function pickGrid(saved: Partial<Item2VecParams>): GridChoice {
  const out: GridChoice = {};
  for (const key of GRID_KEYS) if (typeof saved[key] === 'number') out[key] = saved[key];
  return out;
}
