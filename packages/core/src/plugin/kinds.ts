import type { Csr, Interactions } from '../types/interactions.ts';
import type {
  CandidateSet,
  Dataset,
  EmbeddingTable,
  FeatureTable,
  MetricSet,
  Splits,
} from '../types/values.ts';
import type { Logger } from '../util/log.ts';
import type { Rng } from '../util/rng.ts';
import type { AnalysisComponent } from './kinds-analysis.ts';
import type { LossComponent, SamplerComponent } from './kinds-training.ts';

/** A progress handle: a bar on a terminal, plain lines otherwise. */
export interface Progress {
  tick(n?: number, info?: Record<string, string | number>): void;
  done(): void;
}

/** What every component call receives: the trial's seed, logging, folders and tracking. */
export interface TrialContext {
  readonly trial: string;
  readonly seed: number;
  /** A stream of random numbers of this component's own (forked from the trial seed by component name). */
  readonly rng: Rng;
  readonly log: Logger;
  /** Folder of the experiment file: relative paths in parameters resolve from here. */
  readonly configDir: string;
  /** A folder where the component may write artifacts; it is moved into the run folder atomically. */
  readonly artifactsDir: string;
  /** Scratch folder kept across restarts of the same trial (checkpoints for resume). */
  readonly checkpointDir: string;
  readonly signal: AbortSignal;
  /** Number of threads the trial may use for native compute. */
  readonly threads: number;
  progress(label: string, total: number): Progress;
  /** Log metrics with an optional step (epochs): they go to metrics-history.jsonl and the trackers. */
  logMetrics(values: Readonly<Record<string, number>>, step?: number): void;
}

// ---------------------------------------------------------------------------------------------
// Data

export interface DatasetComponent {
  load(ctx: TrialContext): Promise<Dataset>;
}

/** A transform rewrites a dataset before splitting (implicit conversion, k-core, de-duplication). */
export interface TransformComponent {
  apply(data: Dataset, ctx: TrialContext): Dataset;
}

export interface SplitterComponent {
  split(data: Dataset, ctx: TrialContext): Splits;
}

// ---------------------------------------------------------------------------------------------
// Models

/**
 * How a model scores users against items. Embedding models hand over two tables (score = dot
 * product, computed natively in batches); other models (EASE, ItemKNN) score a batch of users.
 */
export type Scorer =
  | { readonly kind: 'embeddings'; readonly users: EmbeddingTable; readonly items: EmbeddingTable }
  | {
      readonly kind: 'scores';
      readonly numItems: number;
      /** Scores of every item for each user: [users.length, numItems] row-major. */
      scoreUsers(users: Int32Array): Float32Array;
    };

/** What `fit` receives. `validate` evaluates the current model on validation data (never test). */
export interface FitInput {
  readonly dataset: Dataset;
  readonly splits: Splits;
  readonly ctx: TrialContext;
  /** Present when the split has validation data: early stopping and model selection call it. */
  readonly validate?: () => Promise<MetricSet>;
}

export interface ModelComponent {
  fit(input: FitInput): Promise<void>;
  scorer(): Scorer;
  /**
   * New-user fold-in: a vector in the space of `scorer()`'s user table for a user known only by the
   * items they interacted with (dense item indices or external item IDs; unknown items are skipped).
   * Embedding models pool item vectors; LightGCN propagates one step over the list. [dim]; zeros
   * when no item is known.
   */
  foldIn?(items: Int32Array | readonly string[]): Float32Array;
  save?(dir: string): Promise<void>;
  load?(dir: string): Promise<void>;
  dispose?(): void;
}

// ---------------------------------------------------------------------------------------------
// Retrieval

/** Per-query item lists (dense item indices) as CSR: row q = indices[indptr[q]..indptr[q+1]). */
export interface QueryItemLists {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
}

export interface SearchOptions {
  /** Items never returned for a query (a user's seen items). */
  readonly exclude?: QueryItemLists;
  /** When present, only these items may be returned for a query (business filters). */
  readonly allow?: QueryItemLists;
  /** Backend parameters for this call (nprobe, efSearch, k_factor). */
  readonly params?: Readonly<Record<string, number>>;
  readonly threads?: number;
}

/** k results per query: dense row indices of the indexed table (-1 padded) and their scores. */
export interface SearchResult {
  readonly k: number;
  readonly ids: Int32Array; // [nq, k]
  readonly scores: Float32Array; // [nq, k]
}

export interface IndexStats {
  readonly type: string;
  readonly size: number;
  readonly dim: number;
  readonly memoryBytes: number;
  readonly buildMs: number;
  readonly params: Readonly<Record<string, string | number | boolean>>;
}

export interface IndexComponent {
  build(table: EmbeddingTable, ctx?: TrialContext): Promise<void>;
  /** queries: [nq, dim] row-major. */
  search(queries: Float32Array, k: number, opts?: SearchOptions): SearchResult;
  save(dir: string): Promise<void>;
  load(dir: string): Promise<void>;
  stats(): IndexStats;
  /** The indexed table's IDs (the ID map travels with the index). */
  ids(): EmbeddingTable['ids'];
  dispose(): void;
  /**
   * An approximate index returns a new, unbuilt exact index over the same metric: the runner then
   * reports the recall it loses against exact search ("Retrieval recall@k vs exact").
   */
  exactReference?(): IndexComponent;
}

export interface RankInput {
  readonly candidates: CandidateSet;
  readonly dataset: Dataset;
  readonly splits: Splits;
  readonly ctx: TrialContext;
  /** The retrieval model's item table, when it has one (MMR over embeddings reads it). */
  readonly itemEmbeddings?: EmbeddingTable;
}

/**
 * What a ranker's `fit` receives: the model's fit input plus, when the split has validation data,
 * the first stage's candidates for the users with validation items (retrieved by the model trained
 * on train, training items excluded). A ranker learns from them to put validation items first
 * among "hard" negatives; test items never enter its training.
 */
export interface RankerFitInput extends FitInput {
  readonly candidates?: CandidateSet;
}

export interface RankerComponent {
  fit?(input: RankerFitInput): Promise<void>;
  rank(input: RankInput): Promise<CandidateSet>;
  /** Saves the fitted ranker into a folder (the runner's export stage calls it; `embrec serve` loads it). */
  save?(dir: string): Promise<void>;
  /** Restores a ranker saved by `save` (created from the same config block). */
  load?(dir: string): Promise<void>;
  dispose?(): void;
}

export interface RerankerComponent {
  rerank(input: RankInput): Promise<CandidateSet>;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/**
 * A ranking metric computed per user from a ranked list and the user's relevant items.
 * `ranked` holds item indices best first (-1 padded), `relevant` is sorted ascending.
 */
export interface MetricComponent {
  /** Stable key (MLflow-safe, no '@'): "recall_at_20". */
  key(k: number): string;
  /** Display name: "Recall@20". */
  display(k: number): string;
  /** Does the metric depend on the cutoff k? (MRR over the full list does not, for example.) */
  readonly usesCutoff: boolean;
  perUser(ranked: Int32Array, relevant: Int32Array, k: number): number;
  /**
   * Optional: a metric over all users' lists at once, with access to item attributes, embeddings,
   * popularity and histories (beyond-accuracy metrics: coverage, Gini of exposure, diversity,
   * novelty, calibration). An evaluator that finds it reports `value` (and `perUser`, when given,
   * for paired tests) instead of averaging `perUser`.
   */
  aggregate?(lists: RankedLists, ctx: MetricContext, k: number): MetricValue;
}

/** Every evaluated user's ranked list: row r of `ranked` ([users.length, k], -1 padded) is users[r]'s. */
export interface RankedLists {
  readonly users: Int32Array; // dense user indices
  readonly k: number;
  readonly ranked: Int32Array; // [users.length, k] dense item indices, best first
}

/** What an aggregate metric may read besides the lists (dense indices of the dataset's ID maps). */
export interface MetricContext {
  readonly numItems: number;
  /** Training interactions per item. */
  readonly popularity: Float64Array;
  /** Training items of every user (rows = all users). */
  readonly history: Csr;
  readonly itemFeatures?: FeatureTable;
  /** The model's item table, when it has one. */
  readonly itemEmbeddings?: EmbeddingTable;
}

/** An aggregate metric's result: the value and, when it is defined per user, the users' values. */
export interface MetricValue {
  readonly value: number;
  readonly perUser?: Float32Array; // aligned with RankedLists.users
}

export interface EvaluateInput {
  readonly scorer: Scorer;
  /** Interactions whose items are masked out of each user's ranking (training items). */
  readonly mask: readonly Interactions[];
  /** The held-out interactions that count as relevant. */
  readonly target: Interactions;
  /** Item popularity in training data (for the popularity metrics and the sampled protocol). */
  readonly train: Interactions;
  readonly ctx: TrialContext;
  /** Item attributes and the model's item table, for aggregate metrics (MetricComponent.aggregate). */
  readonly itemFeatures?: FeatureTable;
  readonly itemEmbeddings?: EmbeddingTable;
}

export interface EvaluateCandidatesInput {
  readonly candidates: CandidateSet;
  readonly target: Interactions;
  readonly train: Interactions;
  readonly ctx: TrialContext;
  readonly itemFeatures?: FeatureTable;
  readonly itemEmbeddings?: EmbeddingTable;
}

export interface EvaluatorComponent {
  /** The protocol label every output carries ("full", "sampled-99"). */
  readonly protocol: string;
  /** Test items are ranked with each user's validation items masked too (not only train items). */
  readonly masksValid?: boolean;
  evaluate(input: EvaluateInput): Promise<MetricSet>;
  evaluateCandidates(input: EvaluateCandidatesInput): Promise<MetricSet>;
}

// ---------------------------------------------------------------------------------------------
// Tracking

export interface TrackedRunInfo {
  readonly experiment: string;
  readonly name: string;
  readonly params: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  /**
   * The run folder: the sweep folder for startSweep, the trial's final folder for startTrial.
   * A tracker may keep small state files there (an MLflow run id); they survive the trial's
   * atomic promotion from staging.
   */
  readonly dir?: string;
}

/**
 * A tracker mirrors runs somewhere (MLflow). The run folder on disk is always written by core and
 * is the source of truth; a tracker failure is retried and reported, never fatal.
 */
export interface TrackerComponent {
  readonly name: string;
  startSweep(info: TrackedRunInfo): Promise<void>;
  startTrial(info: TrackedRunInfo): Promise<void>;
  logMetrics(values: Readonly<Record<string, number>>, step?: number): Promise<void>;
  logArtifact(localPath: string, artifactPath: string): Promise<void>;
  endTrial(status: 'FINISHED' | 'FAILED' | 'KILLED'): Promise<void>;
  endSweep(status: 'FINISHED' | 'FAILED' | 'KILLED'): Promise<void>;
}

// ---------------------------------------------------------------------------------------------

/** The instance type a component of each kind creates. Plugins may add kinds by augmentation. */
export interface ComponentKinds {
  dataset: DatasetComponent;
  transform: TransformComponent;
  splitter: SplitterComponent;
  model: ModelComponent;
  loss: LossComponent;
  sampler: SamplerComponent;
  index: IndexComponent;
  ranker: RankerComponent;
  reranker: RerankerComponent;
  metric: MetricComponent;
  evaluator: EvaluatorComponent;
  analysis: AnalysisComponent;
  tracker: TrackerComponent;
}

export type ComponentKind = keyof ComponentKinds;
export const COMPONENT_KINDS: readonly ComponentKind[] = [
  'dataset',
  'transform',
  'splitter',
  'model',
  'loss',
  'sampler',
  'index',
  'ranker',
  'reranker',
  'metric',
  'evaluator',
  'analysis',
  'tracker',
];

export type { Csr };
