import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { duplicatesSchema } from '../checks.ts';
import { randomRatio, splitDataset } from '../holdout.ts';

const ratio = z.number().gt(0).lt(1);

export const randomSplitSchema = z.strictObject({
  ratio: ratio
    .default(0.2)
    .describe("Share of each user's interactions held out for test (rounded; one always stays in train)"),
  valid: z
    .union([
      z.boolean(),
      z.strictObject({
        ratio: ratio.describe("Share of each user's remaining train held out for validation"),
      }),
    ])
    .default(false)
    .describe('Carve validation from train the same way: true (same ratio), { ratio }, or false'),
  duplicates: duplicatesSchema,
});

export const randomSplitter = defineComponent({
  kind: 'splitter',
  type: 'random',
  description: 'Random per-user hold-out of a ratio of interactions (seeded by the trial seed)',
  schema: randomSplitSchema,
  create: (p) => ({
    split(data, ctx) {
      const v = p.valid === true ? p.ratio : p.valid === false ? undefined : p.valid.ratio;
      return splitDataset(
        data,
        ctx,
        'random',
        p.duplicates,
        randomRatio(p.ratio, ctx.rng),
        v === undefined ? undefined : randomRatio(v, ctx.rng),
      );
    },
  }),
});
