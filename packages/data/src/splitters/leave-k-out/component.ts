import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { duplicatesSchema } from '../checks.ts';
import { lastK, splitDataset } from '../holdout.ts';

export const orderSchema = z
  .enum(['time', 'random'])
  .default('time')
  .describe(
    'time: the latest interactions by timestamp (ties → later row in the file); random: seeded random ones',
  );

export const leaveKOutSchema = z.strictObject({
  k: z
    .number()
    .int()
    .positive()
    .default(5)
    .describe('Interactions per user held out for test (at least one stays in train)'),
  order: orderSchema,
  valid: z
    .union([
      z.boolean(),
      z.strictObject({
        k: z.number().int().positive().describe('Interactions per user held out of train for validation'),
      }),
    ])
    .default(false)
    .describe('Carve validation from train the same way: true (same k), { k }, or false'),
  duplicates: duplicatesSchema,
});

export const leaveKOutSplitter = defineComponent({
  kind: 'splitter',
  type: 'leave-k-out',
  description:
    'Per user, the last k interactions (by time, or random) are test; validation optionally the k before',
  schema: leaveKOutSchema,
  create: (p) => ({
    split(data, ctx) {
      const v = p.valid === true ? p.k : p.valid === false ? undefined : p.valid.k;
      return splitDataset(
        data,
        ctx,
        'leave-k-out',
        p.duplicates,
        lastK(p.k, p.order, ctx.rng, 'leave-k-out'),
        v === undefined ? undefined : lastK(v, p.order, ctx.rng, 'leave-k-out'),
      );
    },
  }),
});
