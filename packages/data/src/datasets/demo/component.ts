import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { generateDemo } from './generate.ts';

export const demoSchema = z.strictObject({
  users: z.number().int().positive().default(1000).describe('Number of users'),
  items: z.number().int().positive().default(2000).describe('Number of items (up to millions)'),
  genres: z.number().int().min(1).max(1000).default(8).describe('Number of taste clusters ("genres")'),
  interactionsPerUser: z
    .number()
    .positive()
    .default(30)
    .describe('Mean interactions per user (log-normal spread)'),
  popularityExponent: z
    .number()
    .min(0)
    .default(1)
    .describe('Power law of item popularity: weight ∝ rank^-exponent'),
  focus: z
    .number()
    .min(0)
    .max(1)
    .default(0.85)
    .describe("Share of a user's interactions in their preferred genres"),
  twoGenreProb: z.number().min(0).max(1).default(0.5).describe('Probability that a user prefers two genres'),
  brands: z.number().int().positive().default(20).describe('Number of item brands (categorical feature)'),
  seed: z
    .number()
    .int()
    .default(0)
    .describe(
      'Seed of the generator. The data depends on it alone, not on the trial seed, so trials repeated over seeds (and paired tests across them) see the same data',
    ),
});

export const demoDataset = defineComponent({
  kind: 'dataset',
  type: 'demo',
  description: 'Built-in synthetic data with planted taste clusters (see docs/demo-data.md); no download',
  schema: demoSchema,
  create: (params) => ({
    async load() {
      return generateDemo({ ...params, seed: params.seed >>> 0 }).dataset;
    },
  }),
});
