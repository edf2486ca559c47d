import { coreVersion, definePlugin } from '@embrec/core';
import { mlflowTrackerComponent } from './component.ts';

/**
 * The MLflow tracker (`trackers: [{ type: mlflow }]`, added by itself when MLFLOW_TRACKING_URI is
 * an http(s) server), its REST client and the offline sync of run folders (`embrec track sync`).
 * The CLI loads it with the other built-in plugins.
 */
const plugin = definePlugin({
  meta: { name: '@embrec/mlflow', version: coreVersion, namespace: 'embrec' },
  engines: { '@embrec/core': `^${coreVersion}` }, // released with core: one version (core/src/version.ts)
  components: [mlflowTrackerComponent],
});
export default plugin;

export { mlflowTrackerComponent } from './component.ts';
export type {
  MlflowArtifactFile,
  MlflowClientOptions,
  MlflowExperiment,
  MlflowKeyValue,
  MlflowMetric,
  MlflowRun,
  MlflowRunInfo,
  RetryOptions,
  RunStatus,
} from './mlflow-client.ts';
export { DEFAULT_RETRY, MlflowClient, MlflowError } from './mlflow-client.ts';
export type { MetricPhase } from './mlflow-names.ts';
export { flattenParams, MLFLOW_LIMITS, mlflowKey, phaseMetrics, truncateValue } from './mlflow-names.ts';
export type { MlflowTrackerOptions, TrackedRunInfoWithDir } from './mlflow-tracker.ts';
export { MlflowTracker } from './mlflow-tracker.ts';
export type { MarkerEntry, OutboxEntry, StatusFile, SweepFile } from './run-folder.ts';
export { isOwnFile, MARKER_FILE, OUTBOX_FILE, readOutbox } from './run-folder.ts';
export type { SyncedRun, SyncOptions, SyncSummary } from './sync.ts';
export { describeSync, syncRuns } from './sync.ts';
export { configHash, embrecVersion, runKey, TAGS } from './tags.ts';
