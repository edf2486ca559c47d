import type { AnyComponentDefinition } from '@embrec/core';
import { bm25Model, coHoldingModel, textSvdModel, topicOracleModel } from './models.ts';

export {
  cosineNeighbours,
  finiteMean,
  holdingsMatrix,
  kmeansLabels,
  labelPurity,
  nmi,
  purityChance,
} from './measures.ts';
export type { ProbeResult } from './probe.ts';
export { linearProbe } from './probe.ts';
export type { FinanceInput, MeasureRow, Paired } from './report.ts';
export {
  clientMatching,
  coldStartRecall,
  holderCounts,
  pairedSummary,
  similarSecurities,
} from './report.ts';
export { TextSvdEncoder, truncatedSvd } from './text.ts';

/** Finance components (built-ins, namespace `embrec`): the text retrieval models, the co-holding representation (the holdings data sets are @embrec/data's). */
export const financeComponents: AnyComponentDefinition[] = [
  textSvdModel,
  bm25Model,
  topicOracleModel,
  coHoldingModel,
];
