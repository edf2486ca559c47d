import type { FeatureTable, IdMap } from '@embrec/core';
import { didYouMean, UsageError } from '@embrec/core';

/**
 * A categorical attribute of the rows of an embedding table (items or users), as label bags:
 * row r carries the values `indices[indptr[r]..indptr[r+1])` (indices into `vocab`). A
 * categorical column gives at most one value per row; a multi-hot column (MovieLens genres) any
 * number. Rows whose external ID has no feature row, or whose value is missing, carry none.
 */
export interface Labels {
  readonly name: string;
  readonly vocab: readonly string[];
  readonly indptr: Int32Array; // [rows + 1]
  readonly indices: Int32Array; // [nnz]
}

/** The categorical (single- or multi-valued) columns of a feature table. */
export function attributeNames(t: FeatureTable | undefined): string[] {
  if (!t) return [];
  return [...Object.keys(t.categorical), ...Object.keys(t.multiHot)];
}

/** Fails, naming the columns there are (with a did-you-mean), unless `name` is a categorical column of `t`. */
export function checkAttribute(t: FeatureTable | undefined, name: string, what: 'item' | 'user'): void {
  if (t && (t.categorical[name] || t.multiHot[name])) return;
  const names = attributeNames(t);
  const numeric = Object.keys(t?.numeric ?? {});
  const guess = didYouMean(name, names);
  throw new UsageError(
    names.length === 0
      ? `the data set has no categorical ${what} attributes, so there is no ${what} attribute "${name}"`
      : `there is no categorical ${what} attribute "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}; the data set has: ${names.join(', ')}` +
          (numeric.length > 0 ? ` (numeric, not usable for colouring: ${numeric.join(', ')})` : ''),
  );
}

/**
 * The labels of column `name` for the rows of `rows` (an embedding table's IDs); `owner` is the
 * IdMap the feature table is indexed by (the dataset's). `what` names the side in errors.
 */
export function attributeLabels(
  t: FeatureTable | undefined,
  name: string,
  owner: IdMap,
  rows: IdMap,
  what: 'item' | 'user',
): Labels {
  checkAttribute(t, name, what);
  const cat = t?.categorical[name];
  const multi = t?.multiHot[name];
  const indptr = new Int32Array(rows.size + 1);
  const parts: number[] = [];
  for (let r = 0; r < rows.size; r++) {
    const o = owner.get(rows.external(r));
    if (o !== undefined) {
      if (cat) {
        const v = cat.values[o]!;
        if (v >= 0) parts.push(v);
      } else if (multi) {
        for (let p = multi.bags.indptr[o]!; p < multi.bags.indptr[o + 1]!; p++)
          parts.push(multi.bags.indices[p]!);
      }
    }
    indptr[r + 1] = parts.length;
  }
  return { name, vocab: (cat ?? multi)!.vocab, indptr, indices: Int32Array.from(parts) };
}

/** One label per row for colouring a map: the row's first value, or -1 when it has none. */
export function primaryLabel(labels: Labels): Int32Array {
  const rows = labels.indptr.length - 1;
  const out = new Int32Array(rows).fill(-1);
  for (let r = 0; r < rows; r++)
    if (labels.indptr[r + 1]! > labels.indptr[r]!) out[r] = labels.indices[labels.indptr[r]!]!;
  return out;
}
