import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { generateSyntheticHoldings } from './dataset.ts';

export const syntheticHoldingsSchema = z.strictObject({
  view: z
    .enum(['holdings', 'notes'])
    .default('holdings')
    .describe('holdings: portfolios × securities; notes: market events × research notes (trade ideas)'),
  securities: z.number().int().min(2).max(200_000).default(800).describe('Number of securities'),
  sectors: z.number().int().min(1).max(10).default(8).describe('Number of sectors'),
  factors: z.number().int().min(1).max(8).default(4).describe('K: number of latent risk factors'),
  portfolios: z.number().int().min(1).max(100_000).default(400).describe('Number of portfolios (clients)'),
  styles: z.number().int().min(1).max(8).default(4).describe('Number of investment styles'),
  holdingsPerPortfolio: z.number().int().min(1).max(1000).default(25).describe('Securities held at a date'),
  dates: z.number().int().min(1).max(40).default(4).describe('Holding dates (one quarter apart)'),
  turnover: z.number().min(0).max(1).default(0.2).describe('Share of holdings replaced at each date'),
  coldStart: z
    .number()
    .min(0)
    .max(0.5)
    .default(0.1)
    .describe('Share of securities that are new listings, held by 1–3 portfolios at the last date'),
  loadingNoise: z.number().min(0).default(0.6).describe('σ_β: spread of loadings around the sector mean'),
  noise: z.number().min(0).default(1).describe('σ_ε: noise of the portfolio–security affinity'),
  temperature: z
    .number()
    .positive()
    .default(2.5)
    .describe('τ: holdings are drawn ∝ exp(affinity / τ); larger spreads them over more securities'),
  notes: z.number().int().min(1).max(100_000).default(800).describe('Research notes (view: notes)'),
  events: z.number().int().min(2).max(100_000).default(300).describe('Market-event queries (view: notes)'),
  seed: z
    .number()
    .int()
    .default(0)
    .describe('Seed of the world: the data depends on it alone, not on the trial seed'),
});

export const syntheticHoldingsDataset = defineComponent({
  kind: 'dataset',
  type: 'synthetic-holdings',
  description:
    'Seeded factor-model holdings world with planted sectors, loadings, styles, new listings and a research-notes corpus (docs/finance.md)',
  schema: syntheticHoldingsSchema,
  create: (params) => ({
    async load() {
      return generateSyntheticHoldings({ ...params, seed: params.seed >>> 0 }).dataset;
    },
  }),
});
