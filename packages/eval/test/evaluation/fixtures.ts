import { IdMap, type Interactions, makeInteractions, Rng } from '@embrec/core';

/** Random disjoint train/valid/test interactions over a tiny catalogue (dense IDs). */
export function randomSplits(
  seed: number,
  nUsers: number,
  nItems: number,
  perUser: number,
): { train: Interactions; valid: Interactions; test: Interactions } {
  const rng = new Rng(seed);
  const userIds = IdMap.range(nUsers);
  const itemIds = IdMap.range(nItems);
  const cols = [0, 1, 2].map(() => ({ users: [] as number[], items: [] as number[] }));
  for (let u = 0; u < nUsers; u++) {
    const perm = rng.shuffle(Int32Array.from({ length: nItems }, (_, i) => i));
    const n = 1 + rng.int(perUser);
    for (let j = 0; j < n; j++) {
      // every third user has no test item: the evaluator must skip them
      const part = j % 3 === 2 && u % 3 !== 0 ? 2 : j % 3 === 1 ? 1 : 0;
      cols[part]!.users.push(u);
      cols[part]!.items.push(perm[j]!);
    }
  }
  const make = (c: { users: number[]; items: number[] }) =>
    makeInteractions({ userIds, itemIds, users: Int32Array.from(c.users), items: Int32Array.from(c.items) });
  return { train: make(cols[0]!), valid: make(cols[1]!), test: make(cols[2]!) };
}

/** Random embeddings whose scores have no ties. */
export function randomTable(seed: number, ids: IdMap, dim: number) {
  const rng = new Rng(seed);
  const vectors = new Float32Array(ids.size * dim);
  for (let i = 0; i < vectors.length; i++) vectors[i] = rng.normal();
  return { ids, dim, vectors };
}
