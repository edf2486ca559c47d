import type { QueryItemLists } from '@embrec/core';
import { ensureAllocatable, UsageError } from '@embrec/core';

/**
 * Checks a search call's arguments and returns the number of queries. Every message names the
 * index, the argument, what was expected and what was found.
 */
export function checkSearchArgs(
  name: string,
  queries: Float32Array,
  dim: number,
  k: number,
  built: boolean,
  /** Indexed items, when built: k beyond them only pads, and the padding must fit in memory. */
  n?: number,
): number {
  if (!built) throw new UsageError(`index "${name}": search() was called before build() or load()`);
  if (!(queries instanceof Float32Array)) {
    throw new UsageError(
      `index "${name}": queries must be a Float32Array [nq, ${dim}], found ${describe(queries)}`,
    );
  }
  if (queries.length === 0 || queries.length % dim !== 0) {
    throw new UsageError(
      `index "${name}": queries must hold nq × ${dim} floats (the index dimension), found ${queries.length} floats, ` +
        `which is not a positive multiple of ${dim}`,
    );
  }
  if (!Number.isInteger(k) || k < 1) {
    throw new UsageError(`index "${name}": k must be an integer ≥ 1, found ${String(k)}`);
  }
  const nq = queries.length / dim;
  if (n !== undefined && k > n) {
    // results are [nq, k] ids + scores; past n they are padding (-1), so a huge k is a config mistake
    ensureAllocatable(
      `index "${name}": k = ${k} is more than the ${n} indexed items, and the padded result lists (${nq} queries × k ids and scores)`,
      nq * k,
      8,
      { hint: `use k ≤ ${n} (retrieve.k)` },
    );
  }
  return nq;
}

/** Checks per-query item lists (exclude / allow) against the number of queries and items. */
export function checkLists(
  name: string,
  field: 'exclude' | 'allow',
  lists: QueryItemLists | undefined,
  nq: number,
  n: number,
): void {
  if (lists === undefined) return;
  const { indptr, indices } = lists;
  if (indptr.length !== nq + 1) {
    throw new UsageError(
      `index "${name}": ${field}.indptr must have nq + 1 = ${nq + 1} entries, found ${indptr.length}`,
    );
  }
  if (indptr[0] !== 0 || indptr[nq] !== indices.length) {
    throw new UsageError(
      `index "${name}": ${field}.indptr must start at 0 and end at indices.length (${indices.length}), ` +
        `found ${indptr[0]} … ${indptr[nq]}`,
    );
  }
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i] as number;
    if (v < 0 || v >= n) {
      throw new UsageError(
        `index "${name}": ${field}.indices[${i}] = ${v} is outside the indexed table (0 … ${n - 1})`,
      );
    }
  }
}

/** Checks a table before building. */
export function checkTable(name: string, dim: number, vectors: Float32Array, size: number): void {
  if (!Number.isInteger(dim) || dim < 1) {
    throw new UsageError(`index "${name}": the table's dim must be an integer ≥ 1, found ${dim}`);
  }
  if (vectors.length !== size * dim) {
    throw new UsageError(
      `index "${name}": the table holds ${vectors.length} floats, expected ids.size × dim = ${size} × ${dim} = ${size * dim}`,
    );
  }
  if (size === 0) throw new UsageError(`index "${name}": cannot build an index over an empty table`);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}
