import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { duplicatesSchema } from '../checks.ts';
import { splitDataset, timeCut } from '../holdout.ts';

const cut = {
  quantile: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.8)
    .describe('Cut at this quantile of the timestamps (train = at or before it)'),
  at: z.number().optional().describe('Cut at this timestamp instead (train ≤ at < test)'),
};

export const temporalSchema = z.strictObject({
  ...cut,
  valid: z
    .union([z.boolean(), z.strictObject(cut)])
    .default(false)
    .describe(
      'Carve validation from train with a second cut: true (same quantile of the train times), { quantile | at }, or false',
    ),
  duplicates: duplicatesSchema,
});

export const temporalSplitter = defineComponent({
  kind: 'splitter',
  type: 'temporal',
  description: 'Global temporal cut: everything after the cut time is test, so train never sees the future',
  schema: temporalSchema,
  create: (p) => ({
    split(data, ctx) {
      const v = p.valid === true ? { quantile: p.quantile } : p.valid === false ? undefined : p.valid;
      return splitDataset(
        data,
        ctx,
        'temporal',
        p.duplicates,
        timeCut(p, 'temporal'),
        v ? timeCut(v, 'temporal') : undefined,
      );
    },
  }),
});
