import { type Dataset, defineComponent, type Interactions } from '@embrec/core';
import { z } from 'zod';
import { compactDataset } from '../../common/dataset.ts';

export const kCoreSchema = z.strictObject({
  users: z.number().int().min(0).default(5).describe('Minimum interactions per user'),
  items: z.number().int().min(0).default(5).describe('Minimum interactions per item'),
  maxIterations: z.number().int().positive().default(100).describe('Stop after this many rounds'),
});

/**
 * Iterative k-core: drop users with fewer than `users` rows and items with fewer than `items` rows
 * until both hold (or maxIterations). Returns which users and items survive.
 */
export function kCore(
  x: Interactions,
  p: z.output<typeof kCoreSchema>,
): { keepUsers: Uint8Array; keepItems: Uint8Array; iterations: number } {
  const keepUsers = new Uint8Array(x.userIds.size).fill(1);
  const keepItems = new Uint8Array(x.itemIds.size).fill(1);
  const alive = new Uint8Array(x.users.length).fill(1);
  let it = 0;
  for (; it < p.maxIterations; it++) {
    const uc = new Int32Array(keepUsers.length);
    const ic = new Int32Array(keepItems.length);
    for (let r = 0; r < alive.length; r++) {
      if (!alive[r]) continue;
      uc[x.users[r]!]!++;
      ic[x.items[r]!]!++;
    }
    let changed = false;
    for (let u = 0; u < uc.length; u++)
      if (keepUsers[u] && uc[u]! < p.users) {
        keepUsers[u] = 0;
        changed = true;
      }
    for (let i = 0; i < ic.length; i++)
      if (keepItems[i] && ic[i]! < p.items) {
        keepItems[i] = 0;
        changed = true;
      }
    if (!changed) break;
    for (let r = 0; r < alive.length; r++)
      if (!keepUsers[x.users[r]!] || !keepItems[x.items[r]!]) alive[r] = 0;
  }
  return { keepUsers, keepItems, iterations: it + 1 };
}

export const kCoreTransform = defineComponent({
  kind: 'transform',
  type: 'k-core',
  description: 'Iterative k-core filter (min interactions per user and per item); ID maps are compacted',
  schema: kCoreSchema,
  create: (params) => ({
    apply(data: Dataset, ctx) {
      const { keepUsers, keepItems, iterations } = kCore(data.interactions, params);
      const out = compactDataset(data, keepUsers, keepItems);
      ctx.log.info(
        `k-core(${params.users}, ${params.items}): ${out.interactions.userIds.size} users, ${out.interactions.itemIds.size} items, ${out.interactions.users.length} interactions after ${iterations} rounds`,
      );
      return out;
    },
  }),
});
