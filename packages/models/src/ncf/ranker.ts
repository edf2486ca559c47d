import { join } from 'node:path';
import type {
  CandidateSet,
  IdMap,
  Interactions,
  LossComponent,
  RankerComponent,
  RankerFitInput,
  RankInput,
  Rng,
  SortedRows,
} from '@embrec/core';
import { candidateScoreStats, DataError, sortedRows, UsageError, writeFileAtomic } from '@embrec/core';
import { readSavedJson } from '../training/checkpoint.ts';
import { NcfModel } from './model.ts';
import type { NcfRankerConfig } from './schema.ts';
import { type EpochSource, fitNcf, type Groups } from './train.ts';

/** Pair inputs from the first stage: the standardised retrieval score and 1/log2(rank + 2). */
const EXTRAS = 2;

/** The ranker's own state beside its network's files (`save(dir)`). */
const STATE_FORMAT = 'embrec-neumf-ranker/1';
const STATE_FILE = 'neumf-ranker.json';
/** The network settings a saved ranker must share with the one loading it. */
const NET_KEYS = ['variant', 'factors', 'layers', 'features', 'featureDim', 'retrievalFeatures'] as const;

/**
 * NeuMF as a ranker: re-scores the retrieval candidates of each user with the NCF network plus what
 * the first stage cannot use: the retrieval score and rank as inputs, user and item side features.
 * `fit` trains the network on the training pairs with sampled negatives (the paper), then, given the
 * first stage's candidates for the validation users, fine-tunes it to put each user's validation
 * items first among those candidates (hard negatives). Test items never enter a training batch.
 */
export class NcfRanker implements RankerComponent {
  readonly model: NcfModel;
  #stats: { mean: number; std: number } | undefined;
  #fitted = false;

  constructor(
    readonly cfg: NcfRankerConfig,
    loss: LossComponent | undefined,
    configDir: string,
  ) {
    this.model = new NcfModel(cfg, loss, configDir, 'neumf ranker', cfg.retrievalFeatures ? EXTRAS : 0);
  }

  /** Sees every training batch (the leakage test). */
  set onBatch(f: ((g: Groups) => void) | undefined) {
    this.model.onBatch = f;
  }

  async fit(input: RankerFitInput): Promise<void> {
    const { dataset, splits, ctx } = input;
    const tr = splits.train;
    const model = this.model;
    // the network is built through the model so that scoring and saving share one code path
    const net = model.build(dataset, tr, ctx);
    const seen = sortedRows(tr.userIds.size, tr.users, tr.items);
    const forbid = sortedRows(tr.userIds.size, splits.test.users, splits.test.items);
    const base = model.trainSource(tr, seen, forbid);
    // the runner's validate() scores the retrieval model, not this one: the ranker trains fixed epochs
    await model.trainBase(base, ctx);
    this.#fitted = true;
    const hn = this.cfg.hardNegatives;
    const c = input.candidates;
    if (!c || hn.epochs === 0 || !splits.valid) {
      if (hn.epochs > 0)
        ctx.log.info(
          `neumf ranker: no ${splits.valid ? 'training candidates from the runner' : 'validation split'}: hard-negative fine-tuning skipped`,
        );
      return;
    }
    this.#stats = candidateScoreStats(c);
    const src = this.#hardSource(c, tr.itemIds, splits.valid, forbid, hn.negatives);
    await fitNcf(net, src, {
      cfg: this.cfg.train,
      path: this.cfg.variant,
      lr: hn.lr ?? this.cfg.train.lr,
      epochs: hn.epochs,
      loss: model.loss,
      ctx,
      label: 'ranker.hard',
      onBatch: model.onBatch,
    });
  }

  /** Groups from candidate lists: a validation item in a user's list first, then other candidates of the list. */
  #hardSource(
    c: CandidateSet,
    itemIds: IdMap,
    valid: Interactions,
    forbid: SortedRows,
    negatives: number,
  ): EpochSource {
    const map = this.#itemMap(c.itemIds, itemIds);
    const nq = c.users.length;
    const validRows = sortedRows(valid.userIds.size, valid.users, valid.items);
    const isValid = (u: number, i: number) => {
      for (let p = validRows.indptr[u]!; p < validRows.indptr[u + 1]!; p++)
        if (validRows.indices[p] === i) return true;
      return false;
    };
    const isTest = (u: number, i: number) => {
      for (let p = forbid.indptr[u]!; p < forbid.indptr[u + 1]!; p++)
        if (forbid.indices[p] === i) return true;
      return false;
    };
    // per query: positions of positives and of negatives in the list
    const pos: { q: number; j: number }[] = [];
    const negs: Int32Array[] = [];
    for (let q = 0; q < nq; q++) {
      const u = c.users[q]!;
      const n: number[] = [];
      for (let j = 0; j < c.k; j++) {
        const raw = c.items[q * c.k + j]!;
        if (raw < 0) continue;
        const i = map ? map[raw]! : raw;
        if (u < validRows.indptr.length - 1 && isValid(u, i)) pos.push({ q, j });
        else if (!isTest(u, i)) n.push(j);
      }
      negs.push(Int32Array.from(n));
    }
    const self = this;
    const batch = this.cfg.train.batchSize;
    const w = 1 + negatives;
    return function* (_epoch: number, rng: Rng) {
      const order = rng.shuffle(Int32Array.from({ length: pos.length }, (_, i) => i));
      for (let from = 0; from < order.length; from += batch) {
        const rows: { q: number; js: number[] }[] = [];
        for (let r = from; r < Math.min(from + batch, order.length); r++) {
          const { q, j } = pos[order[r]!]!;
          const pool = negs[q]!;
          if (pool.length === 0) continue;
          const js = [j];
          for (let k = 0; k < negatives; k++) js.push(pool[rng.int(pool.length)]!);
          rows.push({ q, js });
        }
        if (rows.length === 0) continue;
        const users = Int32Array.from(rows, (r) => c.users[r.q]!);
        const items = new Int32Array(rows.length * w);
        const extras = new Float32Array(rows.length * w * EXTRAS);
        rows.forEach((r, b) => {
          r.js.forEach((j, k) => {
            const raw = c.items[r.q * c.k + j]!;
            items[b * w + k] = map ? map[raw]! : raw;
            self.#extrasAt(c, r.q, j, extras, (b * w + k) * EXTRAS);
          });
        });
        yield self.cfg.retrievalFeatures ? { users, items, negatives, extras } : { users, items, negatives };
      }
    };
  }

  #extrasAt(c: CandidateSet, q: number, j: number, out: Float32Array, at: number): void {
    this.#extra(c.scores[q * c.k + j]!, j, out, at);
  }

  /** The pair inputs of the candidate at list position j with retrieval score `score`. */
  #extra(score: number, j: number, out: Float32Array, at: number): void {
    const st = this.#stats ?? { mean: 0, std: 1 };
    out[at] = (score - st.mean) / st.std;
    out[at + 1] = 1 / Math.log2(j + 2);
  }

  /** The ranker's user and item ID maps (the rows `scoreList` takes). */
  idMaps(): { readonly users: IdMap; readonly items: IdMap } {
    return this.model.idMaps();
  }

  /**
   * Scores one user's retrieval list, as `rank` scores each row of a candidate set: `user` and `items`
   * are rows of the ranker's ID maps (`idMaps()`), `scores` the retrieval scores in list order. [n]
   */
  scoreList(user: number, items: Int32Array, scores: Float32Array): Float32Array {
    if (!this.#fitted)
      throw new UsageError('neumf ranker: scoreList() needs a trained ranker: call fit() or load() first');
    const n = items.length;
    let extras: Float32Array | undefined;
    if (this.cfg.retrievalFeatures) {
      if (this.#stats === undefined)
        throw new UsageError(
          'neumf ranker: scoreList() needs the retrieval-score statistics: rank() a candidate set first, or load() a saved ranker',
        );
      extras = new Float32Array(n * EXTRAS);
      for (let j = 0; j < n; j++) this.#extra(scores[j]!, j, extras, j * EXTRAS);
    }
    return this.model.scorePairs(new Int32Array(n).fill(user), items, extras);
  }

  /**
   * Saves the fitted ranker into `dir`: its network (model.json, weights, ID maps, and features.json
   * with the side-feature tables when it uses them) and `neumf-ranker.json` with the mean and standard
   * deviation of the retrieval scores its pair inputs are standardised with. Each file is written
   * atomically.
   */
  async save(dir: string): Promise<void> {
    if (!this.#fitted) throw new UsageError('neumf ranker: save() needs a trained ranker: call fit() first');
    await this.model.save(dir);
    writeFileAtomic(
      join(dir, STATE_FILE),
      JSON.stringify({ format: STATE_FORMAT, scoreStats: this.#stats ?? null }),
    );
  }

  /**
   * Loads a ranker saved by `save(dir)`. The saved network must have this ranker's settings
   * (variant, factors, layers, features, retrieval features): a missing, unreadable or mismatched file
   * is refused, naming it with what was expected and what was found.
   */
  async load(dir: string): Promise<void> {
    const file = join(dir, STATE_FILE);
    const state = readSavedJson<{ format?: unknown; scoreStats?: unknown }>(file, 'the saved neumf ranker');
    if (state?.format !== STATE_FORMAT)
      throw new DataError(`${file}: expected format ${STATE_FORMAT}, found ${JSON.stringify(state?.format)}`);
    const st = state.scoreStats as { mean?: unknown; std?: unknown } | null | undefined;
    const okStats = st === null || (typeof st?.mean === 'number' && typeof st.std === 'number' && st.std > 0);
    if (!okStats)
      throw new DataError(
        `${file}: expected "scoreStats" {mean, std > 0} or null, found ${JSON.stringify(state.scoreStats)}`,
      );
    const mfile = join(dir, 'model.json');
    const saved =
      readSavedJson<{ config?: Record<string, unknown> }>(mfile, "the ranker's saved network").config ?? {};
    for (const k of NET_KEYS) {
      const want = JSON.stringify(this.cfg[k] ?? null);
      const found = JSON.stringify(saved[k] ?? null);
      if (want !== found)
        throw new DataError(`${mfile}: the saved ranker has ${k} ${found}, this ranker expects ${k} ${want}`);
    }
    await this.model.load(dir);
    this.#stats = st === null ? undefined : (st as { mean: number; std: number });
    this.#fitted = true;
  }

  /** Dense index in the ranker's item map of every candidate item; undefined when the maps are the same. */
  #itemMap(from: IdMap, to: IdMap): Int32Array | undefined {
    if (from === to) return undefined;
    const out = new Int32Array(from.size).fill(-1);
    for (let i = 0; i < from.size; i++) out[i] = to.get(from.external(i)) ?? -1;
    return out;
  }

  async rank(input: RankInput): Promise<CandidateSet> {
    if (!this.#fitted) throw new UsageError('neumf ranker: rank() needs a trained ranker: call fit() first');
    const c = input.candidates;
    const own = this.model.idMaps();
    const itemIds = own.items;
    const numUsers = own.users.size;
    const map = this.#itemMap(c.itemIds, itemIds);
    this.#stats ??= candidateScoreStats(c);
    const M = this.cfg.topM ?? c.k;
    if (M > c.k) {
      throw new UsageError(
        `neumf ranker: topM = ${M} but retrieval gives only ${c.k} candidates per user: raise retrieve.k to at least ${M} or lower ranker.topM`,
      );
    }
    const nq = c.users.length;
    const users: number[] = [];
    const items: number[] = [];
    const where: number[] = []; // q * k + j of each scored pair
    const extras: number[] = [];
    const buf = new Float32Array(EXTRAS);
    for (let q = 0; q < nq; q++) {
      const u = c.users[q]!;
      if (u < 0 || u >= numUsers) {
        throw new UsageError(
          `neumf ranker: candidate row ${q} is for user index ${u}, outside the ${numUsers} users it was trained on`,
        );
      }
      for (let j = 0; j < c.k; j++) {
        const raw = c.items[q * c.k + j]!;
        if (raw < 0) continue;
        const i = map ? map[raw]! : raw;
        if (i < 0 || i === undefined) {
          throw new UsageError(
            `neumf ranker: item "${c.itemIds.external(raw)}" (candidate of user row ${q}) is not in the ranker's training vocabulary of ${itemIds.size} items; rank candidates from the same dataset it was fitted on`,
          );
        }
        users.push(u);
        items.push(i);
        where.push(q * c.k + j);
        if (this.cfg.retrievalFeatures) {
          this.#extrasAt(c, q, j, buf, 0);
          extras.push(buf[0]!, buf[1]!);
        }
      }
    }
    const s = this.model.scorePairs(
      Int32Array.from(users),
      Int32Array.from(items),
      this.cfg.retrievalFeatures ? Float32Array.from(extras) : undefined,
    );
    const score = new Float32Array(nq * c.k).fill(Number.NEGATIVE_INFINITY);
    where.forEach((p, n) => {
      score[p] = s[n]!;
    });
    const outItems = new Int32Array(nq * M).fill(-1);
    const outScores = new Float32Array(nq * M).fill(Number.NEGATIVE_INFINITY);
    const idx = Array.from({ length: c.k }, (_, j) => j);
    for (let q = 0; q < nq; q++) {
      // stable: ties keep the retrieval order
      const order = idx.slice().sort((a, b) => score[q * c.k + b]! - score[q * c.k + a]! || a - b);
      for (let m = 0; m < M; m++) {
        const j = order[m]!;
        if (c.items[q * c.k + j]! < 0) continue;
        outItems[q * M + m] = c.items[q * c.k + j]!;
        outScores[q * M + m] = score[q * c.k + j]!;
      }
    }
    return { itemIds: c.itemIds, users: c.users, k: M, items: outItems, scores: outScores };
  }

  dispose(): void {
    this.model.dispose();
  }
}
