export type {
  Bundle,
  BundleInput,
  FoldIn,
  ItemInfo,
  Manifest,
  PipelineConfig,
  RerankerSpec,
} from './bundle.ts';
export { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, loadBundle, verifyBundle, writeBundle } from './bundle.ts';
export type { PrimaryOptions, SwapResult, WorkerLink, WorkerReady } from './cluster.ts';
export { runPrimary, WORKER_BUNDLE_ENV, workerLink } from './cluster.ts';
export type { EngineStages, Recommendation, RecommendOptions, Scored } from './engine.ts';
export { BadRequest, Engine, NotFound } from './engine.ts';
export type { FoldInModel, RankerSpec } from './pipeline.ts';
export { BundleRanker, featureTable, loadFoldInModel } from './pipeline.ts';
export type { ServeOptions } from './server.ts';
export { createServer } from './server.ts';
