import {
  type CandidateSet,
  defineComponent,
  mmrSelect,
  type RankInput,
  type RerankerComponent,
  UsageError,
} from '@embrec/core';
import { z } from 'zod';
import {
  assemble,
  attributeNames,
  checkK,
  datasetItems,
  itemAttribute,
  outputK,
  rowPositions,
  scaled,
} from './common.ts';

export const mmrSchema = z.strictObject({
  lambda: z.number().min(0).max(1).default(0.7).describe('weight of relevance; 1 − λ weighs diversity'),
  attribute: z
    .string()
    .optional()
    .describe(
      'item attribute for similarity (Jaccard of categories); default: cosine of the item embeddings',
    ),
  k: outputK,
});

/**
 * Maximal Marginal Relevance (Carbonell & Goldstein, SIGIR 1998): greedily pick
 *   argmax_i  λ·rel(i) − (1 − λ)·max_{j ∈ S} sim(i, j)
 * with rel = the row's scores scaled to [0, 1], and sim the cosine of the items' embeddings (the
 * retrieval model's item table) or the Jaccard overlap of an attribute's categories (genres).
 * An item's output score is its marginal value when it was picked.
 */
export class MmrReranker implements RerankerComponent {
  constructor(readonly p: z.output<typeof mmrSchema>) {}

  async rerank({ candidates: c, dataset, itemEmbeddings }: RankInput): Promise<CandidateSet> {
    const K = checkK('mmr', c, this.p.k);
    const toData = datasetItems(c, dataset);
    let sim: (a: number, b: number) => number;
    if (this.p.attribute !== undefined) {
      const attr = itemAttribute('mmr', dataset, this.p.attribute, 'categories');
      if (attr.kind !== 'categories') throw new UsageError('unreachable');
      const sets = new Map<number, Set<number>>();
      const cats = (i: number) => {
        let s = sets.get(i);
        if (!s) {
          s = new Set(attr.of(toData(i)));
          sets.set(i, s);
        }
        return s;
      };
      sim = (a, b) => {
        const x = cats(a);
        const y = cats(b);
        let inter = 0;
        for (const v of x) if (y.has(v)) inter++;
        const union = x.size + y.size - inter;
        return union === 0 ? 0 : inter / union;
      };
    } else {
      const t = itemEmbeddings;
      if (!t) {
        throw new UsageError(
          `mmr: no item embeddings in this pipeline (the model scores users directly): set attribute to one of: ${attributeNames(dataset).join(', ') || 'none'}`,
        );
      }
      const row =
        c.itemIds === t.ids ? (i: number) => i : (i: number) => t.ids.get(c.itemIds.external(i)) ?? -1;
      const d = t.dim;
      const norm = new Map<number, number>();
      const len = (r: number) => {
        let v = norm.get(r);
        if (v === undefined) {
          v = 0;
          for (let x = 0; x < d; x++) v += t.vectors[r * d + x]! ** 2;
          v = Math.sqrt(v) || 1;
          norm.set(r, v);
        }
        return v;
      };
      sim = (a, b) => {
        const ra = row(a);
        const rb = row(b);
        if (ra < 0 || rb < 0) {
          const missing = ra < 0 ? a : b;
          throw new UsageError(
            `mmr: item "${c.itemIds.external(missing)}" has no row in the item embeddings`,
          );
        }
        let dot = 0;
        for (let x = 0; x < d; x++) dot += t.vectors[ra * d + x]! * t.vectors[rb * d + x]!;
        return dot / (len(ra) * len(rb));
      };
    }
    const lambda = this.p.lambda;
    const rows = Array.from({ length: c.users.length }, (_, q) => {
      const pos = rowPositions(c, q);
      const rel = scaled(c, q, pos);
      const item = (a: number) => c.items[q * c.k + pos[a]!]!;
      const { order, values } = mmrSelect(rel, K, lambda, (a, b) => sim(item(a), item(b)));
      return { pos: order.map((a) => pos[a]!), scores: values };
    });
    return assemble(c, K, rows);
  }
}

export const mmrComponent = defineComponent({
  kind: 'reranker',
  type: 'mmr',
  description: 'MMR diversity re-ranking: λ·relevance − (1−λ)·max similarity to the items already chosen',
  schema: mmrSchema,
  create: (p) => new MmrReranker(p),
});
