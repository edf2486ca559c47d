/**
 * A finished trial's exported files (the format serving extends):
 *
 *   artifacts/embeddings/users.npy, items.npy   float32 [count, dim], C order (numpy.load)
 *   artifacts/embeddings/users.ids.csv          header user_id, then row i's external ID
 *   artifacts/embeddings/items.ids.csv          header item_id, same
 *   per-user/<prefix>users.csv                  header user_id: the users the vectors below cover
 *   per-user/<prefix><metric>.npy               float32 [users]: one value per user
 *   per-user/index.json                         display name → { values, users } file names
 *
 * Runs written before 0.2 used `<name>.f32` + `<name>.ids.json` + `<name>.meta.json` and
 * `users.json` + `.f32` per-user files; readTrialEmbeddings / readPerUser (artifacts-read.ts) read both.
 */
import { join } from 'node:path';
import type { IdMap } from '../types/ids.ts';
import type { EmbeddingTable, MetricSet } from '../types/values.ts';
import { writeFileAtomic, writeJsonAtomic } from './fs.ts';
import { idCsv } from './id-csv.ts';
import { npyBytes } from './npy.ts';
import { metricKey } from './run-names.ts';

export const ID_COLUMN: Record<string, string> = { users: 'user_id', items: 'item_id' };

/** Writes `<name>.npy` (float32 [count, dim]) and `<name>.ids.csv` (the ID of each row). */
export function writeEmbeddingTable(dir: string, name: string, table: EmbeddingTable): void {
  writeFileAtomic(join(dir, `${name}.npy`), npyBytes(table.vectors, [table.ids.size, table.dim]));
  writeFileAtomic(join(dir, `${name}.ids.csv`), idCsv(ID_COLUMN[name] ?? 'id', table.ids.toJSON()));
}

/** Per-user metric vectors of one MetricSet; returns display name → index entry. */
export function writePerUser(
  dir: string,
  set: MetricSet,
  userIds: IdMap,
  prefix = '',
): Record<string, PerUserEntry> {
  const users = `${prefix}users.csv`;
  writeFileAtomic(
    join(dir, users),
    idCsv(
      'user_id',
      Array.from(set.users, (u) => userIds.external(u)),
    ),
  );
  const out: Record<string, PerUserEntry> = {};
  for (const [display, values] of Object.entries(set.perUser)) {
    const file = `${prefix}${metricKey(display)}.npy`;
    writeFileAtomic(join(dir, file), npyBytes(values, [values.length]));
    out[display] = { values: file, users };
  }
  return out;
}

export interface PerUserEntry {
  readonly values: string;
  readonly users: string;
}

export function writePerUserIndex(dir: string, index: Record<string, PerUserEntry>): void {
  writeJsonAtomic(join(dir, 'index.json'), index);
}
