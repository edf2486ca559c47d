import { type AnyComponentDefinition, coreVersion, definePlugin } from '@embrec/core';
import { csvDataset } from './datasets/csv/component.ts';
import { demoDataset } from './datasets/demo/component.ts';
import { holdingsDataset } from './datasets/holdings/component.ts';
import { lightgcnDataset } from './datasets/lightgcn/component.ts';
import { movielens1mDataset } from './datasets/movielens-1m/component.ts';
import { movielens100kDataset } from './datasets/movielens-100k/component.ts';
import { movielensLatestDataset } from './datasets/movielens-latest/component.ts';
import { parquetDataset } from './datasets/parquet/component.ts';
import { syntheticHoldingsDataset } from './datasets/synthetic-holdings/component.ts';
import { givenSplitter } from './splitters/given/component.ts';
import { leaveKOutSplitter } from './splitters/leave-k-out/component.ts';
import { leaveOneOutSplitter } from './splitters/leave-one-out/component.ts';
import { randomSplitter } from './splitters/random/component.ts';
import { temporalSplitter } from './splitters/temporal/component.ts';
import { dedupTransform } from './transforms/dedup/component.ts';
import { implicitTransform } from './transforms/implicit/component.ts';
import { kCoreTransform } from './transforms/k-core/component.ts';

export { concatInteractions, InteractionsBuilder } from './common/builder.ts';
export { compactDataset, mapInteractions } from './common/dataset.ts';
export { loadInteractions, loadSplits, saveInteractions, saveSplits } from './common/store.ts';
export { tokenize } from './common/tokenize.ts';
export type { DemoParams, DemoTruth } from './datasets/demo/generate.ts';
export { generateDemo } from './datasets/demo/generate.ts';
export { holdingsDataset } from './datasets/holdings/component.ts';
export { parseDateField } from './datasets/holdings/load.ts';
export { lightgcnSchema, loadLightGcn } from './datasets/lightgcn/component.ts';
export {
  syntheticHoldingsDataset,
  syntheticHoldingsSchema,
} from './datasets/synthetic-holdings/component.ts';
export { writeHoldingsCsv } from './datasets/synthetic-holdings/csv.ts';
export type { SyntheticHoldings, SyntheticHoldingsParams } from './datasets/synthetic-holdings/dataset.ts';
export { generateSyntheticHoldings } from './datasets/synthetic-holdings/dataset.ts';
export { randomSplitter } from './splitters/random/component.ts';

/** Dataset, transform and splitter components (built-ins, namespace `embrec`). */
export const dataComponents: AnyComponentDefinition[] = [
  demoDataset,
  movielens100kDataset,
  movielens1mDataset,
  movielensLatestDataset,
  csvDataset,
  lightgcnDataset,
  parquetDataset,
  implicitTransform,
  kCoreTransform,
  dedupTransform,
  givenSplitter,
  randomSplitter,
  leaveOneOutSplitter,
  leaveKOutSplitter,
  temporalSplitter,
];

/** The holdings data sets (finance): a holdings folder, and the seeded synthetic factor world. */
export const holdingsComponents: AnyComponentDefinition[] = [holdingsDataset, syntheticHoldingsDataset];

/**
 * Built-in data sets, transforms and splitters (namespace `embrec`): loading data is not evaluation,
 * so models, serving and the finance loaders use it without the evaluator.
 */
const plugin = definePlugin({
  meta: { name: '@embrec/data', version: coreVersion, namespace: 'embrec' },
  engines: { '@embrec/core': `^${coreVersion}` }, // released with core: one version (core/src/version.ts)
  components: [...dataComponents, ...holdingsComponents],
});
export default plugin;
