import type { Interactions } from '../types/interactions.ts';
import { selectRows } from '../types/interactions.ts';
import type { CandidateSet, Dataset, Splits } from '../types/values.ts';
import { Rng } from '../util/rng.ts';
import { tinyClusteredDataset } from './fixture.ts';

/**
 * The tiny clustered dataset with a validation split (each user's first training item) and
 * retrieval-like candidate lists of `k` items per user: in-group items first, in a seeded order,
 * with decreasing scores and the user's training items excluded. `candidates` are for the test
 * users, `validCandidates` for the validation users (what a ranker's `fit` receives).
 */
export function tinyPipelineFixture(opts: { k?: number; seed?: number } = {}): {
  dataset: Dataset;
  splits: Splits;
  candidates: CandidateSet;
  validCandidates: CandidateSet;
} {
  const fx = tinyClusteredDataset();
  const tr = fx.splits.train;
  const first = new Uint8Array(tr.users.length);
  const seen = new Set<number>();
  for (let r = 0; r < tr.users.length; r++)
    if (!seen.has(tr.users[r]!)) {
      seen.add(tr.users[r]!);
      first[r] = 1;
    }
  const splits: Splits = {
    train: selectRows(
      tr,
      first.map((v) => 1 - v),
    ),
    valid: selectRows(tr, first),
    test: fx.splits.test,
  };
  const k = opts.k ?? 10;
  const make = (target: Interactions, label: string): CandidateSet => {
    const rng = new Rng(opts.seed ?? 3).fork(label);
    const ni = target.itemIds.size;
    const users = Int32Array.from(new Set(target.users));
    const items = new Int32Array(users.length * k).fill(-1);
    const scores = new Float32Array(users.length * k).fill(Number.NEGATIVE_INFINITY);
    const trainOf = new Map<number, Set<number>>();
    for (let r = 0; r < splits.train.users.length; r++) {
      const u = splits.train.users[r]!;
      if (!trainOf.has(u)) trainOf.set(u, new Set());
      trainOf.get(u)!.add(splits.train.items[r]!);
    }
    users.forEach((u, q) => {
      const pool = Array.from({ length: ni }, (_, i) => i).filter((i) => !trainOf.get(u)?.has(i));
      rng.shuffle(pool);
      pool.sort((a, b) => Number(fx.group(b) === fx.userGroup(u)) - Number(fx.group(a) === fx.userGroup(u)));
      pool.slice(0, k).forEach((it, j) => {
        items[q * k + j] = it;
        scores[q * k + j] = 1 - j / (2 * k);
      });
    });
    return { itemIds: target.itemIds, users, k, items, scores };
  };
  return {
    dataset: fx.dataset,
    splits,
    candidates: make(splits.test, 'test'),
    validCandidates: make(splits.valid!, 'valid'),
  };
}

/** Checks that `out` re-orders (a subset of) each row of `input`: same users, no new or repeated items. */
export function subsetProblems(input: CandidateSet, out: CandidateSet): string[] {
  const problems: string[] = [];
  if (out.users.length !== input.users.length)
    problems.push(`${out.users.length} rows out, ${input.users.length} in`);
  if (out.items.length !== out.users.length * out.k)
    problems.push(`items has ${out.items.length} entries, expected rows × k`);
  if (out.scores.length !== out.items.length) problems.push('scores and items differ in length');
  for (let q = 0; q < Math.min(out.users.length, input.users.length); q++) {
    if (out.users[q] !== input.users[q])
      problems.push(`row ${q} is user ${out.users[q]}, was ${input.users[q]}`);
    const allowed = new Set<number>();
    for (let j = 0; j < input.k; j++)
      if (input.items[q * input.k + j]! >= 0) allowed.add(input.items[q * input.k + j]!);
    const got = new Set<number>();
    let padded = false;
    for (let j = 0; j < out.k; j++) {
      const it = out.items[q * out.k + j]!;
      if (it < 0) {
        padded = true;
        continue;
      }
      if (padded) problems.push(`row ${q}: item after -1 padding`);
      if (!allowed.has(it)) problems.push(`row ${q}: item ${it} was not a candidate`);
      if (got.has(it)) problems.push(`row ${q}: item ${it} twice`);
      got.add(it);
      if (Number.isNaN(out.scores[q * out.k + j]!)) problems.push(`row ${q}: NaN score`);
    }
  }
  return problems.slice(0, 10);
}
