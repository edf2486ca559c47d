import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowClient } from '@embrec/core/tracking';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.ts';
import { type MlflowTestServer, startMlflowServer } from '../helpers/mlflow-server.ts';

const sweepFile = join(repoRoot, 'test', 'e2e', 'third-party', 'sweep.yaml');

function finishedTrials(sweepDir: string): string[] {
  if (!existsSync(sweepDir)) return [];
  return readdirSync(sweepDir).filter((d) => {
    const st = join(sweepDir, d, 'status.json');
    return existsSync(st) && JSON.parse(readFileSync(st, 'utf8')).status === 'FINISHED';
  });
}

async function runsOf(client: MlflowClient, experiment: string) {
  const exp = await client.getExperimentByName(experiment);
  expect(exp, `MLflow experiment ${experiment}`).toBeDefined();
  const runs = await client.searchRuns({ experimentIds: [exp!.experiment_id] });
  const tag = (r: (typeof runs)[number], k: string) => r.data.tags?.find((t) => t.key === k)?.value;
  const parents = runs.filter((r) => tag(r, 'embrec.kind') === 'sweep');
  const children = runs.filter((r) => tag(r, 'mlflow.parentRunId') !== undefined);
  return { runs, parents, children, tag };
}

describe('a 3 × 2 sweep tracked in a real MLflow server', () => {
  let server: MlflowTestServer;
  let client: MlflowClient;
  beforeAll(async () => {
    server = await startMlflowServer();
    client = new MlflowClient(server.uri);
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('makes one parent and 6 nested runs; a crash halfway and a rerun completes it without redoing trials', async () => {
    const out = mkdtempSync(join(tmpdir(), 'embrec-sweep-'));
    const env = { EMBREC_TEST_OUT: out, MLFLOW_TRACKING_URI: server.uri };
    let ended = 0;
    const first = await runCli(['run', sweepFile, '--json'], {
      env,
      onStdoutLine: (line, kill) => {
        const e = JSON.parse(line) as { type: string };
        if (e.type === 'trial-end' && ++ended === 3) kill('SIGKILL');
      },
    });
    expect(first.signal).toBe('SIGKILL');
    const sweepDir = join(out, 'toy-sweep');
    const done = finishedTrials(sweepDir);
    expect(done.length).toBeGreaterThanOrEqual(3);
    expect(done.length).toBeLessThan(6);

    const second = await runCli(['run', sweepFile, '--json'], { env });
    expect(second.code).toBe(0);
    const events = second.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; trial?: string });
    const skippedNow = events.filter((e) => e.type === 'trial-skip').map((e) => e.trial);
    const ranNow = events.filter((e) => e.type === 'trial-end').map((e) => e.trial);
    expect(skippedNow.sort()).toEqual([...done].sort());
    expect(ranNow.length).toBe(6 - done.length);
    expect(finishedTrials(sweepDir).length).toBe(6);

    const { parents, children, tag } = await runsOf(client, 'toy-sweep');
    expect(parents.length).toBe(1);
    const mine = children.filter((r) => tag(r, 'mlflow.parentRunId') === parents[0]!.info.run_id);
    const finished = mine.filter((r) => r.info.status === 'FINISHED');
    expect(new Set(finished.map((r) => tag(r, 'embrec.trial'))).size).toBe(6);
    // every local trial's final metric arrived under MLflow's key
    for (const r of finished) {
      const trial = tag(r, 'embrec.trial')!;
      const local = JSON.parse(readFileSync(join(sweepDir, trial, 'metrics.json'), 'utf8')).values[
        'Recall@10'
      ];
      const remote = r.data.metrics?.find((m) => m.key === 'recall_at_10')?.value;
      expect(remote).toBeCloseTo(local, 6);
    }
    // the report over the sweep works on the same folder
    const rep = await runCli(['report', sweepDir, '--metric', 'Recall@10', 'NDCG@10']);
    expect(rep.code).toBe(0);
    expect(rep.stdout).toContain('model.power=1,dataset.users=200');
    expect(rep.stdout).toContain('p vs model.power=1');
  }, 300_000);

  it('syncs a sweep run offline: the same runs appear, and a second sync adds nothing', async () => {
    const out = mkdtempSync(join(tmpdir(), 'embrec-offline-'));
    const env = { EMBREC_TEST_OUT: out, MLFLOW_TRACKING_URI: '' };
    const r = await runCli(['run', sweepFile, '--set', 'name=toy-offline', '--json'], { env });
    expect(r.code).toBe(0);
    const sweepDir = join(out, 'toy-offline');
    expect(finishedTrials(sweepDir).length).toBe(6);
    const s1 = await runCli(['track', 'sync', sweepDir, '--uri', server.uri]);
    expect(s1.code, s1.stderr).toBe(0);
    const s2 = await runCli(['track', 'sync', sweepDir, '--uri', server.uri]);
    expect(s2.code, s2.stderr).toBe(0);
    const { parents, children, tag } = await runsOf(client, 'toy-offline');
    expect(parents.length).toBe(1);
    const mine = children.filter((c) => tag(c, 'mlflow.parentRunId') === parents[0]!.info.run_id);
    expect(mine.length).toBe(6);
    for (const c of mine) {
      const trial = tag(c, 'embrec.trial')!;
      const local = JSON.parse(readFileSync(join(sweepDir, trial, 'metrics.json'), 'utf8')).values['NDCG@10'];
      expect(c.data.metrics?.find((m) => m.key === 'ndcg_at_10')?.value).toBeCloseTo(local, 6);
    }
  }, 300_000);
});
