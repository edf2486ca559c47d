import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowClient } from '@embrec/mlflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { findMlflow, type MlflowTestServer, startMlflowServer } from '../helpers/mlflow-server.ts';
import { type Proc, startCli } from './proc.ts';
import { haveRedis, redisCli, startRedis, type TestRedis } from './redis.ts';
import { sleepSweep } from './sweep.ts';

const haveMlflow = Boolean(findMlflow()) || Boolean(process.env.CI);

describe.skipIf(!haveRedis() || !haveMlflow)('queue workers mirror trials to MLflow', () => {
  let redis: TestRedis;
  let mlflow: MlflowTestServer;
  const procs: Proc[] = [];
  beforeAll(async () => {
    [redis, mlflow] = await Promise.all([startRedis(), startMlflowServer()]);
  }, 180_000);
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all([redis?.stop(), mlflow?.stop()]);
  });

  it('two workers: one parent run for the sweep, one nested run per trial, no duplicates', async () => {
    const s = sleepSweep({ name: 'mirrored', ms: 500, powers: [0.5, 1, 2], seeds: [1, 2] });
    const env = { EMBREC_LEASE_MS: '5000', MLFLOW_TRACKING_URI: mlflow.uri };
    const workers = [0, 1].map(() => {
      const p = startCli(['worker', '--queue', redis.url, '--output', s.out], env);
      procs.push(p);
      return p;
    });
    const r = await runCli(['run', s.file, '--output', s.out, '--queue', redis.url], { env });
    expect(r.code, r.stderr).toBe(0);
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    const client = new MlflowClient(mlflow.uri);
    const exp = await client.getExperimentByName('mirrored');
    expect(exp).toBeDefined();
    const runs = await client.searchRuns({ experimentIds: [exp!.experiment_id] });
    const tag = (run: (typeof runs)[number], key: string) => run.data.tags?.find((t) => t.key === key)?.value;
    const sweeps = runs.filter((x) => tag(x, 'embrec.kind') === 'sweep');
    const trials = runs.filter((x) => tag(x, 'embrec.kind') === 'trial');
    expect(sweeps).toHaveLength(1);
    expect(trials).toHaveLength(6);
    expect(new Set(trials.map((x) => tag(x, 'embrec.trial'))).size).toBe(6);
    for (const t of trials) {
      expect(t.info.status).toBe('FINISHED');
      expect(tag(t, 'mlflow.parentRunId')).toBe(sweeps[0]!.info.run_id);
    }
    // the workers uploaded each trial's per-user vectors: the report from MLflow is the folder's
    const [fromFolder, fromMlflow] = await Promise.all([
      runCli(['report', join(s.out, 'mirrored'), '--baseline', 'model.power=1']),
      runCli(['report', '--mlflow', mlflow.uri, '--experiment', 'mirrored', '--baseline', 'model.power=1']),
    ]);
    expect(fromMlflow.code, fromMlflow.stderr).toBe(0);
    expect(fromMlflow.stdout).toBe(fromFolder.stdout);
    expect(fromMlflow.stdout).not.toMatch(/unpaired/);

    // trials finished in MLflow are not enqueued again, even with an empty queue and another output folder
    redisCli(redis.port, 'FLUSHALL');
    const elsewhere = mkdtempSync(join(tmpdir(), 'embrec-elsewhere-'));
    const again = await runCli(['run', s.file, '--output', elsewhere, '--queue', redis.url], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/0 enqueued, .* 6 finished before \(6 of them found in MLflow\)/);
    expect(again.stderr).toMatch(/6 finished, 0 failed/);
    expect(redisCli(redis.port, 'LLEN', 'bull:embrec-trials:wait')).toBe('0');
    expect(await client.searchRuns({ experimentIds: [exp!.experiment_id] })).toHaveLength(runs.length);
    // another config (a changed axis value) is a new trial: enqueued
    writeFileSync(
      s.file,
      readFileSync(s.file, 'utf8').replace('model.power: [0.5, 1, 2]', 'model.power: [0.5, 1, 3]'),
    );
    const changed = startCli(['run', s.file, '--output', elsewhere, '--queue', redis.url], env);
    procs.push(changed);
    await changed.waitFor(/2 enqueued, .* 4 finished before \(4 of them found in MLflow\)/);
    changed.child.kill('SIGINT');
    await changed.exited;
  }, 300_000);
});
