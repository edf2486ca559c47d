import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RankerComponent } from '../../plugin/kinds.ts';
import type { CandidateSet } from '../../types/values.ts';
import { candidateScoreStats } from '../../util/candidates.ts';
import { writeJsonAtomic } from '../fs.ts';
import { retrievalQueries } from './queries.ts';
import type { StageContext } from './types.ts';

/** `artifacts/ranker/ranker.json`: what `embrec export` needs to serve the trial's fitted ranker. */
export interface SavedRanker {
  readonly format: 'embrec-ranker/1';
  readonly type: string;
  /** 'component': the ranker's own save(); 'model': the pair-scoring model it is built on; null: not saved. */
  readonly saved: 'component' | 'model' | null;
  /** The ranker's parameters (the experiment's ranker block, defaults filled in when the ranker exposes them). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Mean and standard deviation of the retrieval scores its pair inputs were standardised with. */
  readonly scoreStats?: { readonly mean: number; readonly std: number };
  readonly note?: string;
}

type ModelRanker = RankerComponent & {
  save?(dir: string): Promise<void>;
  readonly cfg?: Readonly<Record<string, unknown>>;
  readonly model?: { save?(dir: string): Promise<void>; scorePairs?: unknown };
};

/**
 * Saves the trial's fitted ranker into `artifacts/ranker/` for `embrec export`: through the ranker's
 * own `save(dir)` when it has one; otherwise, for a ranker built on a pair-scoring model (the neumf
 * ranker: `ranker.model` with `save` and `scorePairs`), that model's files plus the standardisation
 * of the retrieval score it was trained with, recomputed here exactly as the rank stage made its
 * inputs: the validation users' candidates when it fine-tuned on them, else the test candidates.
 */
export async function saveRanker(ctx: StageContext, artifacts: string): Promise<void> {
  const { cfg, state } = ctx;
  if (!cfg.ranker) return;
  const rb = cfg.ranker;
  const ranker = (await ctx.assembler.get('ranker', rb, 'ranker')) as ModelRanker;
  const dir = join(artifacts, 'ranker');
  mkdirSync(dir, { recursive: true });
  const config = { ...(ranker.cfg ?? rb) } as Record<string, unknown>;
  delete config.type;
  const base = { format: 'embrec-ranker/1' as const, type: rb.type, config };
  if (typeof ranker.save === 'function') {
    await ctx.guard('ranker', rb.type, 'save', () => ranker.save!(dir));
    writeJsonAtomic(join(dir, 'ranker.json'), { ...base, saved: 'component' } satisfies SavedRanker);
    return;
  }
  const model = ranker.model;
  if (typeof model?.save !== 'function' || typeof model.scorePairs !== 'function') {
    writeJsonAtomic(join(dir, 'ranker.json'), {
      ...base,
      saved: null,
      note: `ranker "${rb.type}" has no save() (nor a pair-scoring model): the bundle serves retrieval and re-ranking`,
    } satisfies SavedRanker);
    return;
  }
  await ctx.guard('ranker', rb.type, 'save', () => model.save!(dir));
  const retrieval = state.lists.find((l) => l.label === 'retrieval')?.candidates;
  const basis = (await validationCandidates(ctx, config)) ?? retrieval;
  const stats = basis ? candidateScoreStats(basis) : undefined;
  writeJsonAtomic(join(dir, 'ranker.json'), {
    ...base,
    saved: 'model',
    ...(stats ? { scoreStats: stats } : {}),
  } satisfies SavedRanker);
}

/** The rank stage's training candidates (validation users), when the ranker fine-tuned on them. */
async function validationCandidates(
  ctx: StageContext,
  config: Readonly<Record<string, unknown>>,
): Promise<CandidateSet | undefined> {
  const { cfg, state, env } = ctx;
  const hard = config.hardNegatives as { epochs?: number } | undefined;
  const splits = state.splits;
  if (!splits?.valid || !cfg.index || state.scorer?.kind !== 'embeddings' || (hard?.epochs ?? 0) === 0)
    return undefined;
  const index = await ctx.assembler.get('index', cfg.index, 'index');
  const q = retrievalQueries(state.scorer, splits.valid, [splits.train]);
  const r = index.search(q.queries, cfg.retrieve?.k ?? 1000, { exclude: q.exclude, threads: env.threads });
  return { itemIds: state.scorer.items.ids, users: q.users, k: r.k, items: r.ids, scores: r.scores };
}
