import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeTracking } from '../../packages/cli/src/output.ts';
import { runCli } from '../helpers/cli.ts';
import { ensureMlflow, freePort } from '../helpers/mlflow-server.ts';

// `embrec ui` against the real MLflow server: a tiny offline run, then `ui` starts the server on
// 127.0.0.1, syncs the run, prints the URL; the run is queried over MLflow's REST API; SIGINT
// (Ctrl-C) stops the server.
const root = mkdtempSync(join(tmpdir(), 'embrec-ui-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('embrec ui', () => {
  it('says how to install MLflow when it is missing', async () => {
    const r = await runCli(['ui', root, '--port', '0'], {
      env: {
        PATH: '/usr/bin:/bin',
        EMBREC_MLFLOW: '',
        EMBREC_MLFLOW_VENV: join(root, 'no-venv'),
        EMBREC_MLFLOW_AUTOINSTALL: '0',
      },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('MLflow is not installed');
    expect(r.stderr).toContain('./scripts/mlflow-setup.sh');
    expect(r.stdout).toBe('');
  }, 60_000);

  it('starts MLflow, syncs an offline run into it, prints the URL; SIGINT stops it', async () => {
    ensureMlflow();
    const file = join(root, 'ui-demo.yaml');
    writeFileSync(
      file,
      [
        'name: ui-demo',
        'seed: 5',
        'backend: cpu',
        'dataset: { type: demo, users: 60, items: 80 }',
        'split: { type: random, ratio: 0.2 }',
        'model: { type: mf, dim: 4, train: { epochs: 1, batchSize: 256 } }',
        'loss: { type: infonce, temperature: 0.1 }',
        'sampler: { type: in-batch }',
        'evaluate: { type: full, ks: [10], metrics: [ndcg] }',
        '',
      ].join('\n'),
    );
    const out = join(root, 'runs');
    const run = await runCli(['run', file, '--output', out], { env: { MLFLOW_TRACKING_URI: '' } });
    expect(run.code, run.stderr).toBe(0);

    const port = await freePort();
    let found:
      | {
          experiment: string;
          runs: {
            info: { run_id: string };
            data: { metrics?: { key: string; value: number }[]; tags?: { key: string; value: string }[] };
          }[];
        }
      | undefined;
    let queried: Promise<void> | undefined;
    const ui = await runCli(['ui', out, '--port', String(port)], {
      onStdoutLine: (line, kill) => {
        if (!line.startsWith('MLflow UI: ')) return;
        queried = (async () => {
          try {
            const uri = line.split(' ')[2]!;
            expect(uri).toBe(`http://127.0.0.1:${port}`);
            const exp = (await (
              await fetch(`${uri}/api/2.0/mlflow/experiments/get-by-name?experiment_name=ui-demo`)
            ).json()) as { experiment: { experiment_id: string } };
            const res = await fetch(`${uri}/api/2.0/mlflow/runs/search`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ experiment_ids: [exp.experiment.experiment_id] }),
            });
            found = {
              experiment: exp.experiment.experiment_id,
              ...((await res.json()) as { runs: never[] }),
            };
          } finally {
            kill('SIGINT');
          }
        })();
      },
    });
    await queried;
    expect(ui.stderr).toContain('stopping the MLflow server');
    expect(ui.code, ui.stderr).toBe(0);
    expect(ui.stdout).toMatch(/created +trial run/);
    const trial = found!.runs.find((r) =>
      r.data.tags?.some((t) => t.key === 'embrec.kind' && t.value === 'trial'),
    );
    expect(trial).toBeDefined();
    expect(trial!.data.metrics?.find((m) => m.key === 'test.ndcg_at_10')?.value).toBeGreaterThan(0);
    // a later run's closing lines name this server and the sweep's run (one of the runs found)
    const said = describeTracking(join(out, 'ui-demo'));
    const m = new RegExp(
      `^MLflow: http://127\\.0\\.0\\.1:${port}  run (\\w+)(?: \\(run\\))?  http://127\\.0\\.0\\.1:${port}/#/experiments/${found!.experiment}/runs/\\w+$`,
    ).exec(said);
    expect(m, said).not.toBeNull();
    expect(found!.runs.map((r) => r.info.run_id)).toContain(m![1]);
    // the server is gone with it
    await expect(
      fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3000) }),
    ).rejects.toThrow();
  }, 400_000);
});
