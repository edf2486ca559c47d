export type { BackendInfo, SetupBackendOptions } from './backend.ts';
export { BACKEND_NAMES, setupBackend } from './backend.ts';
export type { LoadedExperiment, LoadOptions, Trial } from './config/load.ts';
export { DEFAULT_MAX_TRIALS, loadExperiment } from './config/load.ts';
export { formatPath, getPath, parsePath } from './config/merge.ts';
export { nameProblem, safeTrialName } from './config/names.ts';
export type {
  BackendName,
  Block,
  PlotSpec,
  RetrieveSettings,
  SweepSettings,
  TrialConfig,
} from './config/sections.ts';
export { SECTIONS } from './config/sections.ts';
export { countTrials } from './config/sweep.ts';
export { validateBlock } from './config/validate.ts';
export type { ConfigIssue, PluginFailureSite } from './errors.ts';
export { ConfigError, DataError, EmbrecError, PluginError, UsageError } from './errors.ts';
export { RootScope, TrialScope } from './plugin/container.ts';
export type {
  AnyComponentDefinition,
  ComponentDefinition,
  ComponentRef,
  CreateContext,
  DepSpec,
  DepsSpec,
  PluginDefinition,
  PluginMeta,
  ResolvedDeps,
} from './plugin/define.ts';
export { componentRef, defineComponent, definePlugin, refKindOf } from './plugin/define.ts';
export type {
  ComponentKind,
  ComponentKinds,
  DatasetComponent,
  EvaluateCandidatesInput,
  EvaluateInput,
  EvaluatorComponent,
  FitInput,
  IndexComponent,
  IndexStats,
  MetricComponent,
  MetricContext,
  MetricValue,
  ModelComponent,
  Progress,
  QueryItemLists,
  RankedLists,
  RankerComponent,
  RankerFitInput,
  RankInput,
  RerankerComponent,
  Scorer,
  SearchOptions,
  SearchResult,
  SplitterComponent,
  TrackedRunInfo,
  TrackerComponent,
  TransformComponent,
  TrialContext,
} from './plugin/kinds.ts';
export { COMPONENT_KINDS } from './plugin/kinds.ts';
export type {
  AnalysisCheckInput,
  AnalysisComponent,
  AnalysisInput,
  AnalysisOutput,
} from './plugin/kinds-analysis.ts';
export type {
  LossComponent,
  LossInputs,
  NegativeSample,
  SamplerComponent,
  ScoringView,
} from './plugin/kinds-training.ts';
export type { RegisteredComponent } from './plugin/registry.ts';
export { BUILTIN_NAMESPACE, Registry } from './plugin/registry.ts';
export { importPlugin, type PluginPackage, resolvePlugin } from './plugin/resolve.ts';
export type { PerUserEntry } from './runner/artifacts.ts';
export { writeEmbeddingTable } from './runner/artifacts.ts';
export type { PerUserVector } from './runner/artifacts-read.ts';
export { hasTrialEmbeddings, readPerUser, readTrialEmbeddings } from './runner/artifacts-read.ts';
export type { AssembleOptions, CallSite } from './runner/assemble.ts';
export { Assembler, construct, validated } from './runner/assemble.ts';
export { standaloneContext } from './runner/context.ts';
export type { RunEvent } from './runner/events.ts';
export {
  bytesOf,
  pidAlive,
  sweepStaleTemps,
  WriteError,
  writeFileAtomic,
  writeFolderAtomic,
  writeJsonAtomic,
} from './runner/fs.ts';
export { idCsv, parseIdCsv } from './runner/id-csv.ts';
export type { SweepRecord, TrialStatus } from './runner/layout.ts';
export { layout, readStatus } from './runner/layout.ts';
export type { LockHolder } from './runner/lock.ts';
export { LockedError } from './runner/lock.ts';
export type { NpyArray } from './runner/npy.ts';
export { npyBytes, parseNpy } from './runner/npy.ts';
export type { RunOptions, SweepOutcome } from './runner/run.ts';
export { configHash, formatError, runExperiment, sweepDirOf } from './runner/run.ts';
export type { MetricPhase } from './runner/run-names.ts';
export { flattenParams, metricKey, paramsHash, phaseMetrics, TAGS } from './runner/run-names.ts';
export type { RecommendationSample } from './runner/samples.ts';
export { IdMap } from './types/ids.ts';
export type { Csr, Interactions, SortedRows } from './types/interactions.ts';
export {
  hasItem,
  itemCounts,
  makeInteractions,
  numItems,
  numUsers,
  selectRows,
  size,
  sortedRows,
  transposeCsr,
  userCsr,
} from './types/interactions.ts';
export type {
  CandidateSet,
  Dataset,
  EmbeddingTable,
  FeatureTable,
  MetricSet,
  Splits,
} from './types/values.ts';
export { candidateScoreStats } from './util/candidates.ts';
export type { Logger, LogLevel } from './util/log.ts';
export { createLogger, silentLogger } from './util/log.ts';
export { ensureAllocatable, formatBytes, LimitError, MAX_TYPED_ARRAY_LENGTH } from './util/memory.ts';
export { mmrSelect } from './util/mmr.ts';
export { cumulativeIndex, Rng } from './util/rng.ts';
export { didYouMean } from './util/suggest.ts';
export type { TopKLists } from './util/topk.ts';
export { dot, sliceLists, TopK, topkDotJs, topkRowsJs } from './util/topk.ts';
export { coreVersion } from './version.ts';
