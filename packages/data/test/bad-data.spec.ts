import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, type Dataset } from '@embrec/core';
import { makeTestContext } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { loadInteractions } from '../src/common/store.ts';
import { csvDataset } from '../src/datasets/csv/component.ts';
import { lightgcnDataset } from '../src/datasets/lightgcn/component.ts';
import { movielens1mDataset } from '../src/datasets/movielens-1m/component.ts';
import { movielens100kDataset } from '../src/datasets/movielens-100k/component.ts';
import { movielensLatestDataset } from '../src/datasets/movielens-latest/component.ts';
import { parquetDataset } from '../src/datasets/parquet/component.ts';
import { badDataRoot } from './helpers.ts';

/**
 * One test per malformed file in test/fixtures/bad-data/<loader>/<case>/. Each error must name the
 * file (and line and field where there is one), what was expected and what was found.
 */
interface Case {
  /** File the message must name, relative to the case folder. */
  file: string;
  line?: number;
  field?: string;
  expected: string;
  found: string;
  params?: Record<string, unknown>;
}

const loaders = {
  'ml-100k': movielens100kDataset,
  'ml-1m': movielens1mDataset,
  'ml-latest': movielensLatestDataset,
  csv: csvDataset,
  lightgcn: lightgcnDataset,
  parquet: parquetDataset,
} as const;

const cases: Record<string, Record<string, Case>> = {
  'ml-100k': {
    'rating-not-a-number': { file: 'u.data', line: 2, field: 'rating', expected: 'a number', found: '"x"' },
    'too-few-fields': { file: 'u.data', line: 3, expected: '4 tab-separated fields', found: '3 fields' },
    'rating-out-of-range': {
      file: 'u.data',
      line: 1,
      field: 'rating',
      expected: 'from 1 to 5',
      found: '"7"',
    },
    'space-separated': { file: 'u.data', line: 1, expected: '4 tab-separated fields', found: '1 fields' },
    'genre-flag-not-binary': {
      file: 'u.item',
      line: 2,
      field: 'genre Thriller',
      expected: 'a 0/1 flag',
      found: '"2"',
    },
    'item-missing-genres': {
      file: 'u.item',
      line: 1,
      expected: '24 "|"-separated fields',
      found: '10 fields',
    },
    'user-bad-gender': { file: 'u.user', line: 2, field: 'gender', expected: 'M or F', found: '"X"' },
    'user-age-not-integer': {
      file: 'u.user',
      line: 1,
      field: 'age',
      expected: 'an integer',
      found: '"24.5"',
    },
    'missing-u-data': { file: '', expected: 'a file "u.data"', found: 'found none' },
  },
  'ml-1m': {
    'single-colon': { file: 'ratings.dat', line: 2, expected: '4 "::"-separated fields', found: '1 fields' },
    'bad-age-code': { file: 'users.dat', line: 1, field: 'Age', expected: 'an age code', found: '"17"' },
    'movie-missing-genres': {
      file: 'movies.dat',
      line: 1,
      expected: '3 "::"-separated fields',
      found: '2 fields',
    },
    'timestamp-not-integer': {
      file: 'ratings.dat',
      line: 2,
      field: 'Timestamp',
      expected: 'an integer',
      found: '"2000-12-31"',
    },
  },
  'ml-latest': {
    'wrong-header': {
      file: 'ratings.csv',
      line: 1,
      field: 'header',
      expected: 'userId,movieId,rating,timestamp',
      found: 'user,movie',
    },
    'unclosed-quote': {
      file: 'movies.csv',
      line: 3,
      expected: 'a closed quoted field',
      found: 'American President',
    },
    'half-star-out-of-range': {
      file: 'ratings.csv',
      line: 3,
      field: 'rating',
      expected: 'from 0.5 to 5',
      found: '"5.5"',
    },
    'not-utf8': { file: 'movies.csv', line: 3, expected: 'UTF-8 text', found: 'invalid UTF-8' },
    'empty-ratings': { file: 'ratings.csv', expected: 'expected a header line', found: 'empty file' },
  },
  csv: {
    'missing-column': {
      file: 'data.csv',
      line: 1,
      field: 'header',
      expected: 'a column "user"',
      found: 'uid,iid,score',
      params: { path: 'data.csv', columns: { user: 'user', item: 'item' } },
    },
    'rating-not-a-number': {
      file: 'data.csv',
      line: 3,
      field: 'rating',
      expected: 'a number',
      found: '"four"',
      params: { path: 'data.csv', columns: { user: 'user', item: 'item', rating: 'rating' } },
    },
    'empty-user-id': {
      file: 'data.tsv',
      line: 2,
      field: 'column 0',
      expected: 'a non-empty ID',
      found: '""',
      params: { path: 'data.tsv', delimiter: 'tab', header: false },
    },
    'too-few-fields': {
      file: 'data.csv',
      line: 3,
      expected: 'at least 3 fields',
      found: '2 fields',
      params: { path: 'data.csv', columns: { user: 'user', item: 'item', rating: 'rating' } },
    },
  },
  lightgcn: {
    'item-not-integer': {
      file: 'train.txt',
      line: 2,
      field: 'item 2',
      expected: 'a non-negative integer ID',
      found: '"5a"',
    },
    'double-space': {
      file: 'train.txt',
      line: 2,
      field: 'item 2',
      expected: 'separated by single spaces',
      found: '" "',
    },
    'negative-id': {
      file: 'test.txt',
      line: 2,
      field: 'item 1',
      expected: 'a non-negative integer',
      found: '"-3"',
    },
    'tab-separated': {
      file: 'train.txt',
      line: 1,
      field: 'user',
      expected: 'single spaces',
      found: '"0\\t1\\t2"',
    },
    'missing-test': { file: 'test.txt', expected: 'a test file', found: 'found none' },
  },
  parquet: {
    'not-parquet': {
      file: 'data.parquet',
      expected: 'a Parquet file',
      found: 'cannot read',
      params: { path: 'data.parquet' },
    },
    'missing-column': {
      file: 'data.parquet',
      field: 'columns.user',
      expected: 'a column "user"',
      found: 'uid, item',
      params: { path: 'data.parquet' },
    },
    'null-user': {
      file: 'data.parquet',
      line: 2,
      field: 'user',
      expected: 'an ID',
      found: '"null"',
      params: { path: 'data.parquet' },
    },
    'rating-not-finite': {
      file: 'data.parquet',
      line: 2,
      field: 'rating',
      expected: 'a finite number',
      found: '"NaN"',
      params: { path: 'data.parquet', columns: { user: 'user', item: 'item', rating: 'rating' } },
    },
  },
};

async function loadCase(
  loader: keyof typeof loaders,
  dir: string,
  params: Record<string, unknown>,
): Promise<Dataset> {
  const def = loaders[loader];
  const ctx = makeTestContext({ configDir: dir });
  const parsed = def.schema.parse({ path: '.', ...params });
  const comp = await def.create(
    parsed as never,
    {} as never,
    { ...ctx, instantiate: () => Promise.reject() } as never,
  );
  return comp.load(ctx);
}

function expectMessage(e: unknown, dir: string, c: Case): void {
  expect(e).toBeInstanceOf(DataError);
  const msg = (e as Error).message;
  const where = c.file === '' ? dir : join(dir, c.file);
  expect(msg).toContain(c.line !== undefined ? `${where}:${c.line}:` : where);
  if (c.field !== undefined) expect(msg).toContain(`field "${c.field}"`);
  expect(msg).toContain(c.expected);
  expect(msg).toContain(c.found);
}

describe('bad-data corpus: every loader names file, line, field, expected and found', () => {
  for (const [loader, byCase] of Object.entries(cases)) {
    describe(loader, () => {
      for (const [name, c] of Object.entries(byCase)) {
        it(name, async () => {
          const dir = join(badDataRoot, loader, name);
          expect(existsSync(dir), `fixture ${dir}`).toBe(true);
          const err = await loadCase(loader as keyof typeof loaders, dir, c.params ?? {}).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err, 'the loader must reject the file').toBeDefined();
          expectMessage(err, dir, c);
        });
      }
    });
  }

  it('every fixture folder has a case', () => {
    for (const loader of readdirSync(badDataRoot)) {
      if (loader === 'store') continue;
      for (const name of readdirSync(join(badDataRoot, loader)))
        expect(cases[loader]?.[name], `${loader}/${name}`).toBeDefined();
    }
  });

  describe('store', () => {
    it('short-column', () => {
      const dir = join(badDataRoot, 'store', 'short-column');
      expect(() => loadInteractions(dir)).toThrow(/users\.i32: expected 12 bytes \(3 rows\), found 8/);
    });
    it('index-out-of-range', () => {
      const dir = join(badDataRoot, 'store', 'index-out-of-range');
      expect(() => loadInteractions(dir)).toThrow(/items\.i32: row 1: expected an index below 2, found 5/);
    });
  });
});
