import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { resolveSource, sourceFields } from '../../common/source.ts';
import { loadMl100k } from './load.ts';

export const ML100K_URL = 'https://files.grouplens.org/datasets/movielens/ml-100k.zip';

export const movielens100kDataset = defineComponent({
  kind: 'dataset',
  type: 'movielens-100k',
  description: `MovieLens 100K (u.data, u.item genres and titles, u.user). Without "path" it is downloaded from ${ML100K_URL}`,
  schema: z.strictObject({
    ...sourceFields,
    features: z
      .boolean()
      .default(true)
      .describe('Load item genres/titles (u.item) and user features (u.user)'),
  }),
  create: (params) => ({
    async load(ctx) {
      const src = await resolveSource('movielens-100k', params, ctx, ML100K_URL);
      const d = loadMl100k(src.path, params);
      return { ...d, provenance: { ...d.provenance, ...src.provenance } };
    },
  }),
});
