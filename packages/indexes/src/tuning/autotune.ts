import { UsageError } from '@embrec/core';
import { fastestAtRecall, qpsAtRecall } from './equal-recall.ts';
import type { SweepRow } from './sweep.ts';

export interface AutoTuneMode {
  readonly batch?: number;
  readonly threads?: number;
}

export interface AutoTuneResult {
  /** The fastest setting reaching the target, or undefined when none does. */
  readonly best: SweepRow | undefined;
  /** Every row evaluated (all rows given, or the probes of the search). */
  readonly evaluated: readonly SweepRow[];
  /** The highest recall seen, to say by how much the target was missed. */
  readonly maxRecall: number;
  /**
   * QPS read off the chosen index's recall–QPS curve (its evaluated rows) at the target (log-QPS interpolation between
   * neighbouring points; undefined when the target is not reached): `best.qps / frontierQps` says
   * how close the pick is to the curve at equal recall.
   */
  readonly frontierQps: number | undefined;
}

/**
 * Picks the fastest setting with recall ≥ target for a (batch, threads) mode: the equal-recall
 * rule of the benchmark tables (`fastestAtRecall`).
 * - Given measured rows: a filter and a max.
 * - Given a function that measures one value of an effort parameter (nprobe, efSearch) and a
 *   sorted list of candidate values: recall grows with effort, so a binary search finds the
 *   smallest value reaching the target in O(log n) measurements; its neighbours are measured too
 *   (noise) and the fastest qualifying one wins.
 */
export async function autoTune(
  source: readonly SweepRow[] | { measure: (value: number) => Promise<SweepRow>; values: readonly number[] },
  targetRecall: number,
  mode: AutoTuneMode = {},
): Promise<AutoTuneResult> {
  if (!(targetRecall > 0 && targetRecall <= 1)) {
    throw new UsageError(`autoTune: the target recall must be in (0, 1], found ${targetRecall}`);
  }
  const inMode = (r: SweepRow) =>
    (mode.batch === undefined || r.batch === mode.batch) &&
    (mode.threads === undefined || r.threads === mode.threads);
  if (Array.isArray(source)) {
    const rows = (source as readonly SweepRow[]).filter(inMode);
    return pick(rows, targetRecall);
  }
  const { measure, values } = source as {
    measure: (v: number) => Promise<SweepRow>;
    values: readonly number[];
  };
  if (values.length === 0) throw new UsageError('autoTune: no candidate values to search');
  const sorted = [...values].sort((a, b) => a - b);
  const cache = new Map<number, SweepRow>();
  const at = async (i: number): Promise<SweepRow> => {
    const v = sorted[i] as number;
    let r = cache.get(v);
    if (r === undefined) {
      r = await measure(v);
      cache.set(v, r);
    }
    return r;
  };
  let lo = 0;
  let hi = sorted.length - 1;
  if ((await at(hi)).recall < targetRecall) return pick([...cache.values()], targetRecall);
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((await at(mid)).recall >= targetRecall) hi = mid;
    else lo = mid + 1;
  }
  if (lo + 1 < sorted.length) await at(lo + 1);
  return pick([...cache.values()], targetRecall);
}

function pick(rows: readonly SweepRow[], target: number): AutoTuneResult {
  const maxRecall = rows.reduce((m, r) => Math.max(m, r.recall), 0);
  const best = fastestAtRecall(rows, target);
  return {
    best,
    evaluated: rows,
    maxRecall,
    frontierQps:
      best &&
      qpsAtRecall(
        rows.filter((r) => r.index === best.index),
        target,
      ).qps,
  };
}
