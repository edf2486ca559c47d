import { join } from 'node:path';
import { mlflowKey } from '../tracking/mlflow-names.ts';
import type { IdMap } from '../types/ids.ts';
import type { EmbeddingTable, MetricSet } from '../types/values.ts';
import { bytesOf, writeFileAtomic, writeJsonAtomic } from './fs.ts';

/**
 * Writes an embedding table as `<name>.f32` (row-major float32), `<name>.ids.json` (external IDs)
 * and `<name>.meta.json` ({dim, count}) — the layout `embrec index sweep` reads.
 */
export function writeEmbeddingTable(dir: string, name: string, table: EmbeddingTable): void {
  writeFileAtomic(join(dir, `${name}.f32`), bytesOf(table.vectors));
  writeJsonAtomic(join(dir, `${name}.ids.json`), table.ids.toJSON());
  writeJsonAtomic(join(dir, `${name}.meta.json`), { dim: table.dim, count: table.ids.size });
}

/**
 * Per-user metric vectors: `per-user/users.json` (external user IDs) and one float32 file per
 * metric, with `index.json` mapping display names to files. `embrec compare` pairs runs on them.
 */
export function writePerUser(
  dir: string,
  set: MetricSet,
  userIds: IdMap,
  prefix = '',
): Record<string, string> {
  const files: Record<string, string> = {};
  const users = Array.from(set.users, (u) => userIds.external(u));
  writeJsonAtomic(join(dir, `${prefix}users.json`), users);
  for (const [display, values] of Object.entries(set.perUser)) {
    const file = `${prefix}${mlflowKey(display)}.f32`;
    writeFileAtomic(join(dir, file), bytesOf(values));
    files[display] = file;
  }
  return files;
}
