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
  const lists: PairList[] = files.map((f) => parseLightGcnFile(f.file));
  const userIds = IdMap.range(Math.max(...lists.map((l) => l.maxUser)) + 1);
  const itemIds = IdMap.range(Math.max(...lists.map((l) => l.maxItem)) + 1);
  const parts = lists.map((l) => makeInteractions({ userIds, itemIds, users: l.users, items: l.items }));
  const split: { train?: (typeof parts)[0]; valid?: (typeof parts)[0]; test?: (typeof parts)[0] } = {};
  files.forEach((f, k) => {
    split[f.part] = parts[k]!;
  });
  const givenSplits: Splits = split.valid
    ? { train: split.train!, valid: split.valid, test: split.test! }
    : { train: split.train!, test: split.test! };
  const provenance: Record<string, string> = {};
  for (const f of files) provenance[f.part] = f.file;
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
      return { ...d, provenance: { ...src.provenance, ...d.provenance } };
    },
  }),
});
