import type { CsrMatrix } from '../src/ops.ts';

/** A small deterministic PRNG (mulberry32) for test inputs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random CSR matrix (unsorted, duplicate-free column indices per row), density p, optional values. */
export function randomCsr(
  rand: () => number,
  rows: number,
  cols: number,
  p: number,
  withValues = false,
): CsrMatrix {
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row: number[] = [];
    for (let c = 0; c < cols; c++) if (rand() < p) row.push(c);
    // shuffle, so that ops do not rely on sorted rows
    for (let i = row.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [row[i], row[j]] = [row[j] as number, row[i] as number];
    }
    for (const c of row) {
      indices.push(c);
      values.push(Math.round((rand() * 4 - 2) * 4) / 4);
    }
    indptr[r + 1] = indices.length;
  }
  return {
    rows,
    cols,
    indptr,
    indices: Int32Array.from(indices),
    values: withValues ? Float32Array.from(values) : undefined,
  };
}
