import type { CandidateSet, Dataset, IdMap, RankInput } from '@embrec/core';
import { UsageError } from '@embrec/core';
import { z } from 'zod';

/** `k`: the length of the output lists (default: the input's). */
export const outputK = z
  .number()
  .int()
  .positive()
  .optional()
  .describe('length of the output lists (default: the length of the input lists)');

/** The output length, or a clear error when the input lists are shorter (N < K). */
export function checkK(name: string, c: CandidateSet, k: number | undefined): number {
  const K = k ?? c.k;
  if (K > c.k) {
    throw new UsageError(
      `${name}: k = ${K} but the candidate lists hold only ${c.k} items (N < K): raise retrieve.k (or the ranker's topM) to at least ${K}, or lower k`,
    );
  }
  return K;
}

/** An item attribute of the dataset, by name: its categories (categorical or multi-hot) or its numbers. */
export type Attribute =
  | {
      readonly kind: 'categories';
      readonly name: string;
      readonly size: number;
      of(item: number): readonly number[];
    }
  | { readonly kind: 'numeric'; readonly name: string; of(item: number): number };

/** Names of the dataset's item attributes. */
export function attributeNames(dataset: Dataset): string[] {
  const f = dataset.itemFeatures;
  return [
    ...Object.keys(f?.categorical ?? {}),
    ...Object.keys(f?.multiHot ?? {}),
    ...Object.keys(f?.numeric ?? {}),
  ];
}

/** Looks up an item attribute; an unknown name is an error naming it and the attributes that exist. */
export function itemAttribute(
  component: string,
  dataset: Dataset,
  name: string,
  want?: Attribute['kind'],
): Attribute {
  const f = dataset.itemFeatures;
  const cat = f?.categorical[name];
  const bag = f?.multiHot[name];
  const num = f?.numeric[name];
  const found: Attribute | undefined = cat
    ? {
        kind: 'categories',
        name,
        size: cat.vocab.length,
        of: (i) => {
          const v = cat.values[i] ?? -1;
          return v >= 0 ? [v] : [];
        },
      }
    : bag
      ? {
          kind: 'categories',
          name,
          size: bag.vocab.length,
          of: (i) =>
            i < bag.bags.rows
              ? Array.from(bag.bags.indices.subarray(bag.bags.indptr[i]!, bag.bags.indptr[i + 1]!))
              : [],
        }
      : num
        ? { kind: 'numeric', name, of: (i) => num[i] ?? Number.NaN }
        : undefined;
  if (!found || (want && found.kind !== want)) {
    const names = attributeNames(dataset);
    const what =
      want === 'numeric'
        ? 'numeric item attribute'
        : want === 'categories'
          ? 'categorical or multi-hot item attribute'
          : 'item attribute';
    throw new UsageError(
      `${component}: ${found ? `"${name}" is not a ${what}` : `unknown ${what} "${name}"`} in dataset "${dataset.name}" (item attributes: ${names.join(', ') || 'none'})`,
    );
  }
  return found;
}

/** Category index of each value name of a categorical/multi-hot attribute; unknown values are errors. */
export function categoryIndex(
  component: string,
  dataset: Dataset,
  name: string,
  values: readonly string[],
): Set<number> {
  const f = dataset.itemFeatures;
  const vocab = f?.categorical[name]?.vocab ?? f?.multiHot[name]?.vocab;
  if (!vocab) itemAttribute(component, dataset, name, 'categories');
  const out = new Set<number>();
  for (const v of values) {
    const i = vocab!.indexOf(v);
    if (i < 0)
      throw new UsageError(
        `${component}: "${v}" is not a value of item attribute "${name}" (values: ${vocab!.join(', ')})`,
      );
    out.add(i);
  }
  return out;
}

/** Dataset item index of each candidate item index (the candidate set may carry another ID map). */
export function datasetItems(c: CandidateSet, dataset: Dataset): (i: number) => number {
  const to: IdMap = dataset.interactions.itemIds;
  if (c.itemIds === to) return (i) => i;
  const map = new Int32Array(c.itemIds.size);
  for (let i = 0; i < map.length; i++) map[i] = to.get(c.itemIds.external(i)) ?? -1;
  return (i) => map[i]!;
}

/** Valid (non-padding) positions of row q. */
export function rowPositions(c: CandidateSet, q: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < c.k; j++) if (c.items[q * c.k + j]! >= 0) out.push(j);
  return out;
}

/** Builds the output set from per-row chosen positions (best first) and their scores. */
export function assemble(
  c: CandidateSet,
  K: number,
  rows: readonly { pos: readonly number[]; scores: readonly number[] }[],
): CandidateSet {
  const n = c.users.length;
  const items = new Int32Array(n * K).fill(-1);
  const scores = new Float32Array(n * K).fill(Number.NEGATIVE_INFINITY);
  rows.forEach((r, q) => {
    for (let m = 0; m < Math.min(K, r.pos.length); m++) {
      items[q * K + m] = c.items[q * c.k + r.pos[m]!]!;
      scores[q * K + m] = r.scores[m]!;
    }
  });
  return { itemIds: c.itemIds, users: c.users, k: K, items, scores };
}

/** Scores of a row min-max scaled to [0, 1] (all equal → 1). */
export function scaled(c: CandidateSet, q: number, pos: readonly number[]): number[] {
  const s = pos.map((j) => c.scores[q * c.k + j]!);
  const finite = s.filter((x) => Number.isFinite(x));
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return s.map((x) => (!Number.isFinite(x) ? 0 : hi > lo ? (x - lo) / (hi - lo) : 1));
}

export type { RankInput };
