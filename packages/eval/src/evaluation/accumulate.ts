import {
  DataError,
  type MetricComponent,
  type MetricContext,
  type MetricSet,
  UsageError,
} from '@embrec/core';

export interface AccumulatorOptions {
  readonly metrics: readonly MetricComponent[];
  readonly ks: readonly number[];
  /** Number of evaluated users (rows). */
  readonly rows: number;
  /** Appended to every display name: " (sampled 99)". */
  readonly displaySuffix?: string;
  /** Item popularity in training data: enables Coverage@k and AvgPop@k. */
  readonly popularity?: Float64Array;
  /** What aggregate metrics (MetricComponent.aggregate: diversity, calibration...) read. */
  readonly listContext?: MetricContext;
}

interface Slot {
  readonly display: string;
  readonly k: number;
  readonly metric: MetricComponent;
  readonly values: Float32Array;
}

/**
 * Collects per-user metric values from ranked lists and turns them into a MetricSet. Aggregates are
 * means over the evaluated users, except Coverage@k (distinct recommended items / all items).
 * Both `values` and `perUser` are keyed by display name (`Recall@20`); `metricKey` gives the
 * MLflow-safe key (`recall_at_20`).
 */
export class MetricAccumulator {
  readonly #slots: Slot[] = [];
  readonly #opts: AccumulatorOptions;
  readonly #pop: { k: number; values: Float32Array; seen: Uint8Array }[] = [];
  readonly #sums: Map<string, number> = new Map();
  /** Every row's top max(ks), kept only when an aggregate metric needs the lists: [rows, maxK]. */
  #lists: Int32Array | undefined;
  readonly #maxK: number;

  constructor(opts: AccumulatorOptions) {
    this.#opts = opts;
    const suffix = opts.displaySuffix ?? '';
    const maxK = Math.max(...opts.ks);
    this.#maxK = maxK;
    if (opts.metrics.some((m) => m.aggregate)) this.#lists = new Int32Array(opts.rows * maxK).fill(-1);
    for (const metric of opts.metrics) {
      const ks = metric.usesCutoff ? opts.ks : [maxK];
      for (const k of ks) {
        const display = metric.display(k) + suffix;
        if (this.#slots.some((s) => s.display === display)) continue;
        this.#slots.push({ display, k, metric, values: new Float32Array(opts.rows) });
      }
    }
    if (opts.popularity) {
      for (const k of opts.ks) {
        this.#pop.push({
          k,
          values: new Float32Array(opts.rows),
          seen: new Uint8Array(opts.popularity.length),
        });
      }
    }
  }

  /** Scores row `r`: `ranked` best first (-1 padded, at least max(ks) long), `relevant` sorted. */
  add(r: number, ranked: Int32Array, relevant: Int32Array): void {
    if (this.#lists) this.#lists.set(ranked.subarray(0, Math.min(ranked.length, this.#maxK)), r * this.#maxK);
    for (const s of this.#slots) {
      if (s.metric.aggregate) continue; // computed over all lists in finish()
      const v = s.metric.perUser(ranked, relevant, s.k);
      s.values[r] = v;
      this.#sums.set(s.display, (this.#sums.get(s.display) ?? 0) + v);
    }
    const pop = this.#opts.popularity;
    if (pop) {
      for (const p of this.#pop) {
        let sum = 0;
        let n = 0;
        const m = Math.min(p.k, ranked.length);
        for (let i = 0; i < m; i++) {
          const it = ranked[i]!;
          if (it < 0) continue;
          p.seen[it] = 1;
          sum += pop[it]!;
          n++;
        }
        p.values[r] = n > 0 ? sum / n : 0;
      }
    }
  }

  /** Scores row `r` as the mean over several (ranked, relevant) cases (one per held-out item). */
  addMean(r: number, cases: readonly (readonly [Int32Array, Int32Array])[]): void {
    for (const s of this.#slots) {
      if (s.metric.aggregate) {
        throw new UsageError(
          `metric ${s.display} is computed over whole recommendation lists; the sampled protocol ranks a few sampled items per case: use evaluate type full`,
        );
      }
      let v = 0;
      for (const [ranked, relevant] of cases) v += s.metric.perUser(ranked, relevant, s.k);
      v = cases.length > 0 ? v / cases.length : 0;
      s.values[r] = v;
      this.#sums.set(s.display, (this.#sums.get(s.display) ?? 0) + v);
    }
  }

  finish(protocol: string, users: Int32Array): MetricSet {
    const values: Record<string, number> = {};
    const perUser: Record<string, Float32Array> = {};
    const n = this.#opts.rows;
    // a mean over zero users is not 0: it is no result (an empty target split)
    if (n === 0)
      throw new DataError(
        `evaluate (${protocol}): no user has an interaction in the split being evaluated, so every metric would be an average over zero users; expected a non-empty validation/test split`,
      );
    for (const s of this.#slots) {
      if (s.metric.aggregate) {
        const ctx = this.#opts.listContext;
        if (!ctx || !this.#lists) {
          throw new UsageError(
            `metric ${s.display} needs item data (popularity, histories) that this evaluation does not have`,
          );
        }
        const out = s.metric.aggregate({ users, k: this.#maxK, ranked: this.#lists }, ctx, s.k);
        values[s.display] = out.value;
        if (out.perUser) perUser[s.display] = out.perUser;
        continue;
      }
      values[s.display] = n > 0 ? (this.#sums.get(s.display) ?? 0) / n : 0;
      perUser[s.display] = s.values;
    }
    const suffix = this.#opts.displaySuffix ?? '';
    for (const p of this.#pop) {
      let covered = 0;
      for (let i = 0; i < p.seen.length; i++) covered += p.seen[i]!;
      values[`Coverage@${p.k}${suffix}`] = p.seen.length > 0 ? covered / p.seen.length : 0;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += p.values[i]!;
      values[`AvgPop@${p.k}${suffix}`] = n > 0 ? sum / n : 0;
      perUser[`AvgPop@${p.k}${suffix}`] = p.values;
    }
    return { protocol, values, users, perUser };
  }
}
