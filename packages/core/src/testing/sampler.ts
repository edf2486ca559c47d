import { describe, expect, it } from 'vitest';
import type { SamplerComponent, ScoringView } from '../plugin/kinds-training.ts';
import { userCsr } from '../types/interactions.ts';
import { Rng } from '../util/rng.ts';
import { tinyClusteredDataset } from './fixture.ts';

export interface DescribeSamplerOptions {
  make(): SamplerComponent | Promise<SamplerComponent>;
}

/** A scoring view over fixed random vectors (what the trainer provides from the current model). */
export function fakeScoringView(
  train: ReturnType<typeof tinyClusteredDataset>['splits']['train'],
  seed = 3,
): ScoringView {
  const rng = new Rng(seed);
  const d = 4;
  const nu = train.userIds.size;
  const ni = train.itemIds.size;
  const u = Float32Array.from({ length: nu * d }, () => rng.normal());
  const v = Float32Array.from({ length: ni * d }, () => rng.normal());
  const csr = userCsr(train);
  const score = (a: number, b: number): number => {
    let s = 0;
    for (let j = 0; j < d; j++) s += u[a * d + j]! * v[b * d + j]!;
    return s;
  };
  return {
    topItems(users, k) {
      const out = new Int32Array(users.length * k).fill(-1);
      users.forEach((user, r) => {
        const seen = new Set(csr.indices.subarray(csr.indptr[user]!, csr.indptr[user + 1]!));
        const cand = Array.from({ length: ni }, (_, i) => i)
          .filter((i) => !seen.has(i))
          .sort((a, b) => score(user, b) - score(user, a) || a - b);
        for (let j = 0; j < Math.min(k, cand.length); j++) out[r * k + j] = cand[j]!;
      });
      return out;
    },
    scorePairs(users, items) {
      return Float32Array.from(users, (user, r) => score(user, items[r]!));
    },
  };
}

/**
 * The conformance suite every sampler plugin passes: valid item indices in the declared layout,
 * log-probabilities that are ≤ 0 and aligned, in-batch samplers draw nothing and report positive
 * logQ, and the same seed gives the same draws.
 */
export function describeSampler(name: string, opts: DescribeSamplerOptions): void {
  describe(`sampler conformance: ${name}`, () => {
    const fx = tinyClusteredDataset();
    const train = fx.splits.train;
    const ni = train.itemIds.size;
    const batch = { users: train.users.slice(0, 8), items: train.items.slice(0, 8) };

    it('draws valid negatives in the declared layout', async () => {
      const s = await opts.make();
      s.init(train, fx.dataset);
      const view = fakeScoringView(train);
      for (let step = 0; step < 3; step++) {
        const out = s.sample(batch, new Rng(step), view);
        if (s.mode === 'in-batch') {
          expect(out).toBeUndefined();
          continue;
        }
        expect(out).toBeDefined();
        const o = out!;
        expect(o.items.length).toBe(o.shared ? o.perRow : o.perRow * batch.users.length);
        for (const i of o.items) {
          expect(Number.isInteger(i)).toBe(true);
          expect(i).toBeGreaterThanOrEqual(0);
          expect(i).toBeLessThan(ni);
        }
        if (o.logQ) {
          expect(o.logQ.length).toBe(o.items.length);
          for (const l of o.logQ) expect(l).toBeLessThanOrEqual(1e-6);
        }
      }
    });

    it('reports positive log-probabilities when negatives come from the batch', async () => {
      const s = await opts.make();
      s.init(train, fx.dataset);
      const lq = s.positiveLogQ();
      if (s.mode === 'explicit') return;
      expect(lq).toBeDefined();
      expect(lq!.length).toBe(ni);
      let total = 0;
      for (const l of lq!) {
        expect(l).toBeLessThanOrEqual(1e-6);
        total += Math.exp(l);
      }
      expect(total).toBeCloseTo(1, 2);
    });

    it('is deterministic for a seed', async () => {
      const draw = async () => {
        const s = await opts.make();
        s.init(train, fx.dataset);
        return Array.from(s.sample(batch, new Rng(11), fakeScoringView(train))?.items ?? []);
      };
      expect(await draw()).toEqual(await draw());
    });
  });
}
