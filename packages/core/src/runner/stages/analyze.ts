import { EmbrecError } from '../../errors.ts';
import { Registry } from '../../plugin/registry.ts';
import { writeFolderAtomic } from '../fs.ts';
import { layout } from '../layout.ts';
import { need, type Stage, type StageContext } from './types.ts';

/**
 * The `analysis:` section in two steps. The component comes from the registry (the built-in
 * `embeddings` is @embrec/eval's): core knows only the AnalysisComponent interface.
 *
 * analyze-check, right after the split: the component checks the data (the attribute exists, enough
 * items for the t-SNE perplexity), so bad input fails before anything trains.
 */
export const analyzeCheckStage: Stage = {
  name: 'analyze-check',
  needs: ['split'],
  when: (cfg) => cfg.analysis !== undefined,
  async run(ctx) {
    const block = need(ctx.cfg.analysis, 'an analysis section', 'analyze-check');
    const analysis = await ctx.assembler.get('analysis', block, 'analysis');
    if (!analysis.check) return;
    const dataset = need(ctx.state.dataset, 'a dataset', 'analyze-check');
    const splits = need(ctx.state.splits, 'splits', 'analyze-check');
    await ctx.guard('analysis', block.type, 'check', () =>
      analysis.check!({ dataset, splits, ctx: ctx.ctxFor('analysis', block.type) }),
    );
  },
};

/**
 * analyze, after export (it reads the exported model's weights for a learned item bias): the report
 * is written into a temporary folder and renamed to `artifacts/analysis/` when complete, so it
 * reaches the trackers with the rest of `artifacts/`; the component's summary numbers join the
 * trial's metrics.
 */
export const analyzeStage: Stage = {
  name: 'analyze',
  needs: ['export'],
  when: (cfg) => cfg.analysis !== undefined,
  async run(ctx) {
    const { cfg, state, env } = ctx;
    const block = need(cfg.analysis, 'an analysis section', 'analyze');
    const scorer = need(state.scorer, 'a scorer', 'analyze');
    if (scorer.kind !== 'embeddings') throw noEmbeddings(ctx);
    const analysis = await ctx.assembler.get('analysis', block, 'analysis');
    const input = {
      dataset: need(state.dataset, 'a dataset', 'analyze'),
      splits: need(state.splits, 'splits', 'analyze'),
      model: cfg.model.type,
      items: scorer.items,
      users: scorer.users,
      trialDir: env.stagingDir,
      experiment: cfg.name,
      metrics: { ...state.metrics },
      ctx: ctx.ctxFor('analysis', block.type),
    };
    await ctx.timed('analyze', () =>
      writeFolderAtomic(layout.analysis(env.stagingDir), async (outDir) => {
        const out = await ctx.guard('analysis', block.type, 'analyze', () =>
          analysis.analyze({ ...input, outDir }),
        );
        Object.assign(state.metrics, out.metrics);
      }),
    );
  },
};

function noEmbeddings(ctx: StageContext): EmbrecError {
  return new EmbrecError(
    'E_CONFIG_PIPELINE',
    `the analysis needs item embeddings, but model "${Registry.display(ctx.cfg.model.type)}" scores users directly and has none: remove "analysis:" or use a model with embeddings`,
  );
}
