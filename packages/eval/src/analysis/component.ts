import type {
  AnalysisCheckInput,
  AnalysisComponent,
  AnalysisInput,
  AnyComponentDefinition,
} from '@embrec/core';
import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import {
  type AnalysisResult,
  type AnalyzeOptions,
  analyzeEmbeddings,
  DEFAULT_ANALYZE_OPTIONS,
  resolveItems,
} from './analyze.ts';
import { checkAttribute } from './attributes.ts';
import { checkPerplexity } from './projection.ts';
import { readItemBias } from './run-input.ts';
import { writeAnalysisReport } from './write.ts';

const D = DEFAULT_ANALYZE_OPTIONS;
const OPTION = 'analysis.perplexity:';

/** The `analysis:` section's parameters: `embrec analyze`'s options, with the same defaults. */
export const analysisSchema = z
  .strictObject({
    /** Item attribute for colours, structure and heat map (default: the first categorical item column). */
    attribute: z.string().min(1).optional(),
    /** User attributes colouring the user maps (default: every categorical user column). */
    userAttributes: z.array(z.string().min(1)).optional(),
    /** Items whose nearest neighbours to list: external IDs, exact titles or unique parts of titles. */
    items: z.array(z.string().min(1)).optional(),
    randomItems: z.number().int().min(0).default(D.randomItems),
    neighbours: z.number().int().min(1).default(D.neighbours),
    mapItems: z.number().int().min(2).default(D.mapItems),
    mapUsers: z.number().int().min(2).default(D.mapUsers),
    perplexity: z.number().positive().default(D.perplexity),
    tsneIterations: z.number().int().min(1).default(D.tsneIterations),
    umapNeighbors: z.number().int().min(2).default(D.umapNeighbors),
    umapMinDist: z.number().min(0).default(D.umapMinDist),
    permutations: z.number().int().min(1).default(D.permutations),
    k: z.number().int().min(1).default(D.k),
    /** Sampling, permutations and map initialisation (default: the trial's seed). */
    seed: z.number().int().nonnegative().optional(),
    maps: z.boolean().default(D.maps),
  })
  .superRefine((p, c) => {
    // the map sizes are known here; the data's own counts are checked after the split (check)
    if (!p.maps) return;
    for (const [key, n, what] of [
      ['mapItems', p.mapItems, 'items'],
      ['mapUsers', p.mapUsers, 'users'],
    ] as const) {
      if (n - 1 >= 3 * p.perplexity) continue;
      c.addIssue({
        code: 'custom',
        path: [key],
        message: `A t-SNE map with perplexity ${p.perplexity} needs at least ${Math.ceil(3 * p.perplexity + 1)} ${what}: raise ${key} or lower perplexity to ${Math.max(1, Math.floor((n - 1) / 3))} or less`,
      });
    }
  });
export type AnalysisParams = z.output<typeof analysisSchema>;

/** The analysis options of a trial: the parameters, with the trial's seed and threads. */
function optionsOf(p: AnalysisParams, seed: number, threads: number): AnalyzeOptions {
  return {
    ...D,
    ...(p.attribute !== undefined ? { attribute: p.attribute } : {}),
    ...(p.userAttributes !== undefined ? { userAttributes: p.userAttributes } : {}),
    ...(p.items !== undefined ? { items: p.items } : {}),
    randomItems: p.randomItems,
    neighbours: p.neighbours,
    mapItems: p.mapItems,
    mapUsers: p.mapUsers,
    perplexity: p.perplexity,
    tsneIterations: p.tsneIterations,
    umapNeighbors: p.umapNeighbors,
    umapMinDist: p.umapMinDist,
    permutations: p.permutations,
    k: p.k,
    seed: p.seed ?? seed,
    threads,
    maps: p.maps,
  };
}

/**
 * The report's headline numbers as trial metrics, so `embrec report` compares them across trials and
 * seeds and the trackers log them: attribute structure (labelled with the attribute) and popularity bias.
 */
export function analysisMetrics(r: AnalysisResult): Record<string, number> {
  const out: Record<string, number> = {};
  const g = r.genre;
  if (g) {
    const a = `(${g.attribute})`;
    out[`Analysis intra ${a}`] = g.overall.intra;
    out[`Analysis inter ${a}`] = g.overall.inter;
    out[`Analysis intra-inter ${a}`] = g.overall.diff;
    out[`Analysis p ${a}`] = g.overall.p;
  }
  const p = r.popularity;
  if (p) {
    out['Analysis Spearman popularity-norm'] = p.spearman.norm;
    if (p.spearman.bias !== null) out['Analysis Spearman popularity-bias'] = p.spearman.bias;
    out['Analysis Spearman popularity-recommended'] = p.spearman.recommended;
    out['Analysis Gini recommendations'] = p.gini.recommendations;
    out['Analysis Gini interactions'] = p.gini.interactions;
  }
  return out;
}

class EmbeddingAnalysis implements AnalysisComponent {
  readonly #p: AnalysisParams;

  constructor(p: AnalysisParams) {
    this.#p = p;
  }

  /** The attributes exist and the data has enough items (users) for the t-SNE perplexity. */
  check({ dataset, splits }: AnalysisCheckInput): void {
    const p = this.#p;
    if (p.attribute !== undefined) checkAttribute(dataset.itemFeatures, p.attribute, 'item');
    for (const a of p.userAttributes ?? []) checkAttribute(dataset.userFeatures, a, 'user');
    const itemIds = dataset.interactions.itemIds;
    resolveItems(p.items ?? [], itemIds, (o) => dataset.itemNames?.[o] ?? itemIds.external(o));
    if (!p.maps) return;
    checkPerplexity(Math.min(p.mapItems, splits.train.itemIds.size), p.perplexity, 'items', OPTION);
    checkPerplexity(Math.min(p.mapUsers, splits.train.userIds.size), p.perplexity, 'users', OPTION);
  }

  async analyze(input: AnalysisInput): Promise<{ metrics: Record<string, number> }> {
    const { ctx } = input;
    const result = await analyzeEmbeddings(
      {
        model: input.model,
        dataset: input.dataset,
        splits: input.splits,
        items: input.items,
        users: input.users,
        itemBias: readItemBias(input.trialDir, input.items.ids),
      },
      optionsOf(this.#p, ctx.seed, ctx.threads),
      (step) => ctx.log.info(`analysis: ${step}`),
    );
    await writeAnalysisReport(input.outDir, result, `embrec analysis: ${input.experiment} / ${ctx.trial}`, {
      trial: ctx.trial,
      experiment: input.experiment,
      metrics: input.metrics,
    });
    return { metrics: analysisMetrics(result) };
  }
}

export const embeddingAnalysisComponent = defineComponent({
  kind: 'analysis',
  type: 'embeddings',
  description:
    'Embedding analysis after training: nearest neighbours, t-SNE/UMAP maps coloured by an attribute, ' +
    'intra- vs inter-attribute similarity with a permutation test, popularity bias; ' +
    'artifacts/analysis/report.html + analysis.json',
  schema: analysisSchema,
  create: (p) => new EmbeddingAnalysis(p),
});

/** The analysis components (built-ins, namespace `embrec`). */
export const analysisComponents: AnyComponentDefinition[] = [embeddingAnalysisComponent];
