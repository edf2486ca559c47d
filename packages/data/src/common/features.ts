import type { Csr, FeatureTable } from '@embrec/core';

/** Collects one categorical feature: a value per row, vocab in order of first appearance. */
export class CategoricalBuilder {
  readonly values: Int32Array;
  readonly #vocab = new Map<string, number>();
  constructor(rows: number) {
    this.values = new Int32Array(rows).fill(-1);
  }
  set(row: number, value: string): void {
    if (value === '') return;
    let v = this.#vocab.get(value);
    if (v === undefined) {
      v = this.#vocab.size;
      this.#vocab.set(value, v);
    }
    this.values[row] = v;
  }
  build(): { values: Int32Array; vocab: string[] } {
    return { values: this.values, vocab: [...this.#vocab.keys()] };
  }
}

/** Builds a multi-hot feature (CSR over a vocab) from a list of value-index bags per row. */
export function multiHotFromBags(
  bags: readonly (readonly number[])[],
  vocab: readonly string[],
): {
  bags: Csr;
  vocab: readonly string[];
} {
  const indptr = new Int32Array(bags.length + 1);
  for (let r = 0; r < bags.length; r++) indptr[r + 1] = indptr[r]! + bags[r]!.length;
  const indices = new Int32Array(indptr[bags.length]!);
  for (let r = 0; r < bags.length; r++) indices.set(bags[r]!, indptr[r]!);
  return { bags: { rows: bags.length, cols: vocab.length, indptr, indices }, vocab };
}

export function emptyFeatures(): FeatureTable {
  return { categorical: {}, multiHot: {}, numeric: {} };
}

/** The rows `keep` (new row r = old row keep[r]) of a feature table. */
export function selectFeatureRows(t: FeatureTable, keep: Int32Array): FeatureTable {
  const categorical: Record<string, { values: Int32Array; vocab: readonly string[] }> = {};
  for (const [k, c] of Object.entries(t.categorical)) {
    const values = new Int32Array(keep.length);
    for (let r = 0; r < keep.length; r++) values[r] = c.values[keep[r]!]!;
    categorical[k] = { values, vocab: c.vocab };
  }
  const numeric: Record<string, Float32Array> = {};
  for (const [k, a] of Object.entries(t.numeric)) {
    const out = new Float32Array(keep.length);
    for (let r = 0; r < keep.length; r++) out[r] = a[keep[r]!]!;
    numeric[k] = out;
  }
  const multiHot: Record<string, { bags: Csr; vocab: readonly string[] }> = {};
  for (const [k, m] of Object.entries(t.multiHot)) {
    const bags: number[][] = [];
    for (let r = 0; r < keep.length; r++) {
      const o = keep[r]!;
      bags.push(Array.from(m.bags.indices.subarray(m.bags.indptr[o]!, m.bags.indptr[o + 1]!)));
    }
    multiHot[k] = multiHotFromBags(bags, m.vocab);
  }
  return { categorical, multiHot, numeric };
}
