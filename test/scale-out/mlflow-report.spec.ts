import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.ts';
import { findMlflow, type MlflowTestServer, startMlflowServer } from '../helpers/mlflow-server.ts';

const haveMlflow = Boolean(findMlflow()) || Boolean(process.env.CI);

/** A 2 × 3 sweep (split ratio × seeds) of the sleep fixture; `fail` adds a trial that always throws. */
function sweepFile(name: string, fail = false): { file: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'embrec-mlreport-'));
  const plugin = relative(dir, join(repoRoot, 'test', 'fixtures', 'sleep-plugin'));
  const file = join(dir, 'sweep.yaml');
  writeFileSync(
    file,
    `name: ${name}
plugins: [${plugin}]
threads: 1
dataset: { type: demo, users: 60, items: 80, genres: 4 }
split: { type: random, ratio: 0.2 }
model: { type: sleep/popular, ms: 0 }
evaluate: { type: full, ks: [10], metrics: [recall, ndcg] }
sweep:
  seeds: [1, 2, 3]
${fail ? '' : '  baseline: split.ratio=0.2\n'}  params:
    split.ratio: [0.2, 0.3]
${fail ? '    model.fail: [false, true]\n' : ''}`,
  );
  const out = join(dir, 'out');
  mkdirSync(out);
  return { file, out };
}

/** Every folder named `name` under `dir`. */
function foldersNamed(dir: string, name: string): string[] {
  const found: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (!statSync(p).isDirectory()) continue;
    if (e === name) found.push(p);
    else found.push(...foldersNamed(p, name));
  }
  return found;
}

describe.skipIf(!haveMlflow)('embrec report --mlflow: the same table from the MLflow server', () => {
  let mlflow: MlflowTestServer;
  beforeAll(async () => {
    mlflow = await startMlflowServer();
  }, 180_000);
  afterAll(async () => {
    await mlflow?.stop();
  });

  it('the same table, CIs and paired tests as the folder; without per-user vectors it says so and compares unpaired', async () => {
    const s = sweepFile('reported');
    const env = { MLFLOW_TRACKING_URI: mlflow.uri };
    const run = await runCli(['run', s.file, '--output', s.out, '--quiet'], { env });
    expect(run.code, run.stderr).toBe(0);
    const folder = await runCli(['report', join(s.out, 'reported'), '--baseline', 'split.ratio=0.2']);
    expect(folder.code, folder.stderr).toBe(0);
    expect(folder.stdout).toMatch(/p \(Recall@10\)/);
    expect(folder.stdout).toMatch(/paired t-test over users/);
    const fromMlflow = await runCli([
      'report',
      '--mlflow',
      mlflow.uri,
      '--experiment',
      'reported',
      '--baseline',
      'split.ratio=0.2',
    ]);
    expect(fromMlflow.code, fromMlflow.stderr).toBe(0);
    expect(fromMlflow.stdout).toBe(folder.stdout);
    // by the parent run id, and as CSV
    const marker = JSON.parse(readFileSync(join(s.out, 'reported', 'mlflow.json'), 'utf8')) as {
      servers: Record<string, { runId: string }>;
    };
    const runId = Object.values(marker.servers)[0]!.runId;
    const [byRun, csvA, csvB] = await Promise.all([
      runCli(['report', '--mlflow', mlflow.uri, '--run', runId, '--baseline', 'split.ratio=0.2']),
      runCli(['report', join(s.out, 'reported'), '--format', 'csv', '--baseline', 'split.ratio=0.2']),
      runCli([
        'report',
        '--mlflow',
        mlflow.uri,
        '--run',
        runId,
        '--format',
        'csv',
        '--baseline',
        'split.ratio=0.2',
      ]),
    ]);
    expect(byRun.stdout).toBe(folder.stdout);
    expect(csvB.code, csvB.stderr).toBe(0);
    expect(csvB.stdout).toBe(csvA.stdout);
    // the file's sweep.baseline reaches MLflow as the parent's embrec.baseline tag: the default baseline
    const [plainFolder, plainMlflow] = await Promise.all([
      runCli(['report', join(s.out, 'reported')]),
      runCli(['report', '--mlflow', mlflow.uri, '--experiment', 'reported']),
    ]);
    expect(plainFolder.stdout).toMatch(/vs the baseline \(split\.ratio=0\.2\)/);
    expect(plainMlflow.stdout).toBe(plainFolder.stdout);

    // one trial's per-user vectors gone from the artifact store: unpaired (Welch over seeds), said in the header
    const perUser = foldersNamed(join(mlflow.dir, 'artifacts'), 'per-user');
    expect(perUser.length).toBe(6);
    rmSync(perUser[0]!, { recursive: true });
    const unpaired = await runCli([
      'report',
      '--mlflow',
      mlflow.uri,
      '--experiment',
      'reported',
      '--baseline',
      'split.ratio=0.2',
    ]);
    expect(unpaired.code, unpaired.stderr).toBe(0);
    expect(unpaired.stdout).toMatch(/\| p \(Recall@10, unpaired over seeds\) \|/);
    expect(unpaired.stdout).toMatch(
      /Welch's t-test \(unpaired\) over the seeds' Recall@10, because 1 of 6 trials have no per-user vectors in MLflow/,
    );
    expect(unpaired.stdout).toMatch(/\| split\.ratio=0\.3 +\| 3 +\|.*\| 0\.\d+ +\|/);
  }, 300_000);

  it('failed trials (retried) are listed from MLflow with their attempts and error; bad input is a clear error', async () => {
    const s = sweepFile('reported-fail', true);
    const env = { MLFLOW_TRACKING_URI: mlflow.uri };
    const run = await runCli(
      [
        'run',
        s.file,
        '--output',
        s.out,
        '--quiet',
        '--retries',
        '1',
        '--only',
        'split.ratio=0.2,model.fail=false,seed=1',
        'split.ratio=0.2,model.fail=true,seed=1',
      ],
      { env },
    );
    expect(run.code, run.stderr).toBe(1);
    const r = await runCli(['report', '--mlflow', mlflow.uri, '--experiment', 'reported-fail']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 failed trial\(s\), not in the table/);
    expect(r.stdout).toMatch(/\| split\.ratio=0\.2,model\.fail=true,seed=1 +\| 2 +\| .*failing on purpose/);
    const folder = await runCli(['report', join(s.out, 'reported-fail')]);
    expect(r.stdout).toBe(folder.stdout);

    const down = await runCli(['report', '--mlflow', 'http://127.0.0.1:1', '--experiment', 'x']);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/cannot reach the MLflow server at http:\/\/127\.0\.0\.1:1/);
    const unknown = await runCli(['report', '--mlflow', mlflow.uri, '--experiment', 'no-such-experiment']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no MLflow experiment named "no-such-experiment"/);
    const neither = await runCli(['report', '--mlflow', mlflow.uri]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/needs --experiment NAME or --run PARENT_RUN_ID/);
  }, 300_000);
});
