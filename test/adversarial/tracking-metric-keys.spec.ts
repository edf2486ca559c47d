import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowClient, type MlflowRun, mlflowKey } from '@embrec/mlflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { type MlflowTestServer, startMlflowServer } from '../helpers/mlflow-server.ts';

/**
 * Issue 10 item 2: the final test metrics were logged at step 0 under the same key as the per-epoch
 * validation metric, so MLflow's run table showed the last validation value as the result. Now
 * validation goes to `valid.<key>` per epoch and test to `test.<key>` once. Checked against a real
 * MLflow server, live (the runner's tracker) and offline + `embrec track sync`.
 */

let server: MlflowTestServer;
let client: MlflowClient;
const out = mkdtempSync(join(tmpdir(), 'embrec-keys-'));

beforeAll(async () => {
  server = await startMlflowServer();
  client = new MlflowClient(server.uri, { retry: { retries: 2, backoffMs: 50, timeoutMs: 10_000 } });
}, 1_200_000);

afterAll(async () => {
  await server?.stop();
  if (server) rmSync(server.dir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
}, 30_000);

const EPOCHS = 3;
const experiment = (name: string): string => {
  const file = join(out, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'seed: 3',
      'dataset: { type: demo, users: 120, items: 150, genres: 3 }',
      'split: { type: random, ratio: 0.2, valid: { ratio: 0.2 } }',
      `model: { type: mf, dim: 8, train: { epochs: ${EPOCHS}, batchSize: 128, lr: 0.01 } }`,
      'loss: { type: infonce, temperature: 0.2 }',
      'sampler: { type: in-batch }',
      'evaluate: { type: full, ks: [10, 20], metrics: [recall, ndcg] }',
      '',
    ].join('\n'),
  );
  return file;
};

async function onlyRun(name: string): Promise<MlflowRun> {
  const exp = await client.getExperimentByName(name);
  expect(exp, `experiment ${name}`).toBeDefined();
  const runs = await client.searchRuns({ experimentIds: [exp!.experiment_id] });
  const trials = runs.filter((r) => r.data.tags?.some((t) => t.key === 'embrec.kind' && t.value === 'trial'));
  expect(trials).toHaveLength(1);
  return trials[0]!;
}

/** The run's latest value of every test key is the trial's metrics.json; validation has its own keys. */
async function expectKeys(name: string): Promise<void> {
  const run = await onlyRun(name);
  const sweepDir = join(out, name);
  const trial = readdirSync(sweepDir, { withFileTypes: true }).find(
    (e) => e.isDirectory() && !e.name.startsWith('.'),
  )!.name;
  const local = JSON.parse(readFileSync(join(sweepDir, trial, 'metrics.json'), 'utf8')) as {
    values: Record<string, number>;
  };
  const latest = new Map((run.data.metrics ?? []).map((m) => [m.key, m.value]));
  expect(Object.keys(local.values)).toContain('NDCG@20');
  for (const [k, v] of Object.entries(local.values)) {
    expect(latest.get(`test.${mlflowKey(k)}`), `test.${mlflowKey(k)}`).toBe(v);
    // no bare key that the UI could show as the result
    expect(latest.has(mlflowKey(k)), mlflowKey(k)).toBe(false);
  }
  const test = await client.getMetricHistory(run.info.run_id, 'test.ndcg_at_20');
  expect(test).toHaveLength(1);
  const valid = await client.getMetricHistory(run.info.run_id, 'valid.ndcg_at_20');
  expect(valid.map((m) => m.step).sort()).toEqual([0, 1, 2]);
  const history = readFileSync(join(sweepDir, trial, 'metrics-history.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number; values: Record<string, number> });
  for (const m of valid) {
    const h = history.find((x) => x.step === m.step && x.values['NDCG@20'] !== undefined);
    expect(m.value).toBe(h!.values['NDCG@20']);
  }
  // training values keep their names
  expect((await client.getMetricHistory(run.info.run_id, 'loss')).length).toBe(EPOCHS);
}

describe('MLflow keys: validation and test never share a key', () => {
  it('live: the runner logs valid.<metric> per epoch and test.<metric> once, equal to metrics.json', async () => {
    const r = await runCli(['run', experiment('keys-live'), '--output', out, '--quiet'], {
      env: { MLFLOW_TRACKING_URI: server.uri },
    });
    expect(r.stderr).not.toContain('mlflow:');
    expect(r.code, r.stderr).toBe(0);
    await expectKeys('keys-live');
  }, 300_000);

  it('offline then `embrec track sync`: the same keys', async () => {
    const r = await runCli(['run', experiment('keys-sync'), '--output', out, '--quiet'], {
      env: { MLFLOW_TRACKING_URI: '' },
    });
    expect(r.code, r.stderr).toBe(0);
    const s = await runCli(['track', 'sync', join(out, 'keys-sync'), '--uri', server.uri]);
    expect(s.code, s.stderr).toBe(0);
    await expectKeys('keys-sync');
  }, 300_000);
});
