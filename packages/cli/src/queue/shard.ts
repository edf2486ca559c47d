import { UsageError } from '@embrec/core';

export interface Shard {
  readonly index: number; // 1-based
  readonly count: number;
}

/** `--shard I/N` (1 ≤ I ≤ N). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index < 1 || index > count)
    throw new UsageError(
      `--shard expects I/N with 1 ≤ I ≤ N (for example --shard 2/3, or --shard $((SLURM_ARRAY_TASK_ID+1))/$SLURM_ARRAY_TASK_COUNT), found "${text}"`,
    );
  return { index, count };
}

/**
 * The trials of one shard: every N-th trial in the order the sweep expands (trial index mod N), so
 * the N shards are disjoint, cover the sweep, and are the same on every machine.
 */
export function shardTrials<T>(trials: readonly T[], shard: Shard): T[] {
  return trials.filter((_t, i) => i % shard.count === shard.index - 1);
}
