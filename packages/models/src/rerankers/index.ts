import type { AnyComponentDefinition } from '@embrec/core';
import { calibratedComponent } from './calibrated.ts';
import { fairnessComponent } from './fairness.ts';
import { mmrComponent } from './mmr.ts';
import { rulesComponent } from './rules.ts';

/** Built-in re-rankers (kind `reranker`), applied in the order of the experiment's `rerankers:` list. */
export const rerankerComponents: AnyComponentDefinition[] = [
  mmrComponent,
  calibratedComponent,
  rulesComponent,
  fairnessComponent,
];

export { CalibratedReranker, calibratedComponent } from './calibrated.ts';
export { FairnessReranker, fairnessComponent } from './fairness.ts';
export { MmrReranker, mmrComponent } from './mmr.ts';
export { RulesReranker, rulesComponent } from './rules.ts';
