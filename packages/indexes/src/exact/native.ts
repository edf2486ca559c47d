import type { QueryItemLists } from '@embrec/core';
import { addon, nativeAvailable, topkDot } from '@embrec/native';

let probed: boolean | undefined;

/** Is the native blocked-SGEMM top-k (`topkDot` of @embrec/native) usable? Probed once. */
export function nativeTopkAvailable(): boolean {
  if (probed === undefined) {
    probed =
      process.env.EMBREC_NO_NATIVE !== '1' && nativeAvailable() && typeof addon().topkDot === 'function';
  }
  return probed;
}

/**
 * Exact inner-product top-k through the native kernel. Exclusions go to the kernel as CSR; the
 * kernel's allow-list is shared by all queries, so per-query allow-lists are run query by query
 * (each call scores only that query's allowed items).
 */
export function nativeTopk(
  queries: Float32Array,
  items: Float32Array,
  dim: number,
  k: number,
  exclude: QueryItemLists | undefined,
  allow: QueryItemLists | undefined,
  threads: number,
): { ids: Int32Array; scores: Float32Array } {
  if (allow === undefined) {
    const r = topkDot(queries, items, dim, k, { exclude, threads });
    return { ids: r.ids, scores: r.scores };
  }
  const nq = queries.length / dim;
  const ids = new Int32Array(nq * k);
  const scores = new Float32Array(nq * k);
  for (let q = 0; q < nq; q++) {
    const a0 = allow.indptr[q] as number;
    const a1 = allow.indptr[q + 1] as number;
    const ex =
      exclude === undefined
        ? undefined
        : {
            indptr: Int32Array.of(0, (exclude.indptr[q + 1] as number) - (exclude.indptr[q] as number)),
            indices: exclude.indices.subarray(exclude.indptr[q] as number, exclude.indptr[q + 1] as number),
          };
    const r = topkDot(queries.subarray(q * dim, (q + 1) * dim), items, dim, k, {
      exclude: ex,
      allow: uniqueSorted(allow.indices.subarray(a0, a1)),
      threads: 1,
    });
    ids.set(r.ids, q * k);
    scores.set(r.scores, q * k);
  }
  return { ids, scores };
}

function uniqueSorted(a: Int32Array): Int32Array {
  const s = Int32Array.from(new Set(a)).sort();
  return s;
}
