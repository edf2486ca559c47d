import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CreateContext } from '../plugin/define.ts';
import type { RankerComponent } from '../plugin/kinds.ts';
import type { CandidateSet } from '../types/values.ts';
import { makeTestContext, makeTestCreateContext } from './context.ts';
import { subsetProblems, tinyPipelineFixture } from './pipeline-fixture.ts';

export interface DescribeRankerOptions {
  /** Builds a fresh ranker for a context. */
  make(ctx: CreateContext): RankerComponent | Promise<RankerComponent>;
  /** Candidates per user in the fixture (default 10). */
  readonly k?: number;
  /** The k the output must have (default: at most the input's). */
  readonly outputK?: number;
}

async function ranked(
  opts: DescribeRankerOptions,
  seed = 42,
): Promise<{ out: CandidateSet; input: CandidateSet; ranker: RankerComponent }> {
  const fx = tinyPipelineFixture(opts.k !== undefined ? { k: opts.k } : {});
  const ctx = makeTestContext({ seed });
  const ranker = await opts.make({ ...makeTestCreateContext({ seed }), ...ctx } as CreateContext);
  await ranker.fit?.({ dataset: fx.dataset, splits: fx.splits, ctx, candidates: fx.validCandidates });
  const out = await ranker.rank({ candidates: fx.candidates, dataset: fx.dataset, splits: fx.splits, ctx });
  return { out, input: fx.candidates, ranker };
}

/**
 * The conformance suite of a ranker plugin (kind `ranker`): fitted on the tiny pipeline fixture
 * (validation candidates as its training lists), it re-scores the test users' candidate lists. Each
 * output row is a re-ordering of (a subset of) its input row with finite scores best first, k is
 * respected, the result is deterministic for a seed, and no tensor outlives dispose().
 */
export function describeRanker(name: string, opts: DescribeRankerOptions): void {
  describe(`ranker conformance: ${name}`, () => {
    beforeAll(async () => {
      await tf.ready();
    });

    it('returns a re-ordering of each candidate list, best first, with no NaN score', async () => {
      const { out, input, ranker } = await ranked(opts);
      try {
        expect(subsetProblems(input, out)).toEqual([]);
        expect(out.k).toBeLessThanOrEqual(input.k);
        if (opts.outputK !== undefined) expect(out.k).toBe(opts.outputK);
        for (let q = 0; q < out.users.length; q++)
          for (let j = 1; j < out.k; j++) {
            if (out.items[q * out.k + j]! < 0) continue;
            expect(out.scores[q * out.k + j]!).toBeLessThanOrEqual(out.scores[q * out.k + j - 1]!);
          }
      } finally {
        ranker.dispose?.();
      }
    });

    it('is deterministic for a seed', async () => {
      const a = await ranked(opts, 5);
      const b = await ranked(opts, 5);
      try {
        expect(Array.from(a.out.items)).toEqual(Array.from(b.out.items));
        expect(Array.from(a.out.scores)).toEqual(Array.from(b.out.scores));
      } finally {
        a.ranker.dispose?.();
        b.ranker.dispose?.();
      }
    });

    it('leaks no tensors', async () => {
      const before = tf.memory().numTensors;
      const { ranker } = await ranked(opts);
      ranker.dispose?.();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
