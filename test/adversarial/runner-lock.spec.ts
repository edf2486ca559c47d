import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { runFile, tinyExperiment, workspace } from './runner-fixture.ts';

const lockOf = (sweepDir: string) => join(sweepDir, '.embrec-lock');

describe('one embrec run per sweep folder (issue 10, item 9)', () => {
  it('two runs on the same sweep folder at once: the second refuses, naming the holder', async () => {
    const w = workspace(tinyExperiment('sweep: { seeds: [1, 2] }'));
    const [a, b] = await Promise.allSettled([
      runFile(w.file, { output: w.out }),
      runFile(w.file, { output: w.out }),
    ]);
    const results = [a, b];
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const err = (refused[0] as PromiseRejectedResult).reason as Error & { code?: string };
    expect(err.code).toBe('E_LOCKED');
    expect(err.message).toContain(`pid ${process.pid}`);
    expect(err.message).toContain(hostname());
    // the winner ran every trial exactly once and released the lock
    expect(
      (ok[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof runFile>>>).value.outcome.finished,
    ).toHaveLength(2);
    expect(existsSync(lockOf(join(w.out, 'tiny')))).toBe(false);
  });

  it('embrec run exits 2 and says who holds the lock; a stale lock (dead pid) is taken over', async () => {
    const w = workspace(tinyExperiment());
    const sweep = join(w.out, 'tiny');
    mkdirSync(sweep, { recursive: true });
    writeFileSync(join(sweep, '.embrec-sweep'), '');
    const held = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
    writeFileSync(lockOf(sweep), JSON.stringify(held));
    const r = await runCli(['run', w.file, '--output', w.out], { env: { MLFLOW_TRACKING_URI: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`pid ${process.pid} on ${hostname()}`);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(sweep, 'run'))).toBe(false);

    const dead = spawnSync(process.execPath, ['-e', '0']).pid; // a pid that has exited
    writeFileSync(lockOf(sweep), JSON.stringify({ ...held, pid: dead }));
    const r2 = await runCli(['run', w.file, '--output', w.out], { env: { MLFLOW_TRACKING_URI: '' } });
    expect(r2.stderr).toContain(`removing a stale lock`);
    expect(r2.code).toBe(0);
    expect(existsSync(lockOf(sweep))).toBe(false);
  }, 120_000);
});
