import {
  type CandidateSet,
  defineComponent,
  type RankInput,
  type RerankerComponent,
  UsageError,
} from '@embrec/core';
import { z } from 'zod';
import { assemble, checkK, datasetItems, itemAttribute, outputK, rowPositions, scaled } from './common.ts';

export const calibratedSchema = z.strictObject({
  lambda: z.number().min(0).max(1).default(0.5).describe('weight of calibration (KL) against relevance'),
  attribute: z.string().default('genres').describe('categorical or multi-hot item attribute (the genres)'),
  alpha: z.number().min(0).max(1).default(0.01).describe('smoothing q̃ = (1 − α) q + α p, so KL stays finite'),
  k: outputK,
});

/**
 * Calibrated recommendations (Steck, RecSys 2018). p(g|u): the genre distribution of the user's
 * training history, each item spreading its weight uniformly over its genres; q(g|L): the same over
 * a list L. Greedy maximisation of (1 − λ)·Σ_{i∈L} rel(i) − λ·KL(p ‖ q̃) over the candidates, with
 * rel the row's scores scaled to [0, 1]. An item's output score is the objective after adding it.
 */
export class CalibratedReranker implements RerankerComponent {
  constructor(readonly p: z.output<typeof calibratedSchema>) {}

  async rerank({ candidates: c, dataset, splits }: RankInput): Promise<CandidateSet> {
    const K = checkK('calibrated', c, this.p.k);
    const attr = itemAttribute('calibrated', dataset, this.p.attribute, 'categories');
    if (attr.kind !== 'categories') throw new UsageError('unreachable');
    const G = attr.size;
    const toData = datasetItems(c, dataset);
    const tr = splits.train;
    // p(g|u) for the users of the candidate set
    const need = new Map<number, Float64Array>();
    for (const u of c.users) need.set(u, new Float64Array(G));
    for (let r = 0; r < tr.users.length; r++) {
      const p = need.get(tr.users[r]!);
      if (!p) continue;
      const gs = attr.of(tr.items[r]!);
      for (const g of gs) p[g]! += 1 / gs.length;
    }
    for (const p of need.values()) {
      const s = p.reduce((a, b) => a + b, 0);
      if (s > 0) for (let g = 0; g < G; g++) p[g]! /= s;
    }
    const { lambda, alpha } = this.p;
    const kl = (p: Float64Array, q: Float64Array, n: number): number => {
      let v = 0;
      for (let g = 0; g < G; g++) {
        if (p[g]! <= 0) continue;
        const qq = (1 - alpha) * (n > 0 ? q[g]! / n : 0) + alpha * p[g]!;
        v += p[g]! * Math.log(p[g]! / qq);
      }
      return v;
    };
    const rows = Array.from({ length: c.users.length }, (_, q) => {
      const p = need.get(c.users[q]!)!;
      const pos = rowPositions(c, q);
      const rel = scaled(c, q, pos);
      const genres = pos.map((j) => attr.of(toData(c.items[q * c.k + j]!)));
      const used = new Uint8Array(pos.length);
      const mass = new Float64Array(G); // Σ over the list of p(g|i)
      let relSum = 0;
      const out: number[] = [];
      const scores: number[] = [];
      for (let m = 0; m < Math.min(K, pos.length); m++) {
        let best = -1;
        let bestV = Number.NEGATIVE_INFINITY;
        for (let a = 0; a < pos.length; a++) {
          if (used[a]) continue;
          const gs = genres[a]!;
          for (const g of gs) mass[g]! += 1 / gs.length;
          const v = (1 - lambda) * (relSum + rel[a]!) - lambda * kl(p, mass, m + 1);
          for (const g of gs) mass[g]! -= 1 / gs.length;
          if (v > bestV) {
            bestV = v;
            best = a;
          }
        }
        used[best] = 1;
        relSum += rel[best]!;
        for (const g of genres[best]!) mass[g]! += 1 / genres[best]!.length;
        out.push(pos[best]!);
        scores.push(bestV);
      }
      return { pos: out, scores };
    });
    return assemble(c, K, rows);
  }
}

export const calibratedComponent = defineComponent({
  kind: 'reranker',
  type: 'calibrated',
  description:
    'Calibrated recommendations (Steck 2018): match the genre distribution of the user’s history (λ)',
  schema: calibratedSchema,
  create: (p) => new CalibratedReranker(p),
});
