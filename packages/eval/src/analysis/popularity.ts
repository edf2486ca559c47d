import jStat from 'jstat';

// jstat ships no types; stats/jstat.d.ts declares the part the stats module uses
const jstat = jStat as unknown as { spearmancoeff(a: number[], b: number[]): number };

/**
 * Popularity bias of a model: does the embedding norm (or learned bias, or how often the model
 * recommends an item) follow the item's popularity, and do recommendations concentrate on the head
 * more than the interactions do?
 */
export interface PopularityBias {
  readonly items: number;
  /** Spearman rank correlations with the item's number of training interactions. */
  readonly spearman: {
    readonly norm: number;
    readonly bias: number | null; // null: the model has no learned item bias
    readonly recommended: number;
  };
  /** Share of the recommendations (and of the training interactions) going to the most popular items. */
  readonly headShare: readonly {
    top: number;
    items: number;
    recommendations: number;
    interactions: number;
  }[];
  readonly gini: { readonly recommendations: number; readonly interactions: number };
  /** Lorenz curves: cumulative share of the total held by the least-recommended x share of items. */
  readonly lorenz: {
    readonly recommendations: readonly [number, number][];
    readonly interactions: readonly [number, number][];
  };
  readonly k: number;
  readonly users: number;
}

/** Spearman's rank correlation (jStat's, ties get mean ranks); NaN when either side is constant. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const r = jstat.spearmancoeff(Array.from(a), Array.from(b));
  return Number.isFinite(r) ? r : Number.NaN;
}

/** Gini coefficient of non-negative amounts: 0 = equal, → 1 = all on one item. */
export function gini(values: ArrayLike<number>): number {
  const x = Float64Array.from(values).sort();
  const n = x.length;
  let total = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    total += x[i]!;
    weighted += (i + 1) * x[i]!;
  }
  if (n === 0 || total === 0) return 0;
  return (2 * weighted) / (n * total) - (n + 1) / n;
}

/** Lorenz curve at up to `points` + 1 points: (share of items, share of the total), items ascending. */
export function lorenz(values: ArrayLike<number>, points = 100): [number, number][] {
  const x = Float64Array.from(values).sort();
  const n = x.length;
  const total = x.reduce((s, v) => s + v, 0);
  const out: [number, number][] = [[0, 0]];
  let acc = 0;
  let next = 1;
  for (let i = 0; i < n; i++) {
    acc += x[i]!;
    if ((i + 1) / n >= next / points || i === n - 1) {
      out.push([(i + 1) / n, total > 0 ? acc / total : 0]);
      while (next / points <= (i + 1) / n) next++;
    }
  }
  return out;
}

export function popularityBias(opts: {
  popularity: Float64Array; // training interactions per item
  norms: Float64Array;
  bias?: Float32Array | undefined;
  recommended: Float64Array; // times each item appears in the users' top-k
  k: number;
  users: number;
}): PopularityBias {
  const { popularity, recommended } = opts;
  const n = popularity.length;
  const byPop = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => popularity[b]! - popularity[a]! || a - b,
  );
  const totalRec = recommended.reduce((s, v) => s + v, 0);
  const totalPop = popularity.reduce((s, v) => s + v, 0);
  const headShare = [0.01, 0.1].map((top) => {
    const m = Math.max(1, Math.round(top * n));
    let r = 0;
    let p = 0;
    for (let j = 0; j < m; j++) {
      r += recommended[byPop[j]!]!;
      p += popularity[byPop[j]!]!;
    }
    return { top, items: m, recommendations: totalRec > 0 ? r / totalRec : 0, interactions: p / totalPop };
  });
  return {
    items: n,
    spearman: {
      norm: spearman(popularity, opts.norms),
      bias: opts.bias ? spearman(popularity, opts.bias) : null,
      recommended: spearman(popularity, recommended),
    },
    headShare,
    gini: { recommendations: gini(recommended), interactions: gini(popularity) },
    lorenz: { recommendations: lorenz(recommended), interactions: lorenz(popularity) },
    k: opts.k,
    users: opts.users,
  };
}
