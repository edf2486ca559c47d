import {
  defineComponent,
  type FitInput,
  itemCounts,
  type ModelComponent,
  type Scorer,
  UsageError,
} from '@embrec/core';
import { z } from 'zod';

/**
 * MostPop: every user gets the items ranked by their number of training interactions. The floor
 * any personalised model must clear (Gowalla R@20 0.0416, ML-1M 0.1181).
 */
export class MostPop implements ModelComponent {
  #counts: Float32Array | undefined;

  async fit({ splits }: FitInput): Promise<void> {
    this.#counts = Float32Array.from(itemCounts(splits.train));
  }

  scorer(): Scorer {
    const counts = this.#counts;
    if (!counts) throw new UsageError('mostpop: scorer() called before fit()');
    const n = counts.length;
    return {
      kind: 'scores',
      numItems: n,
      scoreUsers: (users) => {
        const out = new Float32Array(users.length * n); // [B, items]
        for (let b = 0; b < users.length; b++) out.set(counts, b * n);
        return out;
      },
    };
  }
}

export const mostPopComponent = defineComponent({
  kind: 'model',
  type: 'mostpop',
  scorer: 'scores',
  description: 'Most popular items in training data, the same list for every user',
  schema: z.strictObject({}),
  create: () => new MostPop(),
});
