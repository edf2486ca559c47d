import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../fs.ts';
import type { StageContext } from './types.ts';

/** `artifacts/ranker/ranker.json`: what `embrec export` needs to serve the trial's fitted ranker. */
export interface SavedRanker {
  readonly format: 'embrec-ranker/1';
  readonly type: string;
  /**
   * 'component': the ranker's own save() wrote the folder (its `load()` restores it); null: not saved.
   * ('model', the pair-scoring network alone, was written by earlier versions.)
   */
  readonly saved: 'component' | null;
  /** The ranker's parameters (the experiment's ranker block, defaults filled in when the ranker exposes them). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly note?: string;
}

/**
 * Saves the trial's fitted ranker into `artifacts/ranker/` for `embrec export`, through the ranker's
 * own `save(dir)` (RankerComponent.save: the neumf ranker writes its network, the side-feature tables
 * it uses and the retrieval-score standardisation of its pair inputs). A ranker without `save` is
 * recorded as not saved, with the reason.
 */
export async function saveRanker(ctx: StageContext, artifacts: string): Promise<void> {
  const { cfg } = ctx;
  if (!cfg.ranker) return;
  const rb = cfg.ranker;
  const ranker = await ctx.assembler.get('ranker', rb, 'ranker');
  const dir = join(artifacts, 'ranker');
  mkdirSync(dir, { recursive: true });
  const config = { ...((ranker as { cfg?: Readonly<Record<string, unknown>> }).cfg ?? rb) } as Record<
    string,
    unknown
  >;
  delete config.type;
  const base = { format: 'embrec-ranker/1' as const, type: rb.type, config };
  if (typeof ranker.save !== 'function') {
    writeJsonAtomic(join(dir, 'ranker.json'), {
      ...base,
      saved: null,
      note: `ranker "${rb.type}" has no save(): the bundle serves retrieval and re-ranking`,
    } satisfies SavedRanker);
    return;
  }
  await ctx.guard('ranker', rb.type, 'save', () => ranker.save!(dir));
  writeJsonAtomic(join(dir, 'ranker.json'), { ...base, saved: 'component' } satisfies SavedRanker);
}
