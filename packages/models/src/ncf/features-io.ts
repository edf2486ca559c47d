import { join } from 'node:path';
import type { FeatureTable } from '@embrec/core';
import { DataError, writeFileAtomic } from '@embrec/core';
import { readSavedJson } from '../training/checkpoint.ts';
import type { NcfNetConfig } from './net.ts';

/**
 * The side-feature tables an NCF network was built with, saved beside its weights (`features.json`)
 * so that `load()` rebuilds the same side towers without the data set: the raw tables (vocabularies,
 * category codes, bags, numeric values) of the features the network uses, by the model's user and item
 * rows. The towers derive their encoders (missing-value rows, numeric mean and std) from these exactly
 * as at fit time.
 */

const FORMAT = 'embrec-ncf-features/1';
const FILE = 'features.json';

export interface SideFeatures {
  readonly user?: FeatureTable | undefined;
  readonly item?: FeatureTable | undefined;
}

interface SavedTable {
  categorical: Record<string, { values: number[]; vocab: string[] }>;
  multiHot: Record<string, { indptr: number[]; indices: number[]; cols: number; vocab: string[] }>;
  /** null: a missing value (NaN). */
  numeric: Record<string, (number | null)[]>;
}

/** The columns of `t` the network uses (`features: all` or a list), in the table's order. */
export function usedFeatures(
  t: FeatureTable | undefined,
  features: NcfNetConfig['features'],
): FeatureTable | undefined {
  if (!t || features === 'none') return undefined;
  const use = (n: string) => features === 'all' || (features as readonly string[]).includes(n);
  const pick = <V>(r: Readonly<Record<string, V>>) =>
    Object.fromEntries(Object.entries(r).filter(([n]) => use(n)));
  const out = { categorical: pick(t.categorical), multiHot: pick(t.multiHot), numeric: pick(t.numeric) };
  const n =
    Object.keys(out.categorical).length + Object.keys(out.multiHot).length + Object.keys(out.numeric).length;
  return n > 0 ? out : undefined;
}

function toJson(t: FeatureTable): SavedTable {
  const out: SavedTable = { categorical: {}, multiHot: {}, numeric: {} };
  for (const [n, c] of Object.entries(t.categorical))
    out.categorical[n] = { values: [...c.values], vocab: [...c.vocab] };
  for (const [n, m] of Object.entries(t.multiHot))
    out.multiHot[n] = {
      indptr: [...m.bags.indptr],
      indices: [...m.bags.indices],
      cols: m.bags.cols,
      vocab: [...m.vocab],
    };
  for (const [n, v] of Object.entries(t.numeric))
    out.numeric[n] = Array.from(v, (x) => (Number.isNaN(x) ? null : x));
  return out;
}

/** Writes `dir/features.json` (atomically). */
export function writeFeatures(dir: string, f: SideFeatures): void {
  writeFileAtomic(
    join(dir, FILE),
    JSON.stringify({
      format: FORMAT,
      ...(f.user ? { user: toJson(f.user) } : {}),
      ...(f.item ? { item: toJson(f.item) } : {}),
    }),
  );
}

/**
 * Reads `dir/features.json`, checking every column against the model's row counts (`rows`), so a file
 * from another model is refused with what was expected and what was found.
 */
export function readFeatures(dir: string, rows: { user: number; item: number }): SideFeatures {
  const file = join(dir, FILE);
  const raw = readSavedJson<{ format?: unknown; user?: SavedTable; item?: SavedTable }>(
    file,
    'the side-feature tables the saved model was fitted with',
  );
  if (raw?.format !== FORMAT)
    throw new DataError(`${file}: expected format ${FORMAT}, found ${JSON.stringify(raw?.format)}`);
  const side = (s: 'user' | 'item'): FeatureTable | undefined => {
    const t = raw[s];
    if (t === undefined) return undefined;
    const n = rows[s];
    const bad = (name: string, what: string, found: number) =>
      new DataError(
        `${file}: ${s} feature "${name}": expected ${what} for the model's ${n} ${s}s, found ${found}`,
      );
    const isArr = (a: unknown): a is unknown[] => Array.isArray(a);
    const categorical: Record<string, { values: Int32Array; vocab: string[] }> = {};
    for (const [name, c] of Object.entries(t.categorical ?? {})) {
      if (!isArr(c?.values) || !isArr(c.vocab)) throw bad(name, 'values and vocab arrays', 0);
      if (c.values.length !== n) throw bad(name, `${n} values`, c.values.length);
      categorical[name] = { values: Int32Array.from(c.values), vocab: c.vocab.map(String) };
    }
    const multiHot: Record<string, { bags: FeatureTable['multiHot'][string]['bags']; vocab: string[] }> = {};
    for (const [name, m] of Object.entries(t.multiHot ?? {})) {
      if (!isArr(m?.indptr) || !isArr(m.indices) || !isArr(m.vocab))
        throw bad(name, 'indptr, indices and vocab arrays', 0);
      if (m.indptr.length !== n + 1) throw bad(name, `${n + 1} indptr entries`, m.indptr.length);
      if (m.indptr[n] !== m.indices.length) throw bad(name, `${m.indptr[n]} bag entries`, m.indices.length);
      const indptr = Int32Array.from(m.indptr);
      const indices = Int32Array.from(m.indices);
      multiHot[name] = { bags: { rows: n, cols: m.cols, indptr, indices }, vocab: m.vocab.map(String) };
    }
    const numeric: Record<string, Float32Array> = {};
    for (const [name, v] of Object.entries(t.numeric ?? {})) {
      if (!isArr(v)) throw bad(name, 'an array of numbers', 0);
      if (v.length !== n) throw bad(name, `${n} values`, v.length);
      numeric[name] = Float32Array.from(v, (x) => (x === null ? Number.NaN : Number(x)));
    }
    return { categorical, multiHot, numeric };
  };
  return { user: side('user'), item: side('item') };
}
