import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, type Dataset, IdMap, makeInteractions, type Splits } from '@embrec/core';
import { makeTestContext } from '@embrec/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { leaveOneOutSplitter } from '../../packages/data/src/splitters/leave-one-out/component.ts';
import { randomSplitter } from '../../packages/data/src/splitters/random/component.ts';
import { MetricAccumulator } from '../../packages/eval/src/evaluation/accumulate.ts';
import { builtinMetric } from '../../packages/eval/src/evaluation/metrics.ts';
import { runCli } from '../helpers/cli.ts';

/**
 * Issue 10 item 3 (data): bad data finished as a result. Duplicated CSV rows gave a FINISHED trial
 * with a masked test item (a repeated pair in train and test); an empty test split gave all-zero
 * metrics, FINISHED. Now repeated pairs are collapsed before splitting (or refused, or kept on one
 * side), and a split with no test user / no test item seen in training is an error naming the file.
 */

const root = mkdtempSync(join(tmpdir(), 'embrec-bad-split-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** 40 users × 8 items each from 60 items, with a popularity skew, as CSV rows `user,item,ts`. */
function rows(): string[] {
  const out: string[] = [];
  for (let u = 0; u < 40; u++)
    for (let j = 0; j < 8; j++) out.push(`u${u},i${(u * 7 + j * j * 3 + j) % 60},${1000 + u * 10 + j}`);
  return out;
}

function writeCsv(name: string, lines: readonly string[]): string {
  const file = join(root, name);
  writeFileSync(file, `user,item,ts\n${lines.join('\n')}\n`);
  return file;
}

function experiment(name: string, csv: string, split: string): string {
  const file = join(root, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'seed: 1',
      `dataset: { type: csv, path: ${JSON.stringify(csv)}, columns: { user: user, item: item, timestamp: ts } }`,
      `split: ${split}`,
      'model: { type: mostpop }',
      'evaluate: { type: full, ks: [10], metrics: [recall, ndcg] }',
      '',
    ].join('\n'),
  );
  return file;
}

interface TrialOut {
  status: string;
  error?: string;
  metrics?: Record<string, number>;
  logs: string;
}

async function run(name: string, csv: string, split: string): Promise<TrialOut & { stderr: string }> {
  return runFile(name, experiment(name, csv, split));
}

async function runFile(name: string, file: string): Promise<TrialOut & { stderr: string }> {
  const r = await runCli(['run', file, '--output', join(root, 'runs')]);
  const dir = join(root, 'runs', name);
  const trial = readdirSync(dir, { withFileTypes: true }).find(
    (e) => e.isDirectory() && !e.name.startsWith('.') && existsSync(join(dir, e.name, 'status.json')),
  );
  expect(trial, `a trial folder in ${dir}; stderr: ${r.stderr}`).toBeDefined();
  const t = join(dir, trial!.name);
  const status = JSON.parse(readFileSync(join(t, 'status.json'), 'utf8')) as {
    status: string;
    error?: string;
  };
  const metrics = existsSync(join(t, 'metrics.json'))
    ? (JSON.parse(readFileSync(join(t, 'metrics.json'), 'utf8')) as { values: Record<string, number> }).values
    : undefined;
  return {
    ...status,
    ...(metrics ? { metrics } : {}),
    logs: readFileSync(join(t, 'logs.txt'), 'utf8'),
    stderr: r.stderr,
  };
}

const ctx = () => {
  const lines: string[] = [];
  const c = makeTestContext({ seed: 3 });
  const log = { ...c.log };
  for (const level of ['debug', 'info', 'warn', 'error'] as const)
    (log as Record<string, unknown>)[level] = (m: string) => lines.push(`${level} ${m}`);
  return { ctx: { ...c, log: log as typeof c.log }, lines };
};

function split(def: typeof randomSplitter | typeof leaveOneOutSplitter, params: object, d: Dataset) {
  const { ctx: c, lines } = ctx();
  const s = (def.create as (p: unknown, d: unknown, c: unknown) => { split(d: Dataset, c: unknown): Splits })(
    def.schema.parse(params),
    {},
    c,
  ).split(d, c);
  return { s, lines };
}

describe('repeated (user, item) rows', () => {
  it('duplicated CSV rows give the same result as the clean file (collapsed, with a count in the log)', async () => {
    const clean = writeCsv('clean.csv', rows());
    const doubled = writeCsv('doubled.csv', [...rows(), ...rows()]);
    const split = '{ type: leave-one-out, order: time }';
    const a = await run('clean', clean, split);
    const b = await run('doubled', doubled, split);
    expect(a.status).toBe('FINISHED');
    expect(b.status).toBe('FINISHED');
    expect(a.metrics!['Recall@10']).toBeGreaterThan(0);
    expect(b.metrics).toEqual(a.metrics);
    expect(b.logs).toMatch(/collapsed 320 repeated \(user, item\) rows of .*doubled\.csv/);
  }, 120_000);

  it('split.duplicates: error refuses them, naming the file and the first pair', async () => {
    const doubled = writeCsv('doubled2.csv', [...rows(), 'u3,i21,5000']);
    const r = await run('dup-error', doubled, '{ type: random, duplicates: error }');
    expect(r.status).toBe('FAILED');
    expect(r.error).toMatch(/doubled2\.csv.*1 repeated \(user, item\) row, first user u3, item i21/);
  }, 60_000);

  it('split.duplicates: keep keeps every row, never one pair in both train and a held-out split', () => {
    const users = Int32Array.from({ length: 200 }, (_, r) => r % 10);
    // the first 10 rows of a user repeat 5 items (sessions); the last 10 are distinct
    const items = Int32Array.from({ length: 200 }, (_, r) => (r < 100 ? (r * 7) % 5 : 5 + (r % 17)));
    const x = makeInteractions({
      userIds: IdMap.range(10),
      itemIds: IdMap.range(30),
      users,
      items,
      timestamps: Float64Array.from({ length: 200 }, (_, r) => r),
    });
    const d: Dataset = { name: 'seq', interactions: x };
    for (const [def, params] of [
      [randomSplitter, { ratio: 0.3, valid: true, duplicates: 'keep' }],
      [leaveOneOutSplitter, { valid: true, duplicates: 'keep' }],
    ] as const) {
      const { s } = split(def, params, d);
      expect(s.train.users.length + s.valid!.users.length + s.test.users.length).toBe(200);
      const train = new Set(Array.from(s.train.users, (u, r) => `${u}/${s.train.items[r]}`));
      for (const h of [s.valid!, s.test])
        for (let r = 0; r < h.users.length; r++) expect(train.has(`${h.users[r]}/${h.items[r]}`)).toBe(false);
    }
  });
});

describe('splits that cannot be evaluated are errors naming the file', () => {
  it('an empty test split (every user has one interaction) fails the trial, not all-zero metrics', async () => {
    const one = writeCsv('one-each.csv', ['u1,i1,1', 'u2,i2,2', 'u3,i1,3']);
    const r = await run('empty-test', one, '{ type: leave-one-out, order: time }');
    expect(r.status).toBe('FAILED');
    expect(r.metrics).toBeUndefined();
    expect(r.error).toMatch(/test split of .*one-each\.csv.* is empty \(no test user\)/);
  }, 60_000);

  it('given splits whose test items never occur in training fail, naming the test file', async () => {
    const dir = join(root, 'lightgcn-disjoint');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'train.txt'), '0 0 1 2\n1 1 2 3\n');
    writeFileSync(join(dir, 'test.txt'), '0 7\n1 8\n');
    const file = join(root, 'disjoint.yaml');
    writeFileSync(
      file,
      [
        'name: disjoint',
        `dataset: { type: lightgcn, path: ${JSON.stringify(dir)}, valid: null }`,
        'split: { type: given }',
        'model: { type: mostpop }',
        'evaluate: { type: full, ks: [2] }',
        '',
      ].join('\n'),
    );
    const r = await runFile('disjoint', file);
    expect(r.status).toBe('FAILED');
    expect(r.error).toMatch(/none of the 2 test items of .*test\.txt.* occurs in training/);
  }, 60_000);

  it('test items unseen in training are allowed and counted in the log', () => {
    const x = makeInteractions({
      userIds: IdMap.range(3),
      itemIds: IdMap.range(5),
      users: Int32Array.from([0, 0, 1, 1, 2, 2]),
      items: Int32Array.from([0, 1, 0, 4, 1, 3]),
      timestamps: Float64Array.from([1, 2, 1, 2, 1, 2]),
    });
    const { s, lines } = split(leaveOneOutSplitter, {}, { name: 'cold', interactions: x });
    expect(Array.from(s.test.items)).toEqual([1, 4, 3]);
    expect(lines.join('\n')).toMatch(/2 test items \(2 test rows\) never occur in training/);
  });

  it('a metric averaged over zero users is an error, not 0', () => {
    const acc = new MetricAccumulator({ metrics: [builtinMetric('recall')], ks: [10], rows: 0 });
    expect(() => acc.finish('full', new Int32Array(0))).toThrow(DataError);
    expect(() => acc.finish('full', new Int32Array(0))).toThrow(/average over zero users/);
  });
});
