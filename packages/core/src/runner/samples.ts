import type { Scorer } from '../plugin/kinds.ts';
import type { Interactions } from '../types/interactions.ts';
import { userCsr } from '../types/interactions.ts';
import type { CandidateSet, Dataset } from '../types/values.ts';

/** A few users' recommendations with item names, for people to look at (printed by `embrec run`). */
export interface RecommendationSample {
  readonly user: string;
  readonly recent: readonly string[];
  readonly recommended: readonly {
    readonly item: string;
    readonly name: string;
    readonly score: number;
    readonly hit: boolean;
  }[];
}

export function sampleRecommendations(opts: {
  dataset: Dataset;
  train: Interactions;
  target: Interactions;
  scorer: Scorer;
  candidates?: CandidateSet | undefined;
  users?: number;
  k?: number;
}): RecommendationSample[] {
  const n = opts.users ?? 3;
  const k = opts.k ?? 5;
  const names = opts.dataset.itemNames;
  const itemIds = opts.train.itemIds;
  const nameOf = (i: number) => names?.[i] ?? itemIds.external(i);
  const seen = userCsr(opts.train);
  const targets = userCsr(opts.target);
  const users: number[] = [];
  for (let u = 0; u < targets.rows && users.length < n; u++)
    if (targets.indptr[u + 1]! > targets.indptr[u]!) users.push(u);
  return users.map((u) => {
    const excluded = new Set(seen.indices.subarray(seen.indptr[u]!, seen.indptr[u + 1]!));
    const relevant = new Set(targets.indices.subarray(targets.indptr[u]!, targets.indptr[u + 1]!));
    let ranked: { item: number; score: number }[] = [];
    const c = opts.candidates;
    const row = c ? Array.from(c.users).indexOf(u) : -1;
    if (c && row >= 0) {
      for (let j = 0; j < c.k && ranked.length < k; j++) {
        const it = c.items[row * c.k + j]!;
        if (it >= 0) ranked.push({ item: it, score: c.scores[row * c.k + j]! });
      }
    } else {
      const scores = scoreOne(opts.scorer, u);
      const order: number[] = [];
      for (let i = 0; i < scores.length; i++) if (!excluded.has(i)) order.push(i);
      order.sort((a, b) => scores[b]! - scores[a]! || a - b);
      ranked = order.slice(0, k).map((i) => ({ item: i, score: scores[i]! }));
    }
    const hist = Array.from(seen.indices.subarray(seen.indptr[u]!, seen.indptr[u + 1]!));
    return {
      user: opts.train.userIds.external(u),
      recent: hist.slice(-3).map(nameOf),
      recommended: ranked.map((r) => ({
        item: itemIds.external(r.item),
        name: nameOf(r.item),
        score: r.score,
        hit: relevant.has(r.item),
      })),
    };
  });
}

function scoreOne(scorer: Scorer, u: number): Float32Array {
  if (scorer.kind === 'scores') return scorer.scoreUsers(Int32Array.of(u));
  const d = scorer.users.dim;
  const q = scorer.users.vectors.subarray(u * d, (u + 1) * d);
  const n = scorer.items.ids.size;
  const out = new Float32Array(n);
  const v = scorer.items.vectors;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += q[j]! * v[i * d + j]!;
    out[i] = s;
  }
  return out;
}
