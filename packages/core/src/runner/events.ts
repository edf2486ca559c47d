import type { RecommendationSample } from './samples.ts';

/** What the runner reports while it works (the CLI prints these as lines or JSON). */
export type RunEvent =
  | { type: 'sweep-start'; experiment: string; dir: string; trials: number; toRun: number }
  | { type: 'trial-skip'; trial: string; reason: string }
  | { type: 'trial-start'; trial: string; index: number; total: number }
  | { type: 'stage'; trial: string; stage: string; ms: number }
  | {
      type: 'trial-end';
      trial: string;
      status: 'FINISHED' | 'FAILED' | 'KILLED';
      metrics: Record<string, number>;
      error?: string;
      samples?: readonly RecommendationSample[];
    }
  | { type: 'warning'; message: string }
  | { type: 'sweep-end'; experiment: string; dir: string; finished: number; failed: number; skipped: number };
