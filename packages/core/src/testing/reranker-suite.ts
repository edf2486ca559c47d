import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CreateContext } from '../plugin/define.ts';
import type { RerankerComponent } from '../plugin/kinds.ts';
import type { CandidateSet } from '../types/values.ts';
import { makeTestContext, makeTestCreateContext } from './context.ts';
import { subsetProblems, tinyPipelineFixture } from './pipeline-fixture.ts';

export interface DescribeRerankerOptions {
  /** Builds a fresh re-ranker for a context. */
  make(ctx: CreateContext): RerankerComponent | Promise<RerankerComponent>;
  /** Candidates per user in the fixture (default 10). */
  readonly k?: number;
  /** The k the output must have (default: at most the input's). */
  readonly outputK?: number;
  /** The re-ranker may drop items (filters): rows may shrink (default false: every input item stays). */
  readonly filters?: boolean;
}

async function reranked(opts: DescribeRerankerOptions, seed = 42) {
  const fx = tinyPipelineFixture(opts.k !== undefined ? { k: opts.k } : {});
  const ctx = makeTestContext({ seed });
  const rr = await opts.make({ ...makeTestCreateContext({ seed }), ...ctx } as CreateContext);
  const input: CandidateSet = fx.candidates;
  const out = await rr.rerank({ candidates: input, dataset: fx.dataset, splits: fx.splits, ctx });
  return { out, input, rr };
}

/**
 * The conformance suite of a re-ranker plugin (kind `reranker`), run on the tiny pipeline fixture's
 * candidate lists (items with a `genre`, a `tags` bag and a numeric `year`): the output is a
 * permutation of each input row (or a subset, for filters), k is respected, no NaN scores, the input
 * is left unchanged, the result is deterministic, and no tensor is left behind.
 */
export function describeReranker(name: string, opts: DescribeRerankerOptions): void {
  describe(`re-ranker conformance: ${name}`, () => {
    beforeAll(async () => {
      await tf.ready();
    });

    it('returns a permutation (or a subset) of each row, k respected, no NaN scores', async () => {
      const { out, input } = await reranked(opts);
      expect(subsetProblems(input, out)).toEqual([]);
      expect(out.k).toBeLessThanOrEqual(input.k);
      if (opts.outputK !== undefined) expect(out.k).toBe(opts.outputK);
      if (!opts.filters) {
        for (let q = 0; q < out.users.length; q++) {
          const n = (a: Int32Array, k: number) => a.subarray(q * k, (q + 1) * k).filter((x) => x >= 0).length;
          expect(n(out.items, out.k)).toBe(Math.min(n(input.items, input.k), out.k));
        }
      }
    });

    it('leaves its input unchanged and is deterministic', async () => {
      const fx = tinyPipelineFixture(opts.k !== undefined ? { k: opts.k } : {});
      const items = Array.from(fx.candidates.items);
      const a = await reranked(opts, 5);
      const b = await reranked(opts, 5);
      expect(Array.from(a.input.items)).toEqual(items);
      expect(Array.from(a.out.items)).toEqual(Array.from(b.out.items));
      expect(Array.from(a.out.scores)).toEqual(Array.from(b.out.scores));
    });

    it('leaks no tensors', async () => {
      const before = tf.memory().numTensors;
      await reranked(opts);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
