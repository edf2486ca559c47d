import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { resolveSource, sourceFields } from '../../common/source.ts';
import { loadMl1m } from './load.ts';

export const ML1M_URL = 'https://files.grouplens.org/datasets/movielens/ml-1m.zip';

export const movielens1mDataset = defineComponent({
  kind: 'dataset',
  type: 'movielens-1m',
  description: `MovieLens 1M (ratings.dat, movies.dat, users.dat: "::" separated). Without "path" it is downloaded from ${ML1M_URL}`,
  schema: z.strictObject({
    ...sourceFields,
    features: z
      .boolean()
      .default(true)
      .describe('Load item genres/titles (movies.dat) and user features (users.dat)'),
  }),
  create: (params) => ({
    async load(ctx) {
      const src = await resolveSource('movielens-1m', params, ctx, ML1M_URL);
      const d = loadMl1m(src.path, params);
      return { ...d, provenance: { ...d.provenance, ...src.provenance } };
    },
  }),
});
