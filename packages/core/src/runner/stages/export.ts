import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type PerUserEntry, writeEmbeddingTable, writePerUser, writePerUserIndex } from '../artifacts.ts';
import { writeJsonAtomic } from '../fs.ts';
import { layout } from '../layout.ts';
import { sampleRecommendations } from '../samples.ts';
import { saveRanker } from './export-ranker.ts';
import { need, type Stage } from './types.ts';

/**
 * export: what a finished trial leaves for later tools (README "Run folders"): the embeddings
 * with their ID maps (`embrec index sweep`, `recommend`), the model's own files, the fitted ranker
 * (`embrec export` serves it: export-ranker.ts), per-user metric
 * vectors (`embrec compare`) and a sample of recommendations.
 */
export const exportStage: Stage = {
  name: 'export',
  needs: ['evaluate'],
  async run(ctx) {
    const { cfg, state, env } = ctx;
    const scorer = need(state.scorer, 'a scorer', 'export');
    const model = need(state.model, 'a model', 'export');
    const dataset = need(state.dataset, 'a dataset', 'export');
    const splits = need(state.splits, 'splits', 'export');
    const artifacts = layout.artifacts(env.stagingDir);
    await ctx.timed('export', async () => {
      if (scorer.kind === 'embeddings') {
        const dir = join(artifacts, 'embeddings');
        mkdirSync(dir, { recursive: true });
        writeEmbeddingTable(dir, 'users', scorer.users);
        writeEmbeddingTable(dir, 'items', scorer.items);
      }
      if (model.save) {
        const dir = join(artifacts, 'model');
        mkdirSync(dir, { recursive: true });
        await ctx.guard('model', cfg.model.type, 'save', () => model.save!(dir));
      }
      await saveRanker(ctx, artifacts);
      const perUserDir = layout.perUserDir(env.stagingDir);
      mkdirSync(perUserDir, { recursive: true });
      const index: Record<string, PerUserEntry> = {};
      for (const { set, prefix, suffix } of state.perUser) {
        const files = writePerUser(perUserDir, set, splits.test.userIds, prefix);
        for (const [k, f] of Object.entries(files)) index[`${k}${suffix}`] = f;
      }
      writePerUserIndex(perUserDir, index);
      const samples = sampleRecommendations({
        dataset,
        train: splits.train,
        target: splits.test,
        scorer,
        ...(state.candidates ? { candidates: state.candidates } : {}),
      });
      writeJsonAtomic(join(artifacts, 'recommendations-sample.json'), samples);
      state.samples = samples;
    });
  },
};
