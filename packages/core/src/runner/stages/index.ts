/**
 * The trial pipeline, in order (ARCHITECTURE.md "The trial as stages"):
 *
 *   load → split → fit → embed → index → retrieve → rank → rerank → evaluate → export
 *
 * Each stage is `{ name, needs, when?, run(ctx) }`; runTrial (../trial.ts) runs those whose `when`
 * accepts the config. Hook point: an `analyze` stage (packages/eval/src/analysis, today the
 * separate `embrec analyze` command) goes between evaluate and export once experiment files get an
 * `analysis:` section (config/sections.ts has none yet, so it is not wired).
 */
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
  fitStage,
  embedStage,
  indexStage,
  retrieveStage,
  rankStage,
  rerankStage,
  evaluateStage,
  exportStage,
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
