import type { TrialConfig } from '../../config/sections.ts';
import { EmbrecError } from '../../errors.ts';

/**
 * Pipeline sizes that cannot work, found before anything runs: the lists that reach the evaluator
 * must hold at least max(evaluate.ks) items, so retrieve.k (N) must be ≥ K when a ranker or a
 * re-ranker re-orders them.
 */
export function checkPipelineSizes(cfg: TrialConfig): void {
  if (!cfg.index || (!cfg.ranker && cfg.rerankers.length === 0)) return;
  const ks = (cfg.evaluate as { ks?: readonly number[] }).ks ?? [];
  const K = ks.length > 0 ? Math.max(...ks) : 0;
  const N = cfg.retrieve?.k ?? 1000;
  if (N < K) {
    throw new EmbrecError(
      'E_CONFIG_PIPELINE',
      `retrieve.k = ${N} candidates per user is smaller than the largest evaluate.ks = ${K} (N < K): raise retrieve.k to at least ${K} or lower evaluate.ks`,
    );
  }
  const M = (cfg.ranker as { topM?: number } | undefined)?.topM;
  if (M !== undefined && M < K) {
    throw new EmbrecError(
      'E_CONFIG_PIPELINE',
      `ranker.topM = ${M} keeps fewer items than the largest evaluate.ks = ${K}: raise ranker.topM to at least ${K}`,
    );
  }
}
