import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { sleepSweep, trialsOf } from './sweep.ts';

const env = { MLFLOW_TRACKING_URI: '' };
const attemptsOf = (trialDir: string) =>
  (JSON.parse(readFileSync(join(trialDir, 'attempts.json'), 'utf8')) as { attempts: number }).attempts;
const failing = 'model.power=1,model.fail=true,seed=1';

describe('a trial that fails every time: bounded retries, then FAILED; embrec report lists it', () => {
  it('local run: tried 1 + --retries times, exit 1, report lists name, attempts and error', async () => {
    const s = sleepSweep({ name: 'broken', ms: 10, powers: [1], seeds: [1], fail: [false, true] });
    const r = await runCli(['run', s.file, '--output', s.out, '--retries', '1'], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.match(/failing on purpose/g)?.length).toBe(2);
    expect(r.stderr).toMatch(/trying 1 failed trial\(s\) again \(attempt 2 of 2\)/);
    expect(r.stderr).toMatch(/1 finished, 1 failed, 0 skipped/);
    const trials = trialsOf(join(s.out, 'broken'));
    expect([...trials.values()].map((t) => t.status).sort()).toEqual(['FAILED', 'FINISHED']);
    expect(attemptsOf(join(s.out, 'broken', failing))).toBe(2);

    const rep = await runCli(['report', join(s.out, 'broken')]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stdout).toMatch(/1 failed trial\(s\), not in the table/);
    expect(rep.stdout).toMatch(
      new RegExp(`\\| ${failing.replace(/[.=,]/g, (c) => `\\${c}`)} +\\| 2 +\\| .*failing on purpose`),
    );
    // CSV stays a table: the failed trial goes to stderr
    const csv = await runCli(['report', join(s.out, 'broken'), '--format', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).not.toMatch(/failing/);
    expect(csv.stderr).toMatch(/FAILED after 2 attempt\(s\): .*failing on purpose/);
    // --retries 0 tries once; a bad value is a usage error
    const once = await runCli(['run', s.file, '--output', s.out, '--retries', '0'], { env });
    expect(once.code).toBe(1);
    expect(once.stderr.match(/failing on purpose/g)?.length).toBe(1);
    expect(attemptsOf(join(s.out, 'broken', failing))).toBe(1);
    const bad = await runCli(['run', s.file, '--retries', '-1'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--retries expects a whole number of at least 0, found -1/);
  }, 120_000);

  it('--shard runs: the shard holding the failing trial retries it (default 2 retries), exit 1; report lists it', async () => {
    const s = sleepSweep({ name: 'sharded', ms: 10, powers: [1, 2], seeds: [1], fail: [false, true] });
    const shards = await Promise.all(
      [1, 2].map((i) => runCli(['run', s.file, '--output', s.out, '--shard', `${i}/2`], { env })),
    );
    // trials in expansion order: power 1 (ok, fail), power 2 (ok, fail): shard 2 holds both failures
    expect(shards[0]!.code, shards[0]!.stderr).toBe(0);
    expect(shards[1]!.code, shards[1]!.stderr).toBe(1);
    expect(shards[1]!.stderr.match(/failing on purpose/g)?.length).toBe(6);
    expect(shards[1]!.stderr).toMatch(/0 finished, 2 failed/);
    const rep = await runCli(['report', join(s.out, 'sharded')]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stdout).toMatch(/2 failed trial\(s\)/);
    expect(rep.stdout.match(/\| 3 +\| .*failing on purpose/g)?.length).toBe(2);
  }, 120_000);
});
