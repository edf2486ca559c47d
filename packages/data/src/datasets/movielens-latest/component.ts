import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { resolveSource, sourceFields } from '../../common/source.ts';
import { loadMlLatest } from './load.ts';

export const MLLATEST_URL = 'https://files.grouplens.org/datasets/movielens/ml-latest-small.zip';

export const movielensLatestDataset = defineComponent({
  kind: 'dataset',
  type: 'movielens-latest',
  description: `MovieLens latest (ratings.csv, movies.csv; CRLF, quoted titles, "|" genres). Without "path" it is downloaded from ${MLLATEST_URL}`,
  schema: z.strictObject({
    ...sourceFields,
    features: z.boolean().default(true).describe('Load item genres/titles and titles (movies.csv)'),
  }),
  create: (params) => ({
    async load(ctx) {
      const src = await resolveSource('movielens-latest', params, ctx, MLLATEST_URL);
      const d = loadMlLatest(src.path, params);
      return { ...d, provenance: { ...d.provenance, ...src.provenance } };
    },
  }),
});
