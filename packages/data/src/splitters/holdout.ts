import {
  type Dataset,
  type Interactions,
  type Rng,
  type Splits,
  selectRows,
  type TrialContext,
  UsageError,
} from '@embrec/core';
import { checkSplits, type DuplicatesMode, handleDuplicates, keepPairsTogether } from './checks.ts';

/**
 * A hold-out rule: given the interactions and the candidate rows, mark which of those rows are
 * held out (1) and which stay (0). Splitters apply the same rule twice: all rows → test, then the
 * remaining train rows → validation.
 */
export type Holdout = (x: Interactions, rows: Int32Array) => Uint8Array;

/** Candidate rows grouped by user: positions into `rows`, CSR by user. */
function byUser(x: Interactions, rows: Int32Array): { ptr: Int32Array; pos: Int32Array } {
  const nU = x.userIds.size;
  const ptr = new Int32Array(nU + 1);
  for (let k = 0; k < rows.length; k++) ptr[x.users[rows[k]!]! + 1]!++;
  for (let u = 0; u < nU; u++) ptr[u + 1]! += ptr[u]!;
  const fill = ptr.slice(0, nU);
  const pos = new Int32Array(rows.length);
  for (let k = 0; k < rows.length; k++) pos[fill[x.users[rows[k]!]!]!++] = k;
  return { ptr, pos };
}

/** Per user, a random share `ratio` of the rows (rounded; at least one row stays with the user). */
export function randomRatio(ratio: number, rng: Rng): Holdout {
  return (x, rows) => {
    const out = new Uint8Array(rows.length);
    const { ptr, pos } = byUser(x, rows);
    for (let u = 0; u + 1 < ptr.length; u++) {
      const mine = pos.subarray(ptr[u]!, ptr[u + 1]!);
      const n = mine.length;
      const take = Math.min(Math.round(n * ratio), n - 1);
      if (take <= 0) continue;
      rng.shuffle(mine);
      for (let j = 0; j < take; j++) out[mine[j]!] = 1;
    }
    return out;
  };
}

export function requireTimestamps(x: Interactions, splitter: string): Float64Array {
  if (!x.timestamps)
    throw new UsageError(
      `${splitter}: the dataset has no timestamps, so a time order is impossible; use order: random (or a dataset with timestamps)`,
    );
  return x.timestamps;
}

/**
 * Per user, the last `k` rows: by timestamp (ties broken by row order: the later row counts as
 * later) or in a random order. At least one row stays with the user.
 */
export function lastK(k: number, order: 'time' | 'random', rng: Rng, splitter: string): Holdout {
  return (x, rows) => {
    const ts = order === 'time' ? requireTimestamps(x, splitter) : undefined;
    const out = new Uint8Array(rows.length);
    const { ptr, pos } = byUser(x, rows);
    for (let u = 0; u + 1 < ptr.length; u++) {
      const mine = pos.subarray(ptr[u]!, ptr[u + 1]!);
      const n = mine.length;
      const take = Math.min(k, n - 1);
      if (take <= 0) continue;
      if (ts) mine.sort((a, b) => ts[rows[a]!]! - ts[rows[b]!]! || rows[a]! - rows[b]!);
      else rng.shuffle(mine);
      for (let j = n - take; j < n; j++) out[mine[j]!] = 1;
    }
    return out;
  };
}

/** The time at quantile q of the candidate rows (rows at or before it stay; later ones are held out). */
export function quantileCut(ts: Float64Array, rows: Int32Array, q: number): number {
  const v = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) v[k] = ts[rows[k]!]!;
  v.sort();
  if (v.length === 0) return Number.POSITIVE_INFINITY;
  const at = Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1));
  return v[at]!;
}

/** A global time cut: rows after `at` (or after the quantile `quantile` of the rows' times) are held out. */
export function timeCut(cut: { at?: number | undefined; quantile: number }, splitter: string): Holdout {
  return (x, rows) => {
    const ts = requireTimestamps(x, splitter);
    const t = cut.at ?? quantileCut(ts, rows, cut.quantile);
    const out = new Uint8Array(rows.length);
    for (let k = 0; k < rows.length; k++) out[k] = ts[rows[k]!]! > t ? 1 : 0;
    return out;
  };
}

/**
 * Splits with `test` held out of all rows, then `valid` (when given) held out of the rest. With
 * `together`, rows of one (user, item) pair stay on one side (`split.duplicates: keep`).
 */
export function splitWith(
  x: Interactions,
  test: Holdout,
  valid?: Holdout,
  opts: { together?: boolean } = {},
): Splits {
  const all = new Int32Array(x.users.length);
  for (let r = 0; r < all.length; r++) all[r] = r;
  const part = (rows: Int32Array, flags: Uint8Array, want: number): Int32Array => {
    let n = 0;
    for (let k = 0; k < flags.length; k++) if (flags[k] === want) n++;
    const out = new Int32Array(n);
    let j = 0;
    for (let k = 0; k < flags.length; k++) if (flags[k] === want) out[j++] = rows[k]!;
    return out;
  };
  const tf = test(x, all);
  if (opts.together) keepPairsTogether(x, all, tf);
  const testRows = part(all, tf, 1);
  let trainRows = part(all, tf, 0);
  if (!valid) return { train: selectRows(x, trainRows), test: selectRows(x, testRows) };
  const vf = valid(x, trainRows);
  if (opts.together) keepPairsTogether(x, trainRows, vf);
  const validRows = part(trainRows, vf, 1);
  trainRows = part(trainRows, vf, 0);
  return { train: selectRows(x, trainRows), valid: selectRows(x, validRows), test: selectRows(x, testRows) };
}

/**
 * What every hold-out splitter runs: `split.duplicates` on the rows, the split, then the checks
 * that the result can be evaluated (checks.ts).
 */
export function splitDataset(
  data: Dataset,
  ctx: Pick<TrialContext, 'log'>,
  splitter: string,
  duplicates: DuplicatesMode,
  test: Holdout,
  valid?: Holdout,
): Splits {
  const x = handleDuplicates(data, duplicates, ctx, splitter);
  const s = splitWith(x, test, valid, { together: duplicates === 'keep' });
  return checkSplits(data, s, ctx, splitter);
}
