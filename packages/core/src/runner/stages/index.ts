/**
 * The trial pipeline, in order (ARCHITECTURE.md "The trial as stages"):
 *
 *   load → split → analyze-check → fit → embed → index → retrieve → rank → rerank → evaluate
 *   → export → analyze
 *
 * Each stage is `{ name, needs, when?, run(ctx) }`; runTrial (../trial.ts) runs those whose `when`
 * accepts the config. The two analysis stages run with an `analysis:` section (analyze.ts): the
 * check before training, the analysis itself after export, whose model files it reads.
 */
import { analyzeCheckStage, analyzeStage } from './analyze.ts';
import { loadStage, splitStage } from './data.ts';
import { evaluateStage } from './evaluate.ts';
import { exportStage } from './export.ts';
import { embedStage, fitStage } from './fit.ts';
import { rankStage, rerankStage } from './rank.ts';
import { indexStage, retrieveStage } from './retrieve.ts';
import type { Stage } from './types.ts';

export const STAGES: readonly Stage[] = [
  loadStage,
  splitStage,
  analyzeCheckStage,
  fitStage,
  embedStage,
  indexStage,
  retrieveStage,
  rankStage,
  rerankStage,
  evaluateStage,
  exportStage,
  analyzeStage,
];

/** Checks that every stage's `needs` name a stage placed before it (a wrongly ordered list fails early). */
export function checkOrder(stages: readonly Stage[]): void {
  const seen = new Set<string>();
  for (const s of stages) {
    for (const n of s.needs) {
      if (!seen.has(n)) throw new Error(`stage "${s.name}" needs "${n}", which does not run before it`);
    }
    seen.add(s.name);
  }
}
