import {
  type EmbeddingTable,
  type EvaluateCandidatesInput,
  type EvaluateInput,
  type EvaluatorComponent,
  type FeatureTable,
  type IdMap,
  type Interactions,
  itemCounts,
  type MetricComponent,
  type MetricSet,
  type Scorer,
  UsageError,
  userCsr,
} from '@embrec/core';
import { MetricAccumulator } from './accumulate.ts';
import { type TopKBackend, topkBackend } from './backend.ts';
import { checkEvaluationSizes } from './limits.ts';
import { maskLists, row, targetLists } from './relevance.ts';
import { sliceLists } from './topk.ts';

export interface FullEvaluatorOptions {
  readonly ks: readonly number[];
  readonly metrics: readonly MetricComponent[];
  /** Users scored per native call. */
  readonly batchSize: number;
  /** Compute Coverage@k and AvgPop@k (popularity of recommended items in training data). */
  readonly aggregates: boolean;
  readonly backend?: TopKBackend;
}

/** dense index in `to` of every index of `from` (by external ID), -1 when absent; undefined if same map. */
function remap(from: IdMap, to: IdMap): Int32Array | undefined {
  if (from === to) return undefined;
  const out = new Int32Array(from.size);
  for (let i = 0; i < from.size; i++) out[i] = to.get(from.external(i)) ?? -1;
  return out;
}

/**
 * Full-ranking evaluation: every evaluated user (one with at least one target item) is ranked
 * against ALL items, minus the items of `mask` (training items, optionally validation items). The
 * top max(ks) come from the native top-K over the model's scorer, in batches.
 */
export class FullEvaluator implements EvaluatorComponent {
  readonly protocol = 'full';
  readonly #opts: FullEvaluatorOptions;

  constructor(opts: FullEvaluatorOptions) {
    if (opts.ks.length === 0 || opts.ks.some((k) => !Number.isInteger(k) || k < 1)) {
      throw new UsageError(`evaluate.ks must be positive integers, found [${opts.ks.join(', ')}]`);
    }
    this.#opts = opts;
  }

  async evaluate(input: EvaluateInput): Promise<MetricSet> {
    const { scorer, target, train, ctx } = input;
    const K = Math.max(...this.#opts.ks);
    const B = Math.max(1, this.#opts.batchSize);
    checkEvaluationSizes({ protocol: this.protocol, K, numItems: target.itemIds.size, batchSize: B, scorer });
    const rel = targetLists(target);
    const mask = maskLists(input.mask, rel.users);
    const backend = this.#opts.backend ?? topkBackend({ threads: ctx.threads });
    const acc = this.#accumulator(rel.users.length, train, input);
    const progress = ctx.progress('evaluate (full ranking)', rel.users.length);
    const topk = this.#topkFn(scorer, target, backend, K);
    for (let r0 = 0; r0 < rel.users.length; r0 += B) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('evaluation aborted');
      const r1 = Math.min(rel.users.length, r0 + B);
      const ids = topk(rel.users.subarray(r0, r1), sliceLists(mask, r0, r1));
      for (let r = r0; r < r1; r++) acc.add(r, ids.subarray((r - r0) * K, (r - r0 + 1) * K), row(rel, r));
      progress.tick(r1 - r0);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    progress.done();
    ctx.log.debug(`full ranking evaluated ${rel.users.length} users with the ${backend.name} top-K`);
    return acc.finish(this.protocol, rel.users);
  }

  async evaluateCandidates(input: EvaluateCandidatesInput): Promise<MetricSet> {
    const { candidates, target, train } = input;
    const K = Math.max(...this.#opts.ks);
    if (candidates.k < K) {
      throw new UsageError(
        `evaluate.ks asks for cutoff ${K}, but the candidate lists hold only ${candidates.k} items per user (raise retrieve.k)`,
      );
    }
    const itemMap = remap(candidates.itemIds, target.itemIds);
    const rel = targetLists(target);
    const at = new Map<number, number>();
    for (let q = 0; q < candidates.users.length; q++) at.set(candidates.users[q]!, q);
    const acc = this.#accumulator(rel.users.length, train, input);
    const ranked = new Int32Array(K);
    let missing = 0;
    for (let r = 0; r < rel.users.length; r++) {
      const q = at.get(rel.users[r]!);
      ranked.fill(-1);
      if (q === undefined) missing++;
      else {
        for (let j = 0; j < K; j++) {
          const it = candidates.items[q * candidates.k + j]!;
          ranked[j] = it < 0 ? -1 : itemMap ? itemMap[it]! : it;
        }
      }
      acc.add(r, ranked, row(rel, r));
    }
    if (missing > 0) {
      input.ctx.log.warn(
        `${missing} of ${rel.users.length} users with target items have no candidate list; they count as misses`,
      );
    }
    return acc.finish(this.protocol, rel.users);
  }

  #accumulator(
    rows: number,
    train: Interactions,
    items: { itemFeatures?: FeatureTable; itemEmbeddings?: EmbeddingTable } = {},
  ): MetricAccumulator {
    const needsLists = this.#opts.metrics.some((m) => m.aggregate);
    const popularity = this.#opts.aggregates || needsLists ? itemCounts(train) : undefined;
    return new MetricAccumulator({
      metrics: this.#opts.metrics,
      ks: this.#opts.ks,
      rows,
      ...(this.#opts.aggregates && popularity ? { popularity } : {}),
      ...(needsLists && popularity
        ? {
            listContext: {
              numItems: train.itemIds.size,
              popularity,
              history: userCsr(train),
              ...(items.itemFeatures ? { itemFeatures: items.itemFeatures } : {}),
              ...(items.itemEmbeddings ? { itemEmbeddings: items.itemEmbeddings } : {}),
            },
          }
        : {}),
    });
  }

  /** A function: users (dense) + their mask rows → top-K dense item indices [users, K]. */
  #topkFn(
    scorer: Scorer,
    target: Interactions,
    backend: TopKBackend,
    K: number,
  ): (users: Int32Array, mask: { indptr: Int32Array; indices: Int32Array }) => Int32Array {
    const numItems = target.itemIds.size;
    if (scorer.kind === 'scores') {
      if (scorer.numItems !== numItems) {
        throw new UsageError(
          `the model scores ${scorer.numItems} items but the dataset has ${numItems}: was it fitted on another dataset?`,
        );
      }
      return (users, mask) => {
        const scores = scorer.scoreUsers(users); // [B, numItems]
        if (scores.length !== users.length * numItems) {
          throw new UsageError(
            `scoreUsers returned ${scores.length} scores for ${users.length} users × ${numItems} items`,
          );
        }
        return backend.topkRows(scores, users.length, numItems, K, mask).ids;
      };
    }
    const { users: U, items: I } = scorer;
    if (U.dim !== I.dim) throw new UsageError(`user embeddings have dim ${U.dim}, item embeddings ${I.dim}`);
    const d = U.dim;
    const userRow = remap(target.userIds, U.ids); // dense user -> row of U
    const itemToRow = remap(target.itemIds, I.ids); // dense item -> row of I
    const rowToItem = remap(I.ids, target.itemIds); // row of I -> dense item
    return (users, mask) => {
      const q = new Float32Array(users.length * d); // [B, D]
      for (let b = 0; b < users.length; b++) {
        const u = userRow ? userRow[users[b]!]! : users[b]!;
        if (u >= 0) q.set(U.vectors.subarray(u * d, (u + 1) * d), b * d);
      }
      let ex = mask;
      if (itemToRow) {
        // items missing from the table can never be returned, so they need no mask entry
        const indptr = new Int32Array(mask.indptr.length);
        const idx: number[] = [];
        for (let b = 0; b < users.length; b++) {
          for (let p = mask.indptr[b]!; p < mask.indptr[b + 1]!; p++) {
            const r = itemToRow[mask.indices[p]!]!;
            if (r >= 0) idx.push(r);
          }
          indptr[b + 1] = idx.length;
        }
        ex = { indptr, indices: Int32Array.from(idx) };
      }
      const ids = backend.topkDot(q, I.vectors, d, K, ex).ids; // [B, K]
      if (rowToItem) for (let p = 0; p < ids.length; p++) if (ids[p]! >= 0) ids[p] = rowToItem[ids[p]!]!;
      return ids;
    };
  }
}
