import type { AnyComponentDefinition } from '@embrec/core';
import { csvDataset } from './datasets/csv/component.ts';
import { demoDataset } from './datasets/demo/component.ts';
import { lightgcnDataset } from './datasets/lightgcn/component.ts';
import { movielens1mDataset } from './datasets/movielens-1m/component.ts';
import { movielens100kDataset } from './datasets/movielens-100k/component.ts';
import { movielensLatestDataset } from './datasets/movielens-latest/component.ts';
import { parquetDataset } from './datasets/parquet/component.ts';
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
export {
  loadInteractions,
  loadSplits,
  saveInteractions,
  saveSplits,
  writeFileAtomic,
} from './common/store.ts';
export type { DemoParams, DemoTruth } from './datasets/demo/generate.ts';
export { generateDemo } from './datasets/demo/generate.ts';
export { lightgcnSchema, loadLightGcn } from './datasets/lightgcn/component.ts';

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
