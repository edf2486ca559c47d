import type { Interactions, QueryItemLists } from '@embrec/core';
import { userCsr } from '@embrec/core';

/** Per-user item lists for a set of users: row r belongs to users[r]; items sorted, unique. */
export interface UserLists extends QueryItemLists {
  readonly users: Int32Array;
}

function sortUnique(a: Int32Array): Int32Array {
  a.sort();
  let n = 0;
  for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[i - 1]) a[n++] = a[i]!;
  return n === a.length ? a : a.slice(0, n);
}

/** The users with at least one target interaction (ascending) and their relevant items. */
export function targetLists(target: Interactions): UserLists {
  const csr = userCsr(target);
  const users: number[] = [];
  for (let u = 0; u < csr.rows; u++) if (csr.indptr[u + 1]! > csr.indptr[u]!) users.push(u);
  return listsFor([csr], Int32Array.from(users));
}

/** The union of the items of `sources` for each of `users` (the mask of the full ranking). */
export function maskLists(sources: readonly Interactions[], users: Int32Array): UserLists {
  return listsFor(
    sources.map((s) => userCsr(s)),
    users,
  );
}

function listsFor(
  csrs: readonly { rows: number; indptr: Int32Array; indices: Int32Array }[],
  users: Int32Array,
): UserLists {
  const rows: Int32Array[] = [];
  let nnz = 0;
  for (const u of users) {
    let len = 0;
    for (const c of csrs) if (u < c.rows) len += c.indptr[u + 1]! - c.indptr[u]!;
    const row = new Int32Array(len);
    let at = 0;
    for (const c of csrs) {
      if (u >= c.rows) continue;
      row.set(c.indices.subarray(c.indptr[u]!, c.indptr[u + 1]!), at);
      at += c.indptr[u + 1]! - c.indptr[u]!;
    }
    const r = sortUnique(row);
    rows.push(r);
    nnz += r.length;
  }
  const indptr = new Int32Array(users.length + 1);
  const indices = new Int32Array(nnz);
  for (let i = 0; i < rows.length; i++) {
    indices.set(rows[i]!, indptr[i]!);
    indptr[i + 1] = indptr[i]! + rows[i]!.length;
  }
  return { users, indptr, indices };
}

/** Row r of a CSR list as a view. */
export function row(x: QueryItemLists, r: number): Int32Array {
  return x.indices.subarray(x.indptr[r]!, x.indptr[r + 1]!);
}
