import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { type Proc, startCli } from './proc.ts';
import { haveRedis, redisCli, startRedis, type TestRedis } from './redis.ts';
import { sleepSweep, trialsOf } from './sweep.ts';

const env = { EMBREC_LEASE_MS: '5000', MLFLOW_TRACKING_URI: '' };

describe.skipIf(!haveRedis())('embrec run --queue / embrec worker on a real Redis', () => {
  let redis: TestRedis;
  const procs: Proc[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await redis?.stop();
  });
  const worker = (out: string, extra: string[] = []) => {
    const p = startCli(['worker', '--queue', redis.url, '--output', out, ...extra], env);
    procs.push(p);
    return p;
  };

  it('3 workers, one SIGKILLed mid-trial and restarted, Redis restarted: exactly 12 finished trials, metrics = local run', async () => {
    redisCli(redis.port, 'FLUSHALL');
    const s = sleepSweep({ ms: 2500, powers: [0.5, 1, 2], seeds: [1, 2, 3, 4] });
    const follow = startCli(['run', s.file, '--output', s.out, '--queue', redis.url], env);
    procs.push(follow);
    await follow.waitFor(/12 enqueued/);
    const [w1, w2, w3] = [worker(s.out), worker(s.out), worker(s.out)];
    // kill w1 in the middle of a trial
    await w1.waitFor(/running \(attempt/);
    await new Promise((r) => setTimeout(r, 800));
    w1.child.kill('SIGKILL');
    await w1.exited;
    await redis.restart(); // finished trials and the queue survive (appendonly yes)
    const w4 = worker(s.out);
    const done = await follow.exited;
    expect(done.code, follow.stderr()).toBe(0);
    expect(follow.stderr()).toMatch(/12 finished, 0 failed/);
    const trials = trialsOf(join(s.out, 'sleepy'));
    expect(trials.size).toBe(12);
    for (const [, t] of trials) expect(t.status).toBe('FINISHED');
    expect(Number(redisCli(redis.port, 'ZCARD', 'bull:embrec-trials:completed'))).toBe(12);
    expect(readdirSync(join(s.out, 'sleepy', '.leases'))).toEqual([]);
    // the killed worker's trial was taken over by another worker
    expect(w2.stderr() + w3.stderr() + w4.stderr()).toMatch(/FINISHED/);
    // running it again enqueues nothing and exits at once
    const again = await runCli(['run', s.file, '--output', s.out, '--queue', redis.url], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/0 enqueued/);
    // the same metrics as a plain local run of the sweep
    const local = await runCli(['run', s.file, '--output', join(s.dir, 'local'), '--quiet'], { env });
    expect(local.code, local.stderr).toBe(0);
    for (const [name, t] of trialsOf(join(s.dir, 'local', 'sleepy')))
      expect(trials.get(name)?.metrics).toEqual(t.metrics);
    for (const w of [w2, w3, w4]) w.child.kill('SIGTERM');
    await Promise.all([w2.exited, w3.exited, w4.exited]);
  }, 420_000);

  it('a deterministic failure is retried, then marked failed with its error; run --queue lists it and exits 1', async () => {
    redisCli(redis.port, 'FLUSHALL');
    const s = sleepSweep({ name: 'failing', ms: 10, powers: [1], seeds: [1], fail: [false, true] });
    const w = worker(s.out);
    const r = await runCli(['run', s.file, '--output', s.out, '--queue', redis.url, '--retries', '1'], {
      env,
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/FAILED after 2 attempt\(s\)[\s\S]*failing on purpose/);
    expect(r.stderr).toMatch(/1 finished, 1 failed/);
    expect(w.stderr().match(/failing on purpose/g)?.length).toBe(2);
    const trials = trialsOf(join(s.out, 'failing'));
    expect([...trials.values()].map((t) => t.status).sort()).toEqual(['FAILED', 'FINISHED']);
    // embrec report lists it: name, attempts, error
    const rep = await runCli(['report', join(s.out, 'failing')]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stdout).toMatch(
      /1 failed trial\(s\)[\s\S]*\| model\.power=1,model\.fail=true,seed=1 +\| 2 +\| .*failing on purpose/,
    );
    w.child.kill('SIGTERM');
    await w.exited;
  }, 240_000);

  it('a worker without the data fails the trial with a message naming the missing file', async () => {
    redisCli(redis.port, 'FLUSHALL');
    const s = sleepSweep({ name: 'nodata', ms: 10, powers: [1], seeds: [1] });
    writeFileSync(
      s.file,
      readFileSync(s.file, 'utf8').replace(
        /dataset: .*\n/,
        'dataset: { type: csv, path: data/ratings.csv, columns: { user: user, item: item } }\n',
      ),
    );
    const w = worker(s.out);
    const r = await runCli(['run', s.file, '--output', s.out, '--queue', redis.url, '--retries', '0'], {
      env,
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/FAILED after 1 attempt\(s\)[\s\S]*ratings\.csv/);
    expect(trialsOf(join(s.out, 'nodata')).size).toBe(1);
    w.child.kill('SIGTERM');
    await w.exited;
  }, 240_000);

  it('bad input: unreachable Redis, another experiment on the queue, an incompatible worker — clear errors, nothing lost', async () => {
    redisCli(redis.port, 'FLUSHALL');
    const a = sleepSweep({ name: 'first', ms: 10, powers: [1, 2], seeds: [1] });
    const b = sleepSweep({ name: 'second', ms: 10, powers: [1], seeds: [1] });
    const unreachable = await runCli(['run', a.file, '--queue', 'redis://127.0.0.1:1'], { env });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    const w0 = await runCli(['worker', '--queue', 'redis://127.0.0.1:1'], { env });
    expect(w0.code).toBe(2);
    expect(w0.stderr).toMatch(/cannot reach Redis/);
    // enqueue the first experiment with no worker, stop following: its trials stay queued
    const f = startCli(['run', a.file, '--output', a.out, '--queue', redis.url], env);
    procs.push(f);
    await f.waitFor(/2 enqueued/);
    f.child.kill('SIGINT');
    await f.exited;
    expect(
      redisCli(redis.port, 'LLEN', 'bull:embrec-trials:wait'),
      `${f.stderr()}\n${redisCli(redis.port, 'KEYS', '*')}`,
    ).toBe('2');
    const other = await runCli(['run', b.file, '--output', b.out, '--queue', redis.url], { env });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds 2 unfinished trial\(s\) of experiment "first"/);
    expect(redisCli(redis.port, 'LLEN', 'bull:embrec-trials:wait')).toBe('2');
    // a queue made by another embrec version: the worker refuses before taking anything
    const meta = redisCli(redis.port, 'GET', 'embrec:embrec-trials:meta');
    redisCli(
      redis.port,
      'SET',
      'embrec:embrec-trials:meta',
      meta.replace(/"version":"[^"]*"/, '"version":"9.0.0"'),
    );
    const old = await runCli(['worker', '--queue', redis.url], { env });
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/made by embrec 9\.0\.0; this is embrec 0\.1\.0/);
    expect(redisCli(redis.port, 'LLEN', 'bull:embrec-trials:wait')).toBe('2');
  }, 240_000);
});
