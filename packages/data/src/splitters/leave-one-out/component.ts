import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { duplicatesSchema } from '../checks.ts';
import { lastK, splitDataset } from '../holdout.ts';
import { orderSchema } from '../leave-k-out/component.ts';

export const leaveOneOutSchema = z.strictObject({
  order: orderSchema,
  valid: z
    .boolean()
    .default(false)
    .describe("true: each user's latest remaining train interaction becomes validation"),
  duplicates: duplicatesSchema,
});

export const leaveOneOutSplitter = defineComponent({
  kind: 'splitter',
  type: 'leave-one-out',
  description:
    'Per user, the latest interaction is test (ties broken by file order); optionally the one before is validation',
  schema: leaveOneOutSchema,
  create: (p) => ({
    split(data, ctx) {
      return splitDataset(
        data,
        ctx,
        'leave-one-out',
        p.duplicates,
        lastK(1, p.order, ctx.rng, 'leave-one-out'),
        p.valid ? lastK(1, p.order, ctx.rng, 'leave-one-out') : undefined,
      );
    },
  }),
});
