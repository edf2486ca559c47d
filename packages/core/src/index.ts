export const coreVersion = '0.1.0';
export type { ConfigIssue, PluginFailureSite } from './errors.ts';
export { ConfigError, DataError, EmbrecError, PluginError, UsageError } from './errors.ts';
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
  ModelComponent,
  Progress,
  QueryItemLists,
  RankerComponent,
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
  LossComponent,
  LossInputs,
  NegativeSample,
  SamplerComponent,
  ScoringView,
} from './plugin/kinds-training.ts';
export { IdMap } from './types/ids.ts';
export type { Csr, Interactions } from './types/interactions.ts';
export {
  itemCounts,
  makeInteractions,
  numItems,
  numUsers,
  selectRows,
  size,
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
export type { Logger, LogLevel } from './util/log.ts';
export { createLogger, silentLogger } from './util/log.ts';
export { Rng } from './util/rng.ts';
export type { BackendInfo, SetupBackendOptions } from './backend.ts';
export { BACKEND_NAMES, setupBackend } from './backend.ts';
