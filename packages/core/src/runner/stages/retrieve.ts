import { EmbrecError } from '../../errors.ts';
import { Registry } from '../../plugin/registry.ts';
import { type EmbeddingScorer, overlapRecall, retrievalQueries } from './queries.ts';
import { need, type Stage, type StageContext } from './types.ts';

/** The model's embeddings, or a config error saying why the index stage cannot use this model. */
export function embeddingsOf(ctx: StageContext, stage: string): EmbeddingScorer {
  const scorer = need(ctx.state.scorer, 'a scorer', stage);
  if (scorer.kind !== 'embeddings') {
    throw new EmbrecError(
      'E_CONFIG_PIPELINE',
      `the index stage needs embeddings, but model "${Registry.display(ctx.cfg.model.type)}" scores users directly: remove "index:" or use an embedding model`,
    );
  }
  return scorer;
}

/** The mask of evaluation: train items, plus validation items when the evaluator asks for it. */
export function evaluationMask(ctx: StageContext) {
  const splits = need(ctx.state.splits, 'splits', 'evaluate');
  const masksValid = ctx.state.evaluator?.masksValid === true;
  return masksValid && splits.valid ? [splits.train, splits.valid] : [splits.train];
}

/** index: builds the configured index over the item embeddings. */
export const indexStage: Stage = {
  name: 'index',
  needs: ['embed'],
  when: (cfg) => cfg.index !== undefined,
  async run(ctx) {
    const block = need(ctx.cfg.index, 'an index section', 'index');
    const scorer = embeddingsOf(ctx, 'index');
    const index = await ctx.assembler.get('index', block, 'index');
    await ctx.timed('index', () =>
      ctx.guard('index', block.type, 'build', () =>
        index.build(scorer.items, ctx.ctxFor('index', block.type)),
      ),
    );
  },
};

/**
 * retrieve: top-N candidates per test user (N = retrieve.k), masked items excluded. An approximate
 * index that names its exact reference (IndexComponent.exactReference) also reports the recall
 * it loses against exact search.
 */
export const retrieveStage: Stage = {
  name: 'retrieve',
  needs: ['index'],
  when: (cfg) => cfg.index !== undefined,
  async run(ctx) {
    const { cfg, state, env } = ctx;
    const block = need(cfg.index, 'an index section', 'retrieve');
    const scorer = embeddingsOf(ctx, 'retrieve');
    const target = need(state.splits, 'splits', 'retrieve').test;
    const index = await ctx.assembler.get('index', block, 'index');
    const k = cfg.retrieve?.k ?? 1000;
    const { users, queries, exclude } = retrievalQueries(scorer, target, evaluationMask(ctx));
    const candidates = await ctx.timed('retrieve', async () => {
      const r = await ctx.guard('index', block.type, 'search', () =>
        index.search(queries, k, { exclude, threads: env.threads }),
      );
      return { itemIds: scorer.items.ids, users, k: r.k, items: r.ids, scores: r.scores };
    });
    state.candidates = candidates;
    state.lists.push({ label: 'retrieval', candidates, ms: ctx.times.retrieve ?? 0 });
    if (!index.exactReference) return;
    const exact = await ctx.guard('index', block.type, 'exactReference', () => index.exactReference!());
    try {
      await exact.build(scorer.items);
      const ref = exact.search(queries, k, { exclude, threads: env.threads });
      state.metrics[`Retrieval recall@${k} vs exact`] = overlapRecall(
        candidates.items,
        ref.ids,
        candidates.k,
        ref.k,
      );
    } finally {
      exact.dispose();
    }
  },
};
