import { DataError, type Interactions } from '@embrec/core';
import type { Sentences } from '@embrec/native';

/** Each user's training items in order (CSR over users), and the sentences Item2Vec trains on. */
export interface ItemSequences {
  /** User u's history: items[indptr[u] .. indptr[u+1]), oldest first. */
  readonly history: { readonly indptr: Int32Array; readonly items: Int32Array };
  /** One sentence per user, or per session when `sessionGap` splits histories. */
  readonly sentences: Sentences;
  /** True when the order comes from timestamps, false when it is the file's order. */
  readonly timed: boolean;
}

/**
 * Builds the "sentences" of Item2Vec from training interactions: each user's history in time order
 * when the interactions carry timestamps (ties keep the file's order), else in the file's order
 * (LightGCN-format files have no timestamps). With `sessionGap` (seconds) a history is split where
 * two consecutive interactions are more than `sessionGap` apart; that needs timestamps.
 */
export function itemSequences(
  train: Interactions,
  opts: { sessionGap?: number | undefined } = {},
): ItemSequences {
  const ts = train.timestamps;
  if (opts.sessionGap !== undefined && !ts) {
    throw new DataError(
      `item2vec: sessionGap (${opts.sessionGap} s) needs timestamps, but the training interactions have none ` +
        '(LightGCN-format files carry none): remove model.sessionGap or use a data set with timestamps',
    );
  }
  const nu = train.userIds.size;
  const n = train.users.length;
  const indptr = new Int32Array(nu + 1);
  for (let r = 0; r < n; r++) indptr[train.users[r]! + 1]!++;
  for (let u = 0; u < nu; u++) indptr[u + 1]! += indptr[u]!;
  const rows = new Int32Array(n); // interaction rows grouped by user, in file order
  const fill = indptr.slice(0, nu);
  for (let r = 0; r < n; r++) rows[fill[train.users[r]!]!++] = r;
  if (ts) {
    for (let u = 0; u < nu; u++) {
      const part = rows.subarray(indptr[u]!, indptr[u + 1]!);
      // a stable sort by time: ties broken by the row (file) order
      part.sort((a, b) => ts[a]! - ts[b]! || a - b);
    }
  }
  const items = new Int32Array(n);
  for (let p = 0; p < n; p++) items[p] = train.items[rows[p]!]!;
  const history = { indptr, items };
  if (opts.sessionGap === undefined || !ts) return { history, sentences: history, timed: ts !== undefined };

  const gap = opts.sessionGap;
  const cuts: number[] = [0];
  for (let u = 0; u < nu; u++) {
    for (let p = indptr[u]! + 1; p < indptr[u + 1]!; p++) {
      if (ts[rows[p]!]! - ts[rows[p - 1]!]! > gap) cuts.push(p);
    }
    if (indptr[u + 1]! > indptr[u]!) cuts.push(indptr[u + 1]!);
  }
  return { history, sentences: { indptr: Int32Array.from(cuts), items }, timed: true };
}
