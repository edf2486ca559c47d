import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { resolveSource, sourceFields } from '../../common/source.ts';
import { loadHoldings } from './load.ts';

const format = z
  .enum(['auto', 'csv', 'parquet'])
  .default('auto')
  .describe('File format: auto (by extension: .parquet is Parquet, anything else CSV with a header)');

const tableSchema = z.strictObject({
  path: z.string().describe('CSV or Parquet file (relative paths resolve from the experiment file)'),
  format,
  id: z.string().describe('Column with the ID that joins the holdings file'),
});

export const holdingsSchema = z.strictObject({
  ...sourceFields,
  name: z.string().default('holdings').describe('Dataset name used in run records'),
  format,
  delimiter: z.string().min(1).default(',').describe('CSV field separator ("," default, "tab", ";")'),
  columns: z
    .strictObject({
      portfolio: z.string().default('portfolio').describe('Portfolio or client ID column (the "user")'),
      security: z.string().default('security').describe('Security ID column (the "item")'),
      weight: z.string().default('weight').describe('Weight or quantity column'),
      date: z.string().optional().describe('Date column (optional): YYYY-MM-DD, ISO 8601, or epoch seconds'),
    })
    .prefault({})
    .describe('Column names of the holdings file'),
  allowNegative: z
    .boolean()
    .default(false)
    .describe('Accept negative weights (short positions); otherwise a negative weight is an error'),
  securities: tableSchema
    .extend({
      factors: z
        .array(z.string())
        .optional()
        .describe('Factor-exposure columns (numeric item features; checked on every row)'),
    })
    .optional()
    .describe(
      'Security table: one row per security; other columns become item features (numbers → numeric, else categorical: sector, asset class)',
    ),
  clients: tableSchema
    .optional()
    .describe('Client table: one row per portfolio/client; other columns become user features'),
  transactions: z
    .strictObject({
      path: z.string().describe('CSV or Parquet file of trades'),
      format,
      columns: z
        .strictObject({
          client: z.string().default('client'),
          security: z.string().default('security'),
          date: z.string().default('date'),
          side: z.string().default('side').describe('buy or sell (case-insensitive; b/s accepted)'),
          amount: z.string().default('amount'),
        })
        .prefault({}),
      use: z
        .enum(['buys', 'none'])
        .default('buys')
        .describe('buys: every buy becomes an interaction row (weight = amount); none: validate only'),
    })
    .optional()
    .describe('Transactions table (client, security, date, side, amount)'),
});

export const holdingsDataset = defineComponent({
  kind: 'dataset',
  type: 'holdings',
  description:
    'Portfolio holdings (CSV or Parquet) with optional security, client and transactions tables (see docs/finance.md)',
  schema: holdingsSchema,
  create: (params) => ({
    async load(ctx) {
      const src = await resolveSource('holdings', params, ctx);
      const d = await loadHoldings(src.path, params, ctx);
      return { ...d, provenance: { ...d.provenance, ...src.provenance } };
    },
  }),
});
