/** What a sweep has done so far: its finished, failed and skipped trials, their metrics, and why it stopped. */
import type { EmbrecError } from '../errors.ts';
import type { RecommendationSample } from './samples.ts';

export interface SweepOutcome {
  readonly dir: string;
  readonly finished: string[];
  readonly failed: { trial: string; error: EmbrecError | Error }[];
  readonly skipped: string[];
  readonly aborted: boolean;
  readonly metrics: Record<string, Record<string, number>>;
  /** Why the sweep stopped before its end (the --max-failures circuit breaker). */
  readonly stopped?: string;
}

export class SweepTally {
  readonly finished: string[] = [];
  readonly failed: { trial: string; error: Error }[] = [];
  readonly skipped: string[] = [];
  readonly metrics: Record<string, Record<string, number>> = {};
  readonly samples: Record<string, readonly RecommendationSample[]> = {};
  /** Interrupted (Ctrl-C): the trial that was running is not promoted. */
  aborted = false;
  stopped: string | undefined;
  readonly #maxFailures: number;

  constructor(maxFailures: number) {
    this.#maxFailures = maxFailures;
  }

  /** Records a failed trial; true when the circuit breaker trips (`stopped` then says why). */
  fail(trial: string, error: Error): boolean {
    this.failed.push({ trial, error });
    if (this.failed.length < this.#maxFailures) return false;
    this.stopped = `stopping the sweep: ${this.failed.length} trials failed (--max-failures ${this.#maxFailures})`;
    return true;
  }

  outcome(dir: string): SweepOutcome {
    const { finished, failed, skipped, aborted, metrics, stopped } = this;
    return stopped
      ? { dir, finished, failed, skipped, aborted, metrics, stopped }
      : { dir, finished, failed, skipped, aborted, metrics };
  }
}
