import type { CandidateSet } from '../types/values.ts';

/**
 * Mean and standard deviation of a candidate set's finite retrieval scores (padding ids < 0 skipped);
 * std is 1 when it would be 0 or undefined. The NCF ranker standardises its retrieval-score feature
 * with these, and the export stage stores them so that a served ranker standardises alike.
 */
export function candidateScoreStats(c: CandidateSet): { mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (let p = 0; p < c.items.length; p++) {
    const v = c.scores[p]!;
    if (c.items[p]! < 0 || !Number.isFinite(v)) continue;
    s += v;
    s2 += v * v;
    n++;
  }
  const mean = n > 0 ? s / n : 0;
  const std = n > 1 ? Math.sqrt(Math.max(s2 / n - mean * mean, 0)) || 1 : 1;
  return { mean, std };
}
