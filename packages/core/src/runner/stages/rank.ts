import { EmbrecError } from '../../errors.ts';
import { Registry } from '../../plugin/registry.ts';
import type { CandidateSet } from '../../types/values.ts';
import { retrievalQueries } from './queries.ts';
import { need, type Stage, type StageContext } from './types.ts';

function candidatesOf(ctx: StageContext, who: string): CandidateSet {
  const c = ctx.state.candidates;
  if (!c) throw new EmbrecError('E_CONFIG_PIPELINE', `${who}: add an "index:" section for retrieval`);
  return c;
}

/** What rankers and re-rankers read besides the candidates. */
function rankInput(ctx: StageContext) {
  const scorer = ctx.state.scorer;
  return {
    dataset: need(ctx.state.dataset, 'a dataset', 'rank'),
    splits: need(ctx.state.splits, 'splits', 'rank'),
    ...(scorer?.kind === 'embeddings' ? { itemEmbeddings: scorer.items } : {}),
  };
}

/**
 * The first stage's candidates for the validation users (train items excluded): a ranker's hard
 * negatives. Test items are never part of what the ranker trains on.
 */
async function validationCandidates(ctx: StageContext): Promise<CandidateSet | undefined> {
  const { cfg, state, env } = ctx;
  const splits = need(state.splits, 'splits', 'rank');
  if (!splits.valid || !cfg.index || state.scorer?.kind !== 'embeddings') return undefined;
  const scorer = state.scorer;
  const index = await ctx.assembler.get('index', cfg.index, 'index');
  const q = retrievalQueries(scorer, splits.valid, [splits.train]);
  const r = index.search(q.queries, cfg.retrieve?.k ?? 1000, { exclude: q.exclude, threads: env.threads });
  return { itemIds: scorer.items.ids, users: q.users, k: r.k, items: r.ids, scores: r.scores };
}

/** rank: a ranker (fitted first when it learns) re-scores the retrieved candidates. */
export const rankStage: Stage = {
  name: 'rank',
  needs: ['retrieve'],
  when: (cfg) => cfg.ranker !== undefined,
  async run(ctx) {
    const rb = need(ctx.cfg.ranker, 'a ranker section', 'rank');
    const ranker = await ctx.assembler.get('ranker', rb, 'ranker');
    const candidates = candidatesOf(ctx, 'a ranker needs candidates');
    const input = rankInput(ctx);
    if (ranker.fit) {
      const fitCandidates = await validationCandidates(ctx);
      const validate = ctx.state.validate;
      await ctx.timed('rank-fit', () =>
        ctx.guard('ranker', rb.type, 'fit', () =>
          ranker.fit!({
            dataset: input.dataset,
            splits: input.splits,
            ctx: ctx.ctxFor('ranker', rb.type),
            ...(validate ? { validate } : {}),
            ...(fitCandidates ? { candidates: fitCandidates } : {}),
          }),
        ),
      );
    }
    const ranked = await ctx.timed('rank', () =>
      ctx.guard('ranker', rb.type, 'rank', () =>
        ranker.rank({ candidates, ...input, ctx: ctx.ctxFor('ranker', rb.type) }),
      ),
    );
    ctx.state.candidates = ranked;
    ctx.state.lists.push({ label: 'ranking', candidates: ranked, ms: ctx.times.rank ?? 0 });
  },
};

/** rerank: each re-ranker in order re-orders the list (diversity, calibration, business rules). */
export const rerankStage: Stage = {
  name: 'rerank',
  needs: ['retrieve'],
  when: (cfg) => cfg.rerankers.length > 0,
  async run(ctx) {
    for (const [i, b] of ctx.cfg.rerankers.entries()) {
      const rr = await ctx.assembler.get('reranker', b, `rerankers[${i}]`);
      const candidates = candidatesOf(ctx, 're-rankers need candidates');
      const out = await ctx.timed(`rerank[${i}]`, () =>
        ctx.guard('reranker', b.type, 'rerank', () =>
          rr.rerank({ candidates, ...rankInput(ctx), ctx: ctx.ctxFor('reranker', b.type) }),
        ),
      );
      ctx.state.candidates = out;
      ctx.state.lists.push({
        label: `rerank[${i}] ${Registry.display(b.type)}`,
        candidates: out,
        ms: ctx.times[`rerank[${i}]`] ?? 0,
      });
    }
  },
};
