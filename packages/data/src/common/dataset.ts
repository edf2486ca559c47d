import {
  type Dataset,
  IdMap,
  type Interactions,
  makeInteractions,
  type Splits,
  selectRows,
} from '@embrec/core';
import { selectFeatureRows } from './features.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Applies a row-level rewrite to the interactions and to each given split. */
export function mapInteractions(data: Dataset, fn: (x: Interactions) => Interactions): Dataset {
  const out: Mutable<Dataset> = { ...data, interactions: fn(data.interactions) };
  if (data.givenSplits) {
    const s = data.givenSplits;
    const splits: Mutable<Splits> = { train: fn(s.train), test: fn(s.test) };
    if (s.valid) splits.valid = fn(s.valid);
    out.givenSplits = splits;
  }
  return out;
}

/**
 * Keeps only the marked users and items, re-indexing both ID maps densely (old order kept) and
 * carrying features, item names and given splits along.
 */
export function compactDataset(data: Dataset, keepUsers: Uint8Array, keepItems: Uint8Array): Dataset {
  const x = data.interactions;
  const remap = (keep: Uint8Array, old: IdMap): { map: Int32Array; ids: IdMap; rows: Int32Array } => {
    const map = new Int32Array(keep.length).fill(-1);
    const ext: string[] = [];
    const rows: number[] = [];
    for (let i = 0; i < keep.length; i++) {
      if (!keep[i]) continue;
      map[i] = ext.length;
      ext.push(old.external(i));
      rows.push(i);
    }
    return { map, ids: new IdMap(ext), rows: Int32Array.from(rows) };
  };
  const u = remap(keepUsers, x.userIds);
  const it = remap(keepItems, x.itemIds);
  const rewrite = (part: Interactions): Interactions => {
    const mask = new Uint8Array(part.users.length);
    for (let r = 0; r < mask.length; r++) mask[r] = keepUsers[part.users[r]!]! & keepItems[part.items[r]!]!;
    const s = selectRows(part, mask);
    const users = new Int32Array(s.users.length);
    const items = new Int32Array(s.items.length);
    for (let r = 0; r < users.length; r++) {
      users[r] = u.map[s.users[r]!]!;
      items[r] = it.map[s.items[r]!]!;
    }
    return makeInteractions({ ...s, userIds: u.ids, itemIds: it.ids, users, items });
  };
  const out: Mutable<Dataset> = mapInteractions(data, rewrite);
  if (data.itemFeatures) out.itemFeatures = selectFeatureRows(data.itemFeatures, it.rows);
  if (data.userFeatures) out.userFeatures = selectFeatureRows(data.userFeatures, u.rows);
  if (data.itemNames) {
    const names = data.itemNames;
    out.itemNames = Array.from(it.rows, (r) => names[r]!);
  }
  return out;
}
