import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startMlflowServer } from '../helpers/mlflow-server.ts';
import { haveRedis, redisCli } from '../scale-out/redis.ts';
import { finishedTrials, said, scratch } from './shell.ts';
import { fencedBlocks, shownBlock, shownLine } from './shown.ts';

// The sweep commands of README.md and docs/scale-out.md run as written (bash, in a scratch folder under
// os.tmpdir(); `npx embrec` = the CLI from source, test/docs/shell.ts) on a tiny three-trial sweep
// named my-sweep, as sweep.yaml and experiments/my-sweep.yaml. What the docs leave to the reader is
// filled in, and only that: the MLflow server's and Redis's port (a free one instead of 5000 / 6379,
// HOST = 127.0.0.1), and the shared folders /shared/runs, /runs and /var/lib/embrec-redis (folders
// in the scratch folder).
const { root, sh, start } = scratch('embrec-docs-scale-out-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const README = 'README.md';
const SCALE = 'docs/scale-out.md';
// sweep.yaml: four trials, two settings of one axis (model.power, as the docs' examples) × two seeds
const SWEEP = `name: my-sweep
seed: 1
threads: 1
dataset: { type: demo, users: 120, items: 150 }
split: { type: random, ratio: 0.2 }
model: { type: item2vec, dim: 8, epochs: 1, threads: 1 }
evaluate: { type: full, ks: [10] }
sweep: { seeds: [1, 2], params: { model.power: [1, 0] }, baseline: model.power=1 }
`;
const ALL = ['model.power=0,seed=1', 'model.power=0,seed=2', 'model.power=1,seed=1', 'model.power=1,seed=2'];
// experiments/my-sweep.yaml (the Slurm and Kubernetes examples): three seeds of one small MF
const MY_SWEEP = `name: my-sweep
seed: 1
threads: 1
dataset: { type: demo, users: 120, items: 150 }
split: { type: random, ratio: 0.2 }
model: { type: mf, dim: 4, train: { epochs: 1, batchSize: 256 } }
loss: { type: infonce }
sampler: { type: in-batch }
evaluate: { type: full, ks: [10] }
sweep: { seeds: [1, 2, 3] }
`;
const SEEDS = ['seed=1', 'seed=2', 'seed=3'];
writeFileSync(join(root, 'sweep.yaml'), SWEEP);
mkdirSync(join(root, 'experiments'));
writeFileSync(join(root, 'experiments', 'my-sweep.yaml'), MY_SWEEP);
const shared = join(root, 'shared', 'runs');

describe('README and docs/scale-out.md: shards', () => {
  it('README: run sweep.yaml --shard 2/3 runs the second trial only', async () => {
    const r = await sh(shownLine(README, /^npx embrec run sweep\.yaml --shard 2\/3$/));
    expect(r.code, said(r)).toBe(0);
    expect(finishedTrials(join(root, 'runs', 'my-sweep'))).toEqual(['model.power=1,seed=2']);
  }, 120_000);

  it('docs/scale-out.md: three shards in the background, wait, then report merges the folder', async () => {
    const script = shownBlock(SCALE, /^npx embrec run sweep\.yaml --shard 1\/3 &$/);
    expect(script).toMatch(/^wait$/m);
    const r = await sh(script, { timeoutMs: 280_000 });
    expect(r.code, said(r)).toBe(0);
    expect(finishedTrials(join(root, 'runs', 'my-sweep'))).toEqual(ALL);
    expect(r.stderr + r.stdout).toMatch(/my-sweep: 4 trials \(0 to run\)/); // shard 2/3: finished before
    expect(r.stdout).toMatch(/^\| model\.power=1 +\| 2 +\| 0\.\d+ ± /m);
    expect(r.stdout).toMatch(/^\| model\.power=0 +\| 2 +\| 0\.\d+ ± /m);
  }, 300_000);

  it('docs/scale-out.md: run --retries 1 and report on the finished folder', async () => {
    const script = shownBlock(SCALE, /^npx embrec run sweep\.yaml --retries 1$/);
    const r = await sh(script);
    expect(r.code, said(r)).toBe(0);
    expect(r.stderr + r.stdout).toMatch(/my-sweep: 4 trials \(0 to run\)/);
    expect(r.stdout).toMatch(/^\| model\.power=0 +\| 2 +\|/m);
    expect(r.stdout).not.toMatch(/failed trial/);
  }, 200_000);

  it('docs/scale-out.md: the Slurm array script, run with bash as two array tasks', async () => {
    const script = shownBlock(SCALE, /SLURM_ARRAY_TASK_ID/).replaceAll('/shared/runs', shared);
    expect(script).toMatch(/^#SBATCH --array=/m);
    writeFileSync(join(root, 'slurm.sh'), script);
    const task = (id: number) =>
      sh(`bash ${join(root, 'slurm.sh')}`, {
        cwd: tmpdir(), // the script's cd "$SLURM_SUBMIT_DIR" must take it to the experiment
        env: { SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_COUNT: '2', SLURM_SUBMIT_DIR: root },
      });
    const rs = await Promise.all([task(0), task(1)]);
    for (const r of rs) expect(r.code, said(r)).toBe(0);
    expect(said(rs[0]!)).toMatch(/3 trials \(2 to run\)/);
    expect(said(rs[1]!)).toMatch(/3 trials \(1 to run\)/);
    expect(finishedTrials(join(shared, 'my-sweep'))).toEqual(SEEDS);
  }, 300_000);

  it("docs/scale-out.md: the Kubernetes indexed Job's command with JOB_COMPLETION_INDEX 0–2 and 9", async () => {
    const job = fencedBlocks(SCALE)
      .filter((b) => b.lang === 'yaml')
      .map((b) => parse(b.body) as { kind?: string; spec: { template: { spec: { containers: unknown[] } } } })
      .find((d) => d.kind === 'Job');
    expect(job, 'docs/scale-out.md has no Kubernetes Job block').toBeDefined();
    const c = job!.spec.template.spec.containers[0] as { command: string[]; args: string[] };
    expect(c.command).toEqual(['sh', '-c']);
    const k8s = join(root, 'k8s-runs');
    const command = c.args[0]!.replace('--output /runs ', `--output ${k8s} `);
    expect(command).not.toBe(c.args[0]);
    const pod = (index: number) =>
      sh(`exec sh -c '${command}'`, { env: { JOB_COMPLETION_INDEX: String(index) } });
    const rs = await Promise.all([pod(0), pod(1), pod(2), pod(9)]);
    for (const r of rs) expect(r.code, said(r)).toBe(0);
    expect(said(rs[3]!)).toMatch(/3 trials \(0 to run\)/); // shard 10/10 of a 3-trial sweep
    expect(finishedTrials(join(k8s, 'my-sweep'))).toEqual(SEEDS);
  }, 300_000);
});

describe('README: MLflow', () => {
  it('MLFLOW_TRACKING_URI=… run sweep.yaml mirrors the sweep to MLflow; track sync pushes the shards’ folder', async () => {
    const server = await startMlflowServer();
    try {
      const local = 'http://127.0.0.1:5000';
      const runLine = shownLine(README, /^MLFLOW_TRACKING_URI=\S+ npx embrec run sweep\.yaml$/);
      expect(runLine).toContain(local);
      mkdirSync(join(root, 'mlflow'));
      writeFileSync(join(root, 'mlflow', 'sweep.yaml'), SWEEP.replace('my-sweep', 'mirrored-sweep'));
      const r = await sh(runLine.replace(local, server.uri), { cwd: join(root, 'mlflow') });
      expect(r.code, said(r)).toBe(0);
      const api = async (path: string, body?: unknown) =>
        (await (
          await fetch(`${server.uri}/api/2.0/mlflow/${path}`, {
            method: body ? 'POST' : 'GET',
            headers: { 'content-type': 'application/json' },
            ...(body ? { body: JSON.stringify(body) } : {}),
          })
        ).json()) as Record<string, unknown>;
      const runsOf = async (name: string) => {
        const e = (await api(`experiments/get-by-name?experiment_name=${name}`)) as {
          experiment?: { experiment_id: string };
        };
        expect(e.experiment, `no MLflow experiment ${name}`).toBeDefined();
        const s = (await api('runs/search', { experiment_ids: [e.experiment!.experiment_id] })) as {
          runs?: { info: { status: string; run_id: string }; data: { tags?: { key: string }[] } }[];
        };
        return s.runs ?? [];
      };
      const mirrored = await runsOf('mirrored-sweep');
      expect(mirrored.length).toBe(5); // the sweep and its four trials
      expect(mirrored.every((x) => x.info.status === 'FINISHED')).toBe(true);

      // the shards' folder runs/my-sweep (made above, offline) pushed later
      const syncLine = shownLine(README, /^npx embrec track sync runs\/my-sweep --uri /);
      expect(syncLine).toContain(local);
      const s = await sh(syncLine.replace(local, server.uri));
      expect(s.code, said(s)).toBe(0);
      expect(s.stdout).toMatch(/runs? created/);
      const synced = await runsOf('my-sweep');
      expect(synced.length).toBe(5);

      // docs/scale-out.md: the report built from the MLflow server, by experiment and by parent run id
      const byExperiment = shownLine(SCALE, /^npx embrec report --mlflow \S+ --experiment my-sweep /);
      const e = await sh(byExperiment.replace(local, server.uri));
      expect(e.code, said(e)).toBe(0);
      expect(e.stdout).toMatch(/^\| model\.power=0 +\| 2 +\| 0\.\d+ ± /m);
      const parent = synced.find((x) => !(x.data.tags ?? []).some((t) => t.key === 'mlflow.parentRunId'));
      expect(parent).toBeDefined();
      const byRun = shownLine(SCALE, /^npx embrec report --mlflow \S+ --run /);
      expect(byRun).toMatch(/--run \S*…$/); // a placeholder: the reader's own run id
      const b = await sh(
        byRun.replace(local, server.uri).replace(/--run \S*…$/, `--run ${parent!.info.run_id}`),
      );
      expect(b.code, said(b)).toBe(0);
      expect(b.stdout).toBe(e.stdout);
    } finally {
      await server.stop();
    }
  }, 400_000);
});

describe('docs/scale-out.md: a queue on Redis', () => {
  it('redis-server, run --queue and worker as shown (free port, HOST = 127.0.0.1, scratch folders)', async () => {
    if (!haveRedis()) return; // CI: haveRedis throws when redis-server is missing
    const port = await new Promise<number>((res) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => res(typeof a === 'object' && a ? a.port : 0));
      });
    });
    const dir = join(root, 'redis');
    mkdirSync(dir);
    const queueRuns = join(root, 'queue-runs');
    const fill = (l: string) =>
      l
        .replaceAll('6379', String(port))
        .replaceAll('HOST', '127.0.0.1')
        .replace('/var/lib/embrec-redis', dir)
        .replaceAll('/shared/runs', queueRuns);
    const server = spawn('bash', ['-c', `exec ${fill(shownLine(SCALE, /^redis-server /))}`], {
      stdio: 'ignore',
    });
    try {
      for (let i = 0; i < 100 && redisCli(port, 'ping') !== 'PONG'; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(redisCli(port, 'config', 'get', 'appendonly')).toContain('yes');
      const worker = start(fill(shownLine(SCALE, /^npx embrec worker --queue /)), { timeoutMs: 200_000 });
      const run = await sh(fill(shownLine(SCALE, /^npx embrec run sweep\.yaml --queue /)), {
        timeoutMs: 200_000,
      });
      worker.stop('SIGTERM'); // "Ctrl-C / SIGTERM lets its running trials finish"
      const w = await worker.done;
      expect(run.code, said(run) + said(w)).toBe(0);
      expect(run.stdout + run.stderr).toMatch(/enqueued/);
      expect(finishedTrials(join(queueRuns, 'my-sweep'))).toEqual(ALL);
    } finally {
      server.kill('SIGTERM');
    }
  }, 300_000);
});
