import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listBenchmarks } from '../../bench/run.ts';
import { repoRoot } from '../helpers/cli.ts';

function npmBench(args: string[]) {
  const r = spawnSync('npm', ['run', '-s', 'bench', '--', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 170_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run bench', () => {
  it('lists every benchmark in bench/ (helpers imported by others are not benchmarks)', () => {
    const names = listBenchmarks().map((b) => b.name);
    const files = readdirSync(join(repoRoot, 'bench')).filter((f) => f.endsWith('.ts') && !f.startsWith('.'));
    expect(names).not.toContain('eval-common'); // imported by eval-*.ts
    expect(names).not.toContain('run');
    expect(names.length).toBe(files.length - 2);
    for (const b of listBenchmarks()) expect(b.description, b.name).not.toBe('');
    const r = npmBench([]);
    expect(r.code).toBe(0);
    for (const n of names) expect(r.stdout).toMatch(new RegExp(`^  ${n} `, 'm'));
  });

  it('refuses an unknown name and lists the available ones (exit 2)', () => {
    const r = npmBench(['native-gem']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown benchmark "native-gem"; available: ');
    expect(r.stderr).toContain('native-gemm');
  });

  it('runs the one named with its options: cli-start, the tiny one', () => {
    const r = npmBench(['cli-start', '--runs', '10']); // as docs/benchmarks.md shows it
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('10 starts each');
    expect(r.stdout).toMatch(/\| embrec --help \| \d+\.\d{3} \|/);
  }, 180_000);
});
