import type { IdMap } from './ids.ts';
import type { Csr, Interactions } from './interactions.ts';

/**
 * Side features of users or items, one row per dense index of the owning IdMap.
 * - categorical: one value per row (an index into `vocab`, -1 = missing)
 * - multiHot: a bag per row (genres), as CSR over `vocab`
 * - numeric: one float per row (NaN = missing)
 */
export interface FeatureTable {
  readonly categorical: Readonly<
    Record<string, { readonly values: Int32Array; readonly vocab: readonly string[] }>
  >;
  readonly multiHot: Readonly<Record<string, { readonly bags: Csr; readonly vocab: readonly string[] }>>;
  readonly numeric: Readonly<Record<string, Float32Array>>;
}

/** What a dataset plugin loads. */
export interface Dataset {
  readonly name: string;
  readonly interactions: Interactions;
  /** Present when the source ships its own split (LightGCN format): the splitter `given` uses it. */
  readonly givenSplits?: Splits;
  readonly itemFeatures?: FeatureTable;
  readonly userFeatures?: FeatureTable;
  /** Human-readable item names (titles), by dense item index. */
  readonly itemNames?: readonly string[];
  /** Where the data came from (paths, URLs, checksums), for the run record. */
  readonly provenance?: Readonly<Record<string, string>>;
}

/** Train / validation / test interactions sharing one pair of IdMaps. */
export interface Splits {
  readonly train: Interactions;
  readonly valid?: Interactions;
  readonly test: Interactions;
}

/** A table of embeddings: row i is the vector of ids.external(i). */
export interface EmbeddingTable {
  readonly ids: IdMap;
  readonly dim: number;
  readonly vectors: Float32Array; // [ids.size, dim] row-major
}

/**
 * Top-k lists for a batch of queries. Row q holds k item indices (dense, into `itemIds`), best
 * first, padded with -1 where fewer than k exist, and their scores (-Infinity for padding).
 */
export interface CandidateSet {
  readonly itemIds: IdMap;
  readonly users: Int32Array; // [n] dense user indices of the queries
  readonly k: number;
  readonly items: Int32Array; // [n, k]
  readonly scores: Float32Array; // [n, k]
}

/**
 * Evaluation results: aggregate metrics by display name ("Recall@20") and, per metric, the value of
 * every evaluated user (aligned with `users`), which significance tests pair across runs.
 */
export interface MetricSet {
  readonly protocol: string; // "full" or "sampled-99" etc.: every output labels it
  readonly values: Readonly<Record<string, number>>;
  readonly users: Int32Array;
  readonly perUser: Readonly<Record<string, Float32Array>>;
}
