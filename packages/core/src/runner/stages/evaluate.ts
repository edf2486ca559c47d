import type { Interactions } from '../../types/interactions.ts';
import type { CandidateSet } from '../../types/values.ts';
import { evaluationMask } from './retrieve.ts';
import { need, type Stage } from './types.ts';

/**
 * evaluate: the model's full ranking of the test items (train items masked), then the pipeline's
 * final lists, then each earlier stage's lists with its candidate recall and latency per user.
 */
export const evaluateStage: Stage = {
  name: 'evaluate',
  needs: ['embed'],
  async run(ctx) {
    const { cfg, state } = ctx;
    const evaluator = need(state.evaluator, 'an evaluator', 'evaluate');
    const scorer = need(state.scorer, 'a scorer', 'evaluate');
    const dataset = need(state.dataset, 'a dataset', 'evaluate');
    const splits = need(state.splits, 'splits', 'evaluate');
    const target = splits.test;
    const evalCtx = ctx.ctxFor('evaluator', cfg.evaluate.type);
    // what aggregate metrics (diversity, calibration) read about items
    const itemData = {
      ...(dataset.itemFeatures ? { itemFeatures: dataset.itemFeatures } : {}),
      ...(scorer.kind === 'embeddings' ? { itemEmbeddings: scorer.items } : {}),
    };
    const onLists = (candidates: CandidateSet) =>
      ctx.guard('evaluator', cfg.evaluate.type, 'evaluateCandidates', () =>
        evaluator.evaluateCandidates({ candidates, target, train: splits.train, ctx: evalCtx, ...itemData }),
      );
    const mask = evaluationMask(ctx);
    const result = await ctx.timed('evaluate', () =>
      ctx.guard('evaluator', cfg.evaluate.type, 'evaluate', () =>
        evaluator.evaluate({ scorer, mask, target, train: splits.train, ctx: evalCtx, ...itemData }),
      ),
    );
    Object.assign(state.metrics, result.values);
    state.protocol = result.protocol;
    state.perUser.push({ set: result, prefix: '', suffix: '' });
    const final = state.candidates;
    if (!final) return;
    const pipe = await ctx.timed('evaluate-pipeline', () => onLists(final));
    for (const [k, v] of Object.entries(pipe.values)) state.metrics[`${k} (pipeline)`] = v;
    state.perUser.push({ set: pipe, prefix: 'pipeline.', suffix: ' (pipeline)' });
    if (state.lists.length < 2) return; // retrieval alone: its lists are the pipeline's
    for (const st of state.lists) {
      state.metrics[`Candidate recall@${st.candidates.k} (${st.label})`] = candidateRecall(
        st.candidates,
        target,
      );
      state.metrics[`Latency ms/user (${st.label})`] = st.ms / Math.max(st.candidates.users.length, 1);
      if (st.candidates === final) continue; // the last stage is the pipeline's result above
      const m = await onLists(st.candidates);
      for (const [k, v] of Object.entries(m.values)) state.metrics[`${k} (${st.label})`] = v;
      const prefix = `${st.label.replace(/[^a-z0-9]+/gi, '-')}.`;
      state.perUser.push({ set: m, prefix, suffix: ` (${st.label})` });
    }
  },
};

/** Mean over users with target items of |targets ∩ candidates| / |targets| (users without a list count 0). */
export function candidateRecall(c: CandidateSet, target: Interactions): number {
  const targets = new Map<number, Set<number>>();
  for (let r = 0; r < target.users.length; r++) {
    const u = target.users[r]!;
    if (!targets.has(u)) targets.set(u, new Set());
    targets.get(u)!.add(target.items[r]!);
  }
  const same = c.itemIds === target.itemIds;
  const row = new Map<number, number>();
  for (let q = 0; q < c.users.length; q++) row.set(c.users[q]!, q);
  let sum = 0;
  for (const [u, items] of targets) {
    const q = row.get(u);
    if (q === undefined) continue;
    let hit = 0;
    for (let j = 0; j < c.k; j++) {
      const it = c.items[q * c.k + j]!;
      if (it < 0) continue;
      const d = same ? it : (target.itemIds.get(c.itemIds.external(it)) ?? -1);
      if (items.has(d)) hit++;
    }
    sum += hit / items.size;
  }
  return targets.size === 0 ? 0 : sum / targets.size;
}
