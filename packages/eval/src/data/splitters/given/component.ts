import { DataError, defineComponent, type Splits } from '@embrec/core';
import { z } from 'zod';
import { concatInteractions } from '../../common/builder.ts';

export const givenSchema = z.strictObject({
  valid: z
    .enum(['keep', 'merge', 'drop'])
    .default('keep')
    .describe('What to do with a given validation file: keep it, merge it into train, or drop it'),
});

export const givenSplitter = defineComponent({
  kind: 'splitter',
  type: 'given',
  description:
    'Use the splits shipped with the dataset (LightGCN train/valid/test files); validation is optional',
  schema: givenSchema,
  create: (p) => ({
    split(data): Splits {
      const s = data.givenSplits;
      if (!s)
        throw new DataError(
          `given: dataset "${data.name}" ships no splits (expected train/test files, as in the lightgcn format); use a random, leave-one-out or temporal split`,
        );
      if (!s.valid || p.valid === 'drop') return { train: s.train, test: s.test };
      if (p.valid === 'merge') return { train: concatInteractions([s.train, s.valid]), test: s.test };
      return s;
    },
  }),
});
