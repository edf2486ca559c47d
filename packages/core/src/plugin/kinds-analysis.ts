import type { Dataset, EmbeddingTable, Splits } from '../types/values.ts';
import type { TrialContext } from './kinds.ts';

/**
 * The `analysis:` section's component: it looks inside a trained model's embedding space (the
 * built-in `embeddings` of @embrec/eval: neighbours, t-SNE/UMAP maps, attribute structure,
 * popularity bias) and writes a report. The runner calls `check` right after the split, before any
 * training, so bad input (an attribute the data set lacks, too few items for the maps) fails in
 * seconds; `analyze` runs after export (stages/analyze.ts).
 */
export interface AnalysisComponent {
  /** Fails with a clear error when the analysis cannot run on this data. */
  check?(input: AnalysisCheckInput): void | Promise<void>;
  /** Writes the report into `outDir`; returns summary numbers the trial records as metrics. */
  analyze(input: AnalysisInput): Promise<AnalysisOutput>;
}

export interface AnalysisCheckInput {
  readonly dataset: Dataset;
  readonly splits: Splits;
  readonly ctx: TrialContext;
}

export interface AnalysisInput extends AnalysisCheckInput {
  /** The model's qualified type ("embrec/mf"). */
  readonly model: string;
  readonly items: EmbeddingTable;
  readonly users?: EmbeddingTable;
  /**
   * The trial folder being built: config.json, and the exported `artifacts/model/` (a model's
   * saved weights, where a learned item bias may be read).
   */
  readonly trialDir: string;
  /** An empty folder to write into; moved into `artifacts/analysis/` when `analyze` returns. */
  readonly outDir: string;
  /** The experiment's name (report titles). */
  readonly experiment: string;
  /** The trial's metrics so far (the evaluation's). */
  readonly metrics: Readonly<Record<string, number>>;
}

export interface AnalysisOutput {
  /** Display name → value, added to the trial's metrics (metrics.json, trackers, `embrec report`). */
  readonly metrics: Readonly<Record<string, number>>;
}
