import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, type Dataset, defineComponent, IdMap, makeInteractions, type Splits } from '@embrec/core';
import { z } from 'zod';
import { concatInteractions } from '../../common/builder.ts';
import { resolveSource, sourceFields } from '../../common/source.ts';
import { type PairList, parseLightGcnFile } from './parse.ts';

export const lightgcnSchema = z.strictObject({
  ...sourceFields,
  name: z.string().default('lightgcn').describe('Dataset name used in run records'),
  train: z.string().default('train.txt').describe('Train file, inside the folder'),
  valid: z
    .string()
    .nullable()
    .default('valid.txt')
    .describe('Validation file (used when it exists; null = never)'),
  test: z.string().default('test.txt').describe('Test file, inside the folder'),
});

/** Loads a LightGCN-format folder; n_users / n_items are the largest IDs + 1 over ALL files. */
export function loadLightGcn(dir: string, p: z.output<typeof lightgcnSchema>): Dataset {
  if (!statSync(dir).isDirectory())
    throw new DataError(`lightgcn: expected a folder with ${p.train} and ${p.test}, found the file ${dir}`);
  const files: { part: keyof Splits; file: string }[] = [{ part: 'train', file: join(dir, p.train) }];
  if (p.valid !== null && existsSync(join(dir, p.valid)))
    files.push({ part: 'valid', file: join(dir, p.valid) });
  files.push({ part: 'test', file: join(dir, p.test) });
  for (const f of files)
    if (!existsSync(f.file)) throw new DataError(`lightgcn: expected a ${f.part} file ${f.file}, found none`);
  const raw: PairList[] = files.map((f) => parseLightGcnFile(f.file));
  const where = files.map((f) => f.file).join(', ');
  const users = denseIds(
    raw.map((l) => l.users),
    Math.max(...raw.map((l) => l.maxUser)),
    'user',
    where,
  );
  const items = denseIds(
    raw.map((l) => l.items),
    Math.max(...raw.map((l) => l.maxItem)),
    'item',
    where,
  );
  const userIds = users.ids;
  const itemIds = items.ids;
  const parts = raw.map((_l, k) =>
    makeInteractions({ userIds, itemIds, users: users.columns[k]!, items: items.columns[k]! }),
  );
  const split: { train?: (typeof parts)[0]; valid?: (typeof parts)[0]; test?: (typeof parts)[0] } = {};
  files.forEach((f, k) => {
    split[f.part] = parts[k]!;
  });
  const givenSplits: Splits = split.valid
    ? { train: split.train!, valid: split.valid, test: split.test! }
    : { train: split.train!, test: split.test! };
  const provenance: Record<string, string> = {};
  for (const f of files) provenance[f.part] = f.file;
  if (users.note) provenance.userIdMapping = users.note;
  if (items.note) provenance.itemIdMapping = items.note;
  return { name: p.name, interactions: concatInteractions(parts), givenSplits, provenance };
}

export const lightgcnDataset = defineComponent({
  kind: 'dataset',
  type: 'lightgcn',
  description: 'LightGCN text format (`user item item ...`): train/valid/test files become the given splits',
  schema: lightgcnSchema,
  create: (params) => ({
    async load(ctx) {
      const src = await resolveSource('lightgcn', params, ctx);
      const d = loadLightGcn(src.path, params);
      for (const k of ['userIdMapping', 'itemIdMapping'])
        if (d.provenance?.[k]) ctx.log.warn(`lightgcn: ${d.provenance[k]}`);
      return { ...d, provenance: { ...src.provenance, ...d.provenance } };
    },
  }),
});

/**
 * The ID map of one column over all files. LightGCN's IDs are 0-based and (nearly) dense: the
 * catalogue is 0 … max, as in the original code, so reproduced numbers keep their item count. IDs
 * that are far from dense (an item 2147483646 among a few thousand) would make that catalogue
 * billions long: those files are mapped to dense indices of the IDs that occur instead (issue 10
 * item 8), with the original numbers kept as external IDs.
 */
function denseIds(
  columns: readonly Int32Array[],
  max: number,
  what: string,
  where: string,
): { ids: IdMap; columns: Int32Array[]; note?: string } {
  let rows = 0;
  for (const c of columns) rows += c.length;
  // a catalogue at most twice the rows (+ slack for tiny files) is what real LightGCN files have
  if (max + 1 <= 2 * rows + 1024) return { ids: IdMap.range(max + 1), columns: [...columns] };
  const distinct = new Set<number>();
  for (const c of columns) for (let r = 0; r < c.length; r++) distinct.add(c[r]!);
  const sorted = Int32Array.from(distinct).sort();
  const index = new Map<number, number>();
  for (let i = 0; i < sorted.length; i++) index.set(sorted[i]!, i);
  return {
    ids: new IdMap(Array.from(sorted, String)),
    columns: columns.map((c) => Int32Array.from(c, (v) => index.get(v)!)),
    note: `${what} IDs of ${where} go up to ${max} but only ${sorted.length} occur: mapped to dense indices 0 … ${sorted.length - 1} (external IDs keep the file's numbers)`,
  };
}
