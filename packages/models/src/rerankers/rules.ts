import {
  type CandidateSet,
  defineComponent,
  type RankInput,
  type RerankerComponent,
  UsageError,
} from '@embrec/core';
import { z } from 'zod';
import {
  assemble,
  categoryIndex,
  checkK,
  datasetItems,
  itemAttribute,
  outputK,
  rowPositions,
} from './common.ts';

const valuesOf = z.record(z.string(), z.array(z.string()).min(1));

export const rulesSchema = z.strictObject({
  allow: valuesOf
    .optional()
    .describe('keep only items with one of these values per attribute: { genres: [Comedy] }'),
  deny: valuesOf.optional().describe('drop items with any of these values per attribute'),
  excludeSeen: z.boolean().default(true).describe("drop the user's training (and validation) items"),
  boost: z
    .array(
      z.strictObject({
        attribute: z.string(),
        values: z.array(z.string()).min(1),
        by: z.number().describe('added to the score (negative: bury)'),
      }),
    )
    .default([])
    .describe('add `by` to the score of items having one of `values`'),
  freshness: z
    .strictObject({
      attribute: z.string().describe('numeric item attribute holding a time (year, timestamp)'),
      halfLife: z.number().positive(),
      weight: z.number().default(1),
    })
    .optional()
    .describe('add weight · 2^(−(newest − t) / halfLife): newer items rise'),
  k: outputK,
});

/**
 * Business rules on a candidate list: filters (attribute allow/deny lists, already-seen items), then
 * score adjustments (boost or bury by an attribute rule, freshness by a time attribute), then a stable
 * sort by the adjusted score. Filtered rows are shorter (padded with -1).
 */
export class RulesReranker implements RerankerComponent {
  constructor(readonly p: z.output<typeof rulesSchema>) {}

  async rerank({ candidates: c, dataset, splits }: RankInput): Promise<CandidateSet> {
    const K = checkK('rules', c, this.p.k);
    const toData = datasetItems(c, dataset);
    const has = (name: string, values: readonly string[]) => {
      const attr = itemAttribute('rules', dataset, name, 'categories');
      if (attr.kind !== 'categories') throw new UsageError('unreachable');
      const want = categoryIndex('rules', dataset, name, values);
      return (i: number) => attr.of(toData(i)).some((v) => want.has(v));
    };
    const allow = Object.entries(this.p.allow ?? {}).map(([a, v]) => has(a, v));
    const deny = Object.entries(this.p.deny ?? {}).map(([a, v]) => has(a, v));
    const boosts = this.p.boost.map((b) => ({ test: has(b.attribute, b.values), by: b.by }));
    let fresh: ((i: number) => number) | undefined;
    if (this.p.freshness) {
      const f = this.p.freshness;
      const attr = itemAttribute('rules', dataset, f.attribute, 'numeric');
      if (attr.kind !== 'numeric') throw new UsageError('unreachable');
      let newest = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < dataset.interactions.itemIds.size; i++) {
        const t = attr.of(i);
        if (Number.isFinite(t)) newest = Math.max(newest, t);
      }
      fresh = (i) => {
        const t = attr.of(toData(i));
        return Number.isFinite(t) ? f.weight * 2 ** (-(newest - t) / f.halfLife) : 0;
      };
    }
    const seen = new Map<number, Set<number>>();
    if (this.p.excludeSeen) {
      for (const u of c.users) seen.set(u, new Set());
      for (const part of [splits.train, splits.valid]) {
        if (!part) continue;
        for (let r = 0; r < part.users.length; r++) seen.get(part.users[r]!)?.add(part.items[r]!);
      }
    }
    const rows = Array.from({ length: c.users.length }, (_, q) => {
      const u = c.users[q]!;
      const kept: { j: number; s: number }[] = [];
      for (const j of rowPositions(c, q)) {
        const it = c.items[q * c.k + j]!;
        if (allow.some((t) => !t(it)) || deny.some((t) => t(it))) continue;
        if (seen.get(u)?.has(toData(it))) continue;
        let s = c.scores[q * c.k + j]!;
        for (const b of boosts) if (b.test(it)) s += b.by;
        if (fresh) s += fresh(it);
        kept.push({ j, s });
      }
      kept.sort((a, b) => b.s - a.s || a.j - b.j);
      return { pos: kept.map((x) => x.j), scores: kept.map((x) => x.s) };
    });
    return assemble(c, K, rows);
  }
}

export const rulesComponent = defineComponent({
  kind: 'reranker',
  type: 'rules',
  description:
    'Business rules: allow/deny by attribute, already-seen filter, boost/bury by a rule, freshness',
  schema: rulesSchema,
  create: (p) => new RulesReranker(p),
});
