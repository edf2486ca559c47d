import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseShard, shardTrials } from '../../packages/cli/src/queue/shard.ts';
import { runCli } from '../helpers/cli.ts';
import { sleepSweep, trialsOf } from './sweep.ts';

describe('embrec run --shard I/N', () => {
  it('splits trials into disjoint shards covering the sweep; bad specs are usage errors', () => {
    const trials = Array.from({ length: 10 }, (_, i) => i);
    const parts = [1, 2, 3].map((i) => shardTrials(trials, { index: i, count: 3 }));
    expect(parts.flat().sort((a, b) => a - b)).toEqual(trials);
    expect(parts[0]).toEqual([0, 3, 6, 9]);
    for (const bad of ['0/3', '4/3', '3', 'a/b', '1/0'])
      expect(() => parseShard(bad)).toThrow(/--shard expects I\/N/);
  });

  it('three shards at once on one folder give the same metrics per trial as one local run, one folder per trial', async () => {
    const s = sleepSweep({ ms: 100, powers: [0.5, 1, 2], seeds: [1, 2] });
    const local = await runCli(['run', s.file, '--output', join(s.dir, 'local'), '--quiet']);
    expect(local.code, local.stderr).toBe(0);
    const shards = await Promise.all(
      [1, 2, 3].map((i) => runCli(['run', s.file, '--output', s.out, '--shard', `${i}/3`, '--quiet'])),
    );
    for (const r of shards) expect(r.code, r.stderr).toBe(0);
    const a = trialsOf(join(s.dir, 'local', 'sleepy'));
    const b = trialsOf(join(s.out, 'sleepy'));
    expect(a.size).toBe(6);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, t] of a) {
      expect(t.status).toBe('FINISHED');
      expect(b.get(name)?.status).toBe('FINISHED');
      expect(b.get(name)?.metrics).toEqual(t.metrics);
    }
    // embrec report merges the shards' folder like a local run's
    const [ra, rb] = await Promise.all([
      runCli(['report', join(s.dir, 'local', 'sleepy')]),
      runCli(['report', join(s.out, 'sleepy')]),
    ]);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stdout).toMatch(/\| 2 {5}\|/); // two seeds per group
    expect(rb.stdout.replaceAll(s.out, '')).toBe(ra.stdout.replaceAll(join(s.dir, 'local'), ''));
    // every lease was released
    expect(readdirSync(join(s.out, 'sleepy', '.leases'))).toEqual([]);
    // a shard run again skips its finished trials; the plain run refuses while... (no lock left behind)
    const again = await runCli(['run', s.file, '--output', s.out, '--shard', '2/3']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/0 finished, 0 failed, 2 skipped/);
  }, 180_000);
});
