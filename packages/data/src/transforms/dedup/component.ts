import { type Dataset, defineComponent, type Interactions, selectRows } from '@embrec/core';
import { z } from 'zod';
import { mapInteractions } from '../../common/dataset.ts';

export const dedupSchema = z.strictObject({
  keep: z
    .enum(['latest', 'first'])
    .default('latest')
    .describe(
      'Which row of a repeated (user, item) pair stays: latest timestamp (file order without timestamps, ties → later row) or the first one',
    ),
});

/** Keeps one row per (user, item) pair, in the original row order. */
export function dedup(x: Interactions, keep: 'latest' | 'first'): Interactions {
  const nItems = x.itemIds.size;
  const chosen = new Map<number, number>();
  const ts = x.timestamps;
  for (let r = 0; r < x.users.length; r++) {
    const key = x.users[r]! * nItems + x.items[r]!;
    const prev = chosen.get(key);
    if (prev === undefined) chosen.set(key, r);
    else if (keep === 'latest' && (!ts || ts[r]! >= ts[prev]!)) chosen.set(key, r);
    else if (keep === 'first' && ts && ts[r]! < ts[prev]!) chosen.set(key, r);
  }
  if (chosen.size === x.users.length) return x;
  const rows = Int32Array.from(chosen.values()).sort();
  return selectRows(x, rows);
}

export const dedupTransform = defineComponent({
  kind: 'transform',
  type: 'dedup',
  description: 'De-duplicate (user, item) pairs, keeping the latest or the first',
  schema: dedupSchema,
  create: (params) => ({
    apply(data: Dataset) {
      return mapInteractions(data, (x) => dedup(x, params.keep));
    },
  }),
});
