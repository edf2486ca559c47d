import {
  type CandidateSet,
  defineComponent,
  itemCounts,
  type RankInput,
  type RerankerComponent,
} from '@embrec/core';
import { z } from 'zod';
import { assemble, checkK, datasetItems, outputK, rowPositions } from './common.ts';

export const fairnessSchema = z.strictObject({
  head: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.2)
    .describe('the popular items: the most-interacted items that together hold this share of the catalogue'),
  maxShare: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe('at most this share of each output list may be popular items'),
  k: outputK,
});

/**
 * Exposure fairness by a popularity cap: the "head" (the top `head` fraction of items by training
 * interactions) may fill at most ⌊maxShare · k⌋ places of each list. Walking the list in order,
 * a head item beyond the cap is deferred; deferred items fill the end only when the rest runs out.
 * Scores are kept.
 */
export class FairnessReranker implements RerankerComponent {
  constructor(readonly p: z.output<typeof fairnessSchema>) {}

  async rerank({ candidates: c, dataset, splits }: RankInput): Promise<CandidateSet> {
    const K = checkK('fairness', c, this.p.k);
    const counts = itemCounts(splits.train);
    const order = Array.from(counts.keys()).sort((a, b) => counts[b]! - counts[a]! || a - b);
    const isHead = new Uint8Array(counts.length);
    for (const i of order.slice(0, Math.ceil(this.p.head * counts.length))) isHead[i] = 1;
    const toData = datasetItems(c, dataset);
    const cap = Math.floor(this.p.maxShare * K);
    const rows = Array.from({ length: c.users.length }, (_, q) => {
      const out: number[] = [];
      const deferred: number[] = [];
      let head = 0;
      for (const j of rowPositions(c, q)) {
        if (out.length >= K) break;
        const d = toData(c.items[q * c.k + j]!);
        if (d >= 0 && isHead[d]) {
          if (head >= cap) {
            deferred.push(j);
            continue;
          }
          head++;
        }
        out.push(j);
      }
      for (const j of deferred) if (out.length < K) out.push(j);
      return { pos: out, scores: out.map((j) => c.scores[q * c.k + j]!) };
    });
    return assemble(c, K, rows);
  }
}

export const fairnessComponent = defineComponent({
  kind: 'reranker',
  type: 'fairness',
  description: 'Exposure fairness: caps the share of popular (head) items in each list',
  schema: fairnessSchema,
  create: (p) => new FairnessReranker(p),
});
