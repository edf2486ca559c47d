import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'embrec-plan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('embrec plan', () => {
  const file = join(root, 'grid.yaml');
  writeFileSync(
    file,
    [
      'name: grid',
      'dataset: { type: demo, users: 50, items: 60 }',
      'split: { type: random, ratio: 0.2 }',
      'model: { type: mf, dim: 4 }',
      'loss: { type: infonce }',
      'sampler: { type: in-batch }',
      'evaluate: { type: full, ks: [10] }',
      'sweep: { seeds: [1, 2], params: { loss.temperature: [0.1, 1] } }',
      '',
    ].join('\n'),
  );

  it('prints one line per trial by default, and every resolved config with --verbose', async () => {
    const short = await runCli(['plan', file]);
    expect(short.code, short.stderr).toBe(0);
    const lines = short.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^# grid: 4 trial\(s\) → /);
    expect(lines.slice(1, 5)).toEqual([
      'loss.temperature=0.1,seed=1',
      'loss.temperature=0.1,seed=2',
      'loss.temperature=1,seed=1',
      'loss.temperature=1,seed=2',
    ]);
    expect(lines[5]).toContain('--verbose');
    expect(short.stdout).not.toContain('dataset:');
    const long = await runCli(['plan', file, '--verbose']);
    expect(long.code, long.stderr).toBe(0);
    expect(long.stdout.match(/^# trial: /gm)).toHaveLength(4);
    expect(long.stdout).toContain('temperature: 0.1');
  }, 120_000);
});

describe('embrec plan into a closed pipe', () => {
  it('ends quietly when the reader goes away (`plan … | head`), with no EPIPE stack trace', async () => {
    const file = join(root, 'many.yaml');
    const seeds = Array.from({ length: 400 }, (_, i) => i + 1).join(', ');
    writeFileSync(
      file,
      [
        'name: many',
        'dataset: { type: demo, users: 50, items: 60 }',
        'split: { type: random, ratio: 0.2 }',
        'model: { type: mf, dim: 4 }',
        'loss: { type: infonce }',
        'sampler: { type: in-batch }',
        'evaluate: { type: full, ks: [10] }',
        `sweep: { seeds: [${seeds}] }`,
        '',
      ].join('\n'),
    );
    const main = join(repoRoot, 'packages', 'cli', 'src', 'main.ts');
    const cmd = `set -o pipefail; "${process.execPath}" --conditions=source --import tsx "${main}" plan "${file}" --verbose | head -c 100 >/dev/null`;
    const r = spawnSync('bash', ['-c', cmd], { cwd: repoRoot, encoding: 'utf8', timeout: 110_000 });
    expect(r.stderr).not.toMatch(/EPIPE|at .*\.ts:\d+/);
    expect(r.status).toBe(0);
  }, 120_000);
});
