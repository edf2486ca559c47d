import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pairedTTest } from '@embrec/eval';
import { describe, expect, it } from 'vitest';
import { pairedAcross } from '../../experiments/ex6-paired-test.ts';
import { repoRoot } from '../helpers/cli.ts';

/** A trial folder whose per-user metrics are `metrics` (display name → value per user). */
function trial(dir: string, users: string[], metrics: Record<string, number[]>): void {
  const pu = join(dir, 'per-user');
  mkdirSync(pu, { recursive: true });
  writeFileSync(join(pu, 'users.json'), JSON.stringify(users));
  const index: Record<string, { values: string; users: string }> = {};
  Object.entries(metrics).forEach(([name, xs], i) => {
    writeFileSync(join(pu, `m${i}.f32`), Buffer.from(Float32Array.from(xs).buffer));
    index[name] = { values: `m${i}.f32`, users: 'users.json' };
  });
  writeFileSync(join(pu, 'index.json'), JSON.stringify(index));
}

function sweeps() {
  const root = mkdtempSync(join(tmpdir(), 'embrec-ex6-paired-'));
  const a = join(root, 'pipe');
  const b = join(root, 'alone');
  // side A: two seeds of the pipeline; a ranker=null trial that must not be read
  trial(join(a, 'ranker=neumf,seed=1'), ['u1', 'u2', 'u3', 'u4'], { 'HR@10 (pipeline)': [1, 0, 1, 1] });
  trial(join(a, 'ranker=neumf,seed=2'), ['u1', 'u2', 'u3', 'u4'], { 'HR@10 (pipeline)': [1, 1, 0, 1] });
  trial(join(a, 'ranker=null,seed=1'), ['u1', 'u2', 'u3', 'u4'], { 'HR@10 (pipeline)': [0, 0, 0, 0] });
  // side B covers u5 too, which A lacks: only the users both sides cover are paired
  trial(join(b, 'seed=1'), ['u1', 'u2', 'u3', 'u4', 'u5'], { 'HR@10': [0, 0, 1, 0, 1] });
  trial(join(b, 'seed=2'), ['u1', 'u2', 'u3', 'u4', 'u5'], { 'HR@10': [1, 0, 0, 0, 1] });
  return { a, b };
}

describe('experiments/ex6-paired-test.ts (pipeline vs NeuMF alone across two sweeps)', () => {
  it('averages each user over the group’s seeds and pairs the users both sides cover', () => {
    const { a, b } = sweeps();
    const r = pairedAcross(
      { sweep: a, prefix: 'ranker=neumf', metric: 'HR@10 (pipeline)' },
      { sweep: b, prefix: 'seed=', metric: 'HR@10' },
    );
    expect(r.trialsA).toEqual(['ranker=neumf,seed=1', 'ranker=neumf,seed=2']);
    expect(r.users).toBe(4);
    const expected = pairedTTest([1, 0.5, 0.5, 1], [0.5, 0, 0.5, 0]);
    expect(r.meanDiff).toBeCloseTo(0.5, 10);
    expect(r.p).toBeCloseTo(expected.p, 10);
    expect(r.a).toBeCloseTo(0.75, 10);
    expect(r.b).toBeCloseTo(0.25, 10);
  });

  it('names the metrics a trial has when the one asked for is missing', () => {
    const { a, b } = sweeps();
    expect(() =>
      pairedAcross(
        { sweep: a, prefix: 'ranker=neumf', metric: 'HR@10' },
        { sweep: b, prefix: 'seed=', metric: 'HR@10' },
      ),
    ).toThrow(/no per-user "HR@10" \(has: HR@10 \(pipeline\)\)/);
  });

  it('runs as the command docs/results.md shows', async () => {
    const { a, b } = sweeps();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        'experiments/ex6-paired-test.ts',
        a,
        'ranker=neumf',
        'HR@10 (pipeline)',
        b,
        'seed=',
        'HR@10',
      ],
      { cwd: repoRoot },
    );
    expect(stdout).toContain('A − B = 0.5000 over 4 paired users');
  }, 60_000);
});
