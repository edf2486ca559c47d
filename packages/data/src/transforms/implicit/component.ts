import { type Dataset, defineComponent, type Interactions, makeInteractions, selectRows } from '@embrec/core';
import { z } from 'zod';
import { mapInteractions } from '../../common/dataset.ts';

export const implicitSchema = z.strictObject({
  threshold: z.number().default(4).describe('Keep interactions with rating ≥ threshold'),
  keepRatings: z.boolean().default(false).describe('Keep the rating column (default: drop it)'),
});

/** Keeps rows with rating ≥ threshold; drops the rating column unless asked to keep it. */
export function toImplicit(x: Interactions, p: z.output<typeof implicitSchema>): Interactions {
  const r = x.ratings;
  if (!r) return x;
  const mask = new Uint8Array(r.length);
  for (let k = 0; k < r.length; k++) mask[k] = r[k]! >= p.threshold ? 1 : 0;
  const s = selectRows(x, mask);
  return p.keepRatings ? s : makeInteractions({ ...s, ratings: undefined });
}

export const implicitTransform = defineComponent({
  kind: 'transform',
  type: 'implicit',
  description: 'Implicit feedback: keep interactions with rating ≥ threshold and drop the rating',
  schema: implicitSchema,
  create: (params) => ({
    apply(data: Dataset, ctx) {
      if (!data.interactions.ratings) {
        ctx.log.warn(`implicit: dataset "${data.name}" has no ratings; nothing to convert`);
        return data;
      }
      return mapInteractions(data, (x) => toImplicit(x, params));
    },
  }),
});
