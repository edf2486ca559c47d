import { DataError, defineComponent, type Splits } from '@embrec/core';
import { z } from 'zod';
import { concatInteractions } from '../../common/builder.ts';
import { checkSplits, cleanGivenSplits, duplicatesSchema } from '../checks.ts';

export const givenSchema = z.strictObject({
  valid: z
    .enum(['keep', 'merge', 'drop'])
    .default('keep')
    .describe('What to do with a given validation file: keep it, merge it into train, or drop it'),
  duplicates: duplicatesSchema,
});

export const givenSplitter = defineComponent({
  kind: 'splitter',
  type: 'given',
  description:
    'Use the splits shipped with the dataset (LightGCN train/valid/test files); validation is optional',
  schema: givenSchema,
  create: (p) => ({
    split(data, ctx): Splits {
      const shipped = data.givenSplits;
      if (!shipped)
        throw new DataError(
          `given: dataset "${data.name}" ships no splits (expected train/test files, as in the lightgcn format); use a random, leave-one-out or temporal split`,
        );
      const s = cleanGivenSplits(data, shipped, p.duplicates, ctx);
      const out: Splits =
        !s.valid || p.valid === 'drop'
          ? { train: s.train, test: s.test }
          : p.valid === 'merge'
            ? { train: concatInteractions([s.train, s.valid]), test: s.test }
            : s;
      return checkSplits(data, out, ctx, 'given');
    },
  }),
});
