import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.ts';

// bench/serve.ts in smoke mode (EMBREC_BENCH_SMOKE=1: a tiny random catalogue, 1 s steps at 50 req/s,
// no Python peer), once with one process and once with `--workers 2`: the bench starts embrec serve,
// loads it, reloads it mid-run and prints its table. The numbers mean nothing; the timed run is by hand.
function bench(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'bench/serve.ts', '--index', '{type: exact}', ...args],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, EMBREC_BENCH_SMOKE: '1', FORCE_COLOR: '0' },
      timeout: 560_000,
    },
  );
  return { code: r.status, stdout: r.stdout, out: `${r.stdout}\n${r.stderr}` };
}

describe('bench/serve.ts, smoke-sized', () => {
  it.each([
    [[] as string[], /\| embrec serve \(1 Node process\), round 1 +\| 50 /],
    [['--workers', '2'], /\| embrec serve \(--workers 2\), round 1 +\| 50 /],
  ])(
    'runs with %j and prints its table with no failed request during the reload',
    (args, row) => {
      const r = bench(...args);
      expect(r.code, r.out).toBe(0);
      expect(r.stdout).toContain('smoke run (EMBREC_BENCH_SMOKE=1)');
      expect(r.stdout).toMatch(/smoke run: peer \S+ skipped/);
      expect(r.stdout).toMatch(row);
      expect(r.stdout).toMatch(
        /\| embrec serve, hot reload mid-run +\| 50 +\| [\d.]+ +\| [\d.]+ +\| [\d.]+ +\| 0 \/ \d+ +\|/,
      );
      expect(r.out).not.toMatch(/reload answered/);
    },
    600_000,
  );
});
