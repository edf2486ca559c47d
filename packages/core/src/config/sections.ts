import type { ComponentKind } from '../plugin/kinds.ts';

/** Where each component kind sits in an experiment file. */
export interface SectionSpec {
  readonly key: string;
  readonly kind: ComponentKind;
  readonly many: boolean;
  readonly required: boolean;
  /** Default block when absent (e.g. evaluate: { type: full }). */
  readonly default?: Record<string, unknown>;
}

export const SECTIONS: readonly SectionSpec[] = [
  { key: 'dataset', kind: 'dataset', many: false, required: true },
  { key: 'transforms', kind: 'transform', many: true, required: false },
  { key: 'split', kind: 'splitter', many: false, required: true },
  { key: 'model', kind: 'model', many: false, required: true },
  { key: 'loss', kind: 'loss', many: false, required: false },
  { key: 'sampler', kind: 'sampler', many: false, required: false },
  { key: 'index', kind: 'index', many: false, required: false },
  { key: 'ranker', kind: 'ranker', many: false, required: false },
  { key: 'rerankers', kind: 'reranker', many: true, required: false },
  { key: 'evaluate', kind: 'evaluator', many: false, required: false, default: { type: 'full' } },
  { key: 'analysis', kind: 'analysis', many: false, required: false },
  { key: 'trackers', kind: 'tracker', many: true, required: false },
];

export const SECTION_BY_KEY: ReadonlyMap<string, SectionSpec> = new Map(SECTIONS.map((s) => [s.key, s]));

/** Top-level keys that are not component sections. */
export const PLAIN_KEYS = [
  'name',
  'description',
  'extends',
  'seed',
  'backend',
  'threads',
  'plugins',
  'output',
  'retrieve',
  'sweep',
  'plots',
  '$schema',
] as const;

export const BACKENDS = ['auto', 'tensorflow', 'native', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** A component block after validation: qualified type plus parameters with defaults filled in. */
export interface Block {
  readonly type: string;
  readonly [param: string]: unknown;
}

export interface RetrieveSettings {
  /** Candidates per user taken from the index. */
  readonly k: number;
}

export interface SweepSettings {
  readonly mode: 'grid' | 'random';
  readonly samples?: number;
  readonly seeds?: readonly number[];
  readonly baseline?: string;
  readonly params: Readonly<Record<string, readonly unknown[] | RandomRange>>;
}

export interface RandomRange {
  readonly min: number;
  readonly max: number;
  readonly log?: boolean;
  readonly int?: boolean;
}

/** A sweep-level plot: metric `y` against the config value at path `x`, mean ± 95% CI over seeds. */
export interface PlotSpec {
  readonly x: string;
  readonly y: string;
  readonly title?: string;
  readonly xScale: 'linear' | 'log';
}

/** One fully resolved trial configuration (what `embrec plan` prints and runs save as config.json). */
export interface TrialConfig {
  readonly name: string;
  readonly description?: string;
  readonly seed: number;
  readonly backend: BackendName;
  readonly threads: number;
  readonly plugins: readonly string[];
  readonly output: string;
  readonly dataset: Block;
  readonly transforms: readonly Block[];
  readonly split: Block;
  readonly model: Block;
  readonly loss?: Block;
  readonly sampler?: Block;
  readonly index?: Block;
  readonly retrieve?: RetrieveSettings;
  readonly ranker?: Block;
  readonly rerankers: readonly Block[];
  readonly evaluate: Block;
  /** Embedding analysis after export (stages/analyze.ts): neighbours, maps, attribute structure. */
  readonly analysis?: Block;
  readonly trackers: readonly Block[];
}
