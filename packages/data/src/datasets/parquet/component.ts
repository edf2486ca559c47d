import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { resolveSource, sourceFields } from '../../common/source.ts';
import { loadParquet } from './load.ts';

export const parquetSchema = z.strictObject({
  ...sourceFields,
  name: z.string().default('parquet').describe('Dataset name used in run records'),
  columns: z
    .strictObject({
      user: z.string().default('user').describe('User ID column name'),
      item: z.string().default('item').describe('Item ID column name'),
      rating: z.string().optional().describe('Rating column (optional)'),
      timestamp: z.string().optional().describe('Timestamp column (optional; numbers or Arrow timestamps)'),
      weight: z.string().optional().describe('Weight column (optional)'),
    })
    .default({ user: 'user', item: 'item' })
    .describe('Which column holds what (column names)'),
});

export const parquetDataset = defineComponent({
  kind: 'dataset',
  type: 'parquet',
  description: 'Interactions from a Parquet file (parquet-wasm + apache-arrow) with a column mapping',
  schema: parquetSchema,
  create: (params) => ({
    async load(ctx) {
      const src = await resolveSource('parquet', params, ctx);
      const d = await loadParquet(src.path, params);
      return { ...d, provenance: { ...src.provenance } };
    },
  }),
});
