import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { resolveSource, sourceFields } from '../../common/source.ts';
import { loadCsv } from './load.ts';

const column = z.union([z.string(), z.number().int().nonnegative()]);

export const columnsSchema = z
  .strictObject({
    user: column.describe('User ID column (header name, or 0-based index)'),
    item: column.describe('Item ID column'),
    rating: column.optional().describe('Rating column (optional)'),
    timestamp: column.optional().describe('Timestamp column (optional, numeric)'),
    weight: column.optional().describe('Weight column (optional, numeric)'),
  })
  .describe('Which column holds what: header names when header is true, else 0-based indices');

export const csvSchema = z.strictObject({
  ...sourceFields,
  name: z.string().default('csv').describe('Dataset name used in run records'),
  delimiter: z.string().min(1).default(',').describe('Field separator: "," (default), "tab", ";", "::", ...'),
  header: z.boolean().default(true).describe('Is the first line a header with column names?'),
  encoding: z.enum(['utf8', 'latin1']).default('utf8').describe('Text encoding of the file'),
  columns: columnsSchema.default({ user: 0, item: 1 }),
});

export const csvDataset = defineComponent({
  kind: 'dataset',
  type: 'csv',
  description: 'Generic CSV/TSV interactions with a column mapping (RFC 4180 quoting)',
  schema: csvSchema,
  create: (params) => ({
    async load(ctx) {
      const src = await resolveSource('csv', params, ctx);
      const d = loadCsv(src.path, params);
      return { ...d, provenance: { ...src.provenance } };
    },
  }),
});
