import {
  type EvaluateCandidatesInput,
  type EvaluateInput,
  type EvaluatorComponent,
  type MetricComponent,
  type MetricSet,
  Rng,
  UsageError,
} from '@embrec/core';
import { MetricAccumulator } from './accumulate.ts';
import { checkEvaluationSizes } from './limits.ts';
import { contains } from './rank-metrics.ts';
import { maskLists, row, targetLists } from './relevance.ts';

export interface SampledEvaluatorOptions {
  readonly ks: readonly number[];
  readonly metrics: readonly MetricComponent[];
  /** Sampled negatives per held-out item (NCF: 99). */
  readonly negatives: number;
  /** Seed of the negative draws; the same seed gives the same negatives on every call. */
  readonly seed?: number;
  readonly batchSize: number;
}

/**
 * The sampled protocol (He et al., NCF 2017): each held-out item is ranked against N negatives drawn
 * uniformly from the items the user never interacted with (neither masked nor held out). Ties with a
 * negative count against the held-out item. A user's value is the mean over their held-out items.
 * Sampled metrics overestimate full-ranking quality and can even reorder models (Krichene & Rendle,
 * KDD 2020), so this protocol exists only when asked for and labels every output: protocol
 * `sampled-<N>`, display `HR@10 (sampled 99)`, key `hr_at_10_sampled99`.
 */
export class SampledEvaluator implements EvaluatorComponent {
  readonly protocol: string;
  readonly #opts: SampledEvaluatorOptions;

  constructor(opts: SampledEvaluatorOptions) {
    if (!Number.isInteger(opts.negatives) || opts.negatives < 1) {
      throw new UsageError(`evaluate.negatives must be a positive integer, found ${opts.negatives}`);
    }
    if (opts.ks.length === 0 || opts.ks.some((k) => !Number.isInteger(k) || k < 1)) {
      throw new UsageError(`evaluate.ks must be positive integers, found [${opts.ks.join(', ')}]`);
    }
    this.#opts = opts;
    this.protocol = `sampled-${opts.negatives}`;
  }

  async evaluate(input: EvaluateInput): Promise<MetricSet> {
    const { target, ctx } = input;
    const N = this.#opts.negatives;
    const K = Math.max(...this.#opts.ks);
    const numItems = target.itemIds.size;
    checkEvaluationSizes({
      protocol: this.protocol,
      K,
      numItems,
      batchSize: Math.max(1, this.#opts.batchSize),
      scorer: input.scorer,
      negatives: N,
    });
    const rel = targetLists(target);
    const banned = maskLists([...input.mask, target], rel.users);
    const rng = new Rng(this.#opts.seed ?? ctx.seed);
    const acc = new MetricAccumulator({
      metrics: this.#opts.metrics,
      ks: this.#opts.ks,
      rows: rel.users.length,
      displaySuffix: ` (sampled ${N})`,
    });
    const score = this.#pairScorer(input, numItems);
    const B = Math.max(1, this.#opts.batchSize);
    const cand = new Int32Array(N + 1);
    for (let r0 = 0; r0 < rel.users.length; r0 += B) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('evaluation aborted');
      const r1 = Math.min(rel.users.length, r0 + B);
      const scoreRow = score(rel.users.subarray(r0, r1));
      for (let r = r0; r < r1; r++) {
        const positives = row(rel, r);
        const ban = row(banned, r);
        const free = numItems - ban.length;
        const n = Math.min(N, free);
        const cases: [Int32Array, Int32Array][] = [];
        for (const pos of positives) {
          // distinct negatives by rejection: the user's banned items and earlier draws are redrawn
          const chosen = new Set<number>();
          while (chosen.size < n) {
            const it = rng.int(numItems);
            if (!contains(ban, it)) chosen.add(it);
          }
          let c = 0;
          cand[c++] = pos;
          for (const it of chosen) cand[c++] = it;
          const s = scoreRow(r - r0, cand.subarray(0, c));
          const sp = s[0]!;
          let rank = 0; // number of negatives scored at least as high as the positive
          for (let j = 1; j < c; j++) if (s[j]! >= sp || Number.isNaN(s[j]!)) rank++;
          const ranked = new Int32Array(K).fill(-1);
          if (rank < K) ranked[rank] = pos;
          cases.push([ranked, Int32Array.of(pos)]);
        }
        acc.addMean(r, cases);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return acc.finish(this.protocol, rel.users);
  }

  async evaluateCandidates(_input: EvaluateCandidatesInput): Promise<MetricSet> {
    throw new UsageError(
      `the sampled protocol (${this.protocol}) ranks each held-out item against sampled negatives and cannot ` +
        'score fixed candidate lists; use `evaluate: { type: full }` after retrieval or reranking',
    );
  }

  /** For a batch of users, a function scoring (batch row, items) pairs. */
  #pairScorer(
    input: EvaluateInput,
    numItems: number,
  ): (users: Int32Array) => (b: number, items: Int32Array) => Float32Array {
    const { scorer, target } = input;
    if (scorer.kind === 'scores') {
      if (scorer.numItems !== numItems) {
        throw new UsageError(`the model scores ${scorer.numItems} items but the dataset has ${numItems}`);
      }
      return (users) => {
        const all = scorer.scoreUsers(users); // [B, numItems]
        return (b, items) => {
          const out = new Float32Array(items.length);
          for (let j = 0; j < items.length; j++) out[j] = all[b * numItems + items[j]!]!;
          return out;
        };
      };
    }
    const { users: U, items: I } = scorer;
    const d = U.dim;
    const sameU = U.ids === target.userIds;
    const sameI = I.ids === target.itemIds;
    return (users) => (b, items) => {
      const u = sameU ? users[b]! : (U.ids.get(target.userIds.external(users[b]!)) ?? -1);
      const out = new Float32Array(items.length);
      for (let j = 0; j < items.length; j++) {
        const i = sameI ? items[j]! : (I.ids.get(target.itemIds.external(items[j]!)) ?? -1);
        if (u < 0 || i < 0) {
          out[j] = Number.NEGATIVE_INFINITY;
          continue;
        }
        let s = 0;
        for (let t = 0; t < d; t++) s += U.vectors[u * d + t]! * I.vectors[i * d + t]!;
        out[j] = s;
      }
      return out;
    };
  }
}
