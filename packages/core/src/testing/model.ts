import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CreateContext } from '../plugin/define.ts';
import type { ModelComponent, Scorer } from '../plugin/kinds.ts';
import { makeTestContext, makeTestCreateContext } from './context.ts';
import { tinyClusteredDataset } from './fixture.ts';

export interface DescribeModelOptions {
  /** Builds a fresh model (with its loss and sampler) for a context. */
  make(ctx: CreateContext): ModelComponent | Promise<ModelComponent>;
  /** The model logs a per-epoch `loss` through ctx.logMetrics that should decrease (default true). */
  trainsWithLoss?: boolean;
  /** Checks that in-group items outrank out-of-group items on the clustered fixture (default true). */
  learnsClusters?: boolean;
}

function allScores(s: Scorer, users: number): { scores: Float32Array; items: number } {
  if (s.kind === 'scores')
    return { scores: s.scoreUsers(Int32Array.from({ length: users }, (_, i) => i)), items: s.numItems };
  const d = s.users.dim;
  const ni = s.items.ids.size;
  const out = new Float32Array(users * ni);
  for (let u = 0; u < users; u++)
    for (let i = 0; i < ni; i++) {
      let x = 0;
      for (let j = 0; j < d; j++) x += s.users.vectors[u * d + j]! * s.items.vectors[i * d + j]!;
      out[u * ni + i] = x;
    }
  return { scores: out, items: ni };
}

async function fitted(opts: DescribeModelOptions, seed = 42) {
  const fx = tinyClusteredDataset();
  const ctx = makeTestContext({ seed });
  const cctx = { ...makeTestCreateContext({ seed }), ...ctx } as CreateContext;
  const model = await opts.make(cctx);
  await model.fit({ dataset: fx.dataset, splits: fx.splits, ctx });
  return { model, ctx, fx };
}

/**
 * The conformance suite every model plugin passes: trains on a tiny clustered fixture, the loss
 * decreases, scores are finite and learn the clusters, training is deterministic for a seed,
 * save/load round-trips, and no tensor outlives dispose().
 */
export function describeModel(name: string, opts: DescribeModelOptions): void {
  describe(`model conformance: ${name}`, () => {
    beforeAll(async () => {
      await tf.ready();
    });

    it('trains: loss decreases, scores are finite and rank in-group items higher', async () => {
      const { model, ctx, fx } = await fitted(opts);
      try {
        if (opts.trainsWithLoss ?? true) {
          const losses = ctx.logged.map((l) => l.values.loss).filter((x): x is number => x !== undefined);
          expect(losses.length).toBeGreaterThan(1);
          expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
        }
        const nu = fx.splits.train.userIds.size;
        const { scores, items } = allScores(model.scorer(), nu);
        for (const x of scores) expect(Number.isFinite(x)).toBe(true);
        if (opts.learnsClusters ?? true) {
          let inG = 0;
          let outG = 0;
          let nIn = 0;
          let nOut = 0;
          for (let u = 0; u < nu; u++)
            for (let i = 0; i < items; i++) {
              if (fx.group(i) === fx.userGroup(u)) {
                inG += scores[u * items + i]!;
                nIn++;
              } else {
                outG += scores[u * items + i]!;
                nOut++;
              }
            }
          expect(inG / nIn).toBeGreaterThan(outG / nOut);
        }
      } finally {
        model.dispose?.();
      }
    });

    it('is deterministic for a seed', async () => {
      const a = await fitted(opts, 5);
      const b = await fitted(opts, 5);
      try {
        const nu = a.fx.splits.train.userIds.size;
        expect(Array.from(allScores(a.model.scorer(), nu).scores)).toEqual(
          Array.from(allScores(b.model.scorer(), nu).scores),
        );
      } finally {
        a.model.dispose?.();
        b.model.dispose?.();
      }
    });

    it('round-trips through save/load', async () => {
      const { model } = await fitted(opts);
      const dir = join(mkdtempSync(join(tmpdir(), 'embrec-model-')), 'saved');
      try {
        if (!model.save || !model.load) throw new Error(`${name} does not implement save/load`);
        await model.save(dir);
        const fresh = await opts.make(makeTestCreateContext({ seed: 99 }));
        try {
          await fresh.load!(dir);
          const s1 = model.scorer();
          const s2 = fresh.scorer();
          expect(s2.kind).toBe(s1.kind);
          if (s1.kind === 'embeddings' && s2.kind === 'embeddings') {
            expect(s2.users.ids.toArray()).toEqual(s1.users.ids.toArray());
            expect(s2.items.ids.toArray()).toEqual(s1.items.ids.toArray());
            expect(Array.from(s2.users.vectors)).toEqual(Array.from(s1.users.vectors));
            expect(Array.from(s2.items.vectors)).toEqual(Array.from(s1.items.vectors));
          } else {
            const nu = 5;
            expect(Array.from(allScores(s2, nu).scores)).toEqual(Array.from(allScores(s1, nu).scores));
          }
        } finally {
          fresh.dispose?.();
        }
      } finally {
        model.dispose?.();
      }
    });

    it('leaks no tensors', async () => {
      const before = tf.memory().numTensors;
      const { model } = await fitted(opts);
      model.scorer();
      model.dispose?.();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
