import { IdMap, type Interactions, makeInteractions, Rng } from '@embrec/core';

/** A random interaction set: duplicates allowed, timestamps with ties, some users with 1 row. */
export function randomInteractions(
  seed: number,
  opts: { users?: number; items?: number; rows?: number } = {},
): Interactions {
  const rng = new Rng(seed);
  const nU = opts.users ?? 1 + rng.int(30);
  const nI = opts.items ?? 1 + rng.int(40);
  const n = opts.rows ?? rng.int(400);
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  const ratings = new Float32Array(n);
  const timestamps = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    users[r] = rng.int(nU);
    items[r] = rng.int(nI);
    ratings[r] = 1 + rng.int(5);
    timestamps[r] = 1000 + rng.int(50); // many ties
  }
  return makeInteractions({
    userIds: new IdMap(Array.from({ length: nU }, (_, u) => `u${u}`)),
    itemIds: new IdMap(Array.from({ length: nI }, (_, i) => `i${i}`)),
    users,
    items,
    ratings,
    timestamps,
  });
}

/** Row keys (user, item, time, rating) as a multiset, to compare partitions. */
export function rowKeys(x: Interactions): string[] {
  const out: string[] = [];
  for (let r = 0; r < x.users.length; r++)
    out.push(`${x.users[r]}/${x.items[r]}/${x.timestamps?.[r]}/${x.ratings?.[r]}`);
  return out.sort();
}
