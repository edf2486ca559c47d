import type { QueryItemLists, Scorer } from '../../plugin/kinds.ts';
import type { Interactions } from '../../types/interactions.ts';
import { userCsr } from '../../types/interactions.ts';

export type EmbeddingScorer = Extract<Scorer, { kind: 'embeddings' }>;

/** Query vectors of the users with target items, and their masked items as per-query lists. */
export function retrievalQueries(
  scorer: EmbeddingScorer,
  target: Interactions,
  mask: readonly Interactions[],
): { users: Int32Array; queries: Float32Array; exclude: QueryItemLists } {
  const has = new Uint8Array(target.userIds.size);
  for (let i = 0; i < target.users.length; i++) has[target.users[i]!] = 1;
  const users: number[] = [];
  for (let u = 0; u < has.length; u++) if (has[u]) users.push(u);
  const d = scorer.users.dim;
  const queries = new Float32Array(users.length * d);
  users.forEach((u, q) => {
    queries.set(scorer.users.vectors.subarray(u * d, (u + 1) * d), q * d);
  });
  const csrs = mask.map((m) => userCsr(m));
  const indptr = new Int32Array(users.length + 1);
  const parts: number[] = [];
  users.forEach((u, q) => {
    for (const c of csrs) for (let p = c.indptr[u]!; p < c.indptr[u + 1]!; p++) parts.push(c.indices[p]!);
    indptr[q + 1] = parts.length;
  });
  return { users: Int32Array.from(users), queries, exclude: { indptr, indices: Int32Array.from(parts) } };
}

/** Mean over queries of |approx ∩ exact| / |exact| (ignoring -1 padding). */
export function overlapRecall(approx: Int32Array, exact: Int32Array, ka: number, ke: number): number {
  const nq = exact.length / ke;
  let sum = 0;
  let counted = 0;
  for (let q = 0; q < nq; q++) {
    const ref = new Set<number>();
    for (let j = 0; j < ke; j++) {
      const v = exact[q * ke + j]!;
      if (v >= 0) ref.add(v);
    }
    if (ref.size === 0) continue;
    let hit = 0;
    for (let j = 0; j < ka; j++) if (ref.has(approx[q * ka + j]!)) hit++;
    sum += hit / ref.size;
    counted++;
  }
  return counted === 0 ? 1 : sum / counted;
}
