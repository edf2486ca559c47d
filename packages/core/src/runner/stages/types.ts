import type { TrialConfig } from '../../config/sections.ts';
import type { EvaluatorComponent, ModelComponent, Scorer, TrialContext } from '../../plugin/kinds.ts';
import type { Registry } from '../../plugin/registry.ts';
import type { CandidateSet, Dataset, MetricSet, Splits } from '../../types/values.ts';
import type { Logger } from '../../util/log.ts';
import type { Assembler } from '../assemble.ts';
import type { TrialEnv } from '../context.ts';
import type { RecommendationSample } from '../samples.ts';

/**
 * One step of a trial. `needs` names the stages whose results it reads (the loop checks they ran);
 * `when` says whether the config asks for it (absent: always).
 */
export interface Stage {
  readonly name: string;
  readonly needs: readonly string[];
  when?(cfg: TrialConfig): boolean;
  run(ctx: StageContext): Promise<void>;
}

/** A list of candidates as it left one stage of the pipeline, with the stage's time. */
export interface StageLists {
  readonly label: string;
  readonly candidates: CandidateSet;
  readonly ms: number;
}

/** Per-user metric vectors to write: `prefix` names the files, `suffix` the display names. */
export interface PerUserSet {
  readonly set: MetricSet;
  readonly prefix: string;
  readonly suffix: string;
}

/** What the stages hand each other. Each field is set by the stage named beside it. */
export interface TrialState {
  dataset?: Dataset; // load
  splits?: Splits; // split
  evaluator?: EvaluatorComponent; // fit
  model?: ModelComponent; // fit
  /** Scores the model on validation data while it trains (fit; a ranker's fit reuses it). */
  validate?: () => Promise<MetricSet>;
  scorer?: Scorer; // embed
  candidates?: CandidateSet; // retrieve, then rank and rerank replace it
  readonly lists: StageLists[]; // retrieve, rank, rerank
  readonly metrics: Record<string, number>; // retrieve, evaluate
  readonly perUser: PerUserSet[]; // evaluate
  protocol?: string; // evaluate
  samples?: readonly RecommendationSample[]; // export
}

/** What a stage gets: the config, the state, and the trial's helpers. */
export interface StageContext {
  readonly cfg: TrialConfig;
  readonly env: TrialEnv;
  readonly log: Logger;
  readonly registry: Registry;
  readonly assembler: Assembler;
  readonly state: TrialState;
  /** Stage timings in ms, as written to stages.json. */
  readonly times: Record<string, number>;
  /** Calls plugin code; a failure becomes a PluginError naming plugin, component, stage and hook. */
  guard<T>(kind: string, type: string, hook: string, fn: () => T | Promise<T>): Promise<T>;
  /** Times `fn` under `label` (stages.json, the progress line). */
  timed<T>(label: string, fn: () => Promise<T>): Promise<T>;
  /** The context a component's hook gets. */
  ctxFor(kind: string, type: string): TrialContext;
}

/** The state field a stage needs, or a clear error when it is missing (a stage ran out of order). */
export function need<T>(value: T | undefined, what: string, stage: string): T {
  if (value === undefined) throw new Error(`stage ${stage} needs ${what}, which no earlier stage produced`);
  return value;
}
