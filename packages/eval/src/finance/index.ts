import type { AnyComponentDefinition } from '@embrec/core';
import { holdingsDataset } from '../data/datasets/holdings/component.ts';
import { syntheticHoldingsDataset } from '../data/datasets/synthetic-holdings/component.ts';
import { bm25Model, textSvdModel, topicOracleModel } from './models.ts';

export { writeHoldingsCsv } from '../data/datasets/synthetic-holdings/csv.ts';
export type {
  SyntheticHoldings,
  SyntheticHoldingsParams,
} from '../data/datasets/synthetic-holdings/dataset.ts';
export { generateSyntheticHoldings } from '../data/datasets/synthetic-holdings/dataset.ts';
export { cosineNeighbours, finiteMean, holdingsMatrix, kmeansLabels, labelPurity, nmi } from './measures.ts';
export type { ProbeResult } from './probe.ts';
export { linearProbe } from './probe.ts';
export type { FinanceInput, MeasureRow } from './report.ts';
export { clientMatching, coldStartRecall, holderCounts, similarSecurities } from './report.ts';
export { TextSvdEncoder, truncatedSvd } from './text.ts';
export { tokenize } from './tokenize.ts';

/** Finance components (built-ins, namespace `embrec`): the holdings data sets and the text retrieval models. */
export const financeComponents: AnyComponentDefinition[] = [
  holdingsDataset,
  syntheticHoldingsDataset,
  textSvdModel,
  bm25Model,
  topicOracleModel,
];
