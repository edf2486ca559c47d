import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@embrec/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/helpers/cli.ts';
import { type MlflowTestServer, startMlflowServer } from '../../../test/helpers/mlflow-server.ts';
import { MlflowClient, type MlflowRun } from '../src/mlflow-client.ts';
import { flattenParams } from '../src/mlflow-names.ts';
import { MlflowTracker } from '../src/mlflow-tracker.ts';
import { MARKER_FILE, OUTBOX_FILE, readMarker, readOutbox, writeMarker } from '../src/run-folder.ts';
import { describeSync, syncRuns } from '../src/sync.ts';
import { configHash } from '../src/tags.ts';
import {
  EPOCHS,
  epochLoss,
  type FakeTrial,
  finalMetrics,
  grid3x2,
  runTrial,
  writeSweep,
} from './fake-runner.ts';

/**
 * Tracking against a real MLflow server (one for the whole file: startup takes seconds). Needs
 * mlflow installed: scripts/mlflow-setup.sh. Runs are read back through the REST API.
 */

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
let server: MlflowTestServer;
let client: MlflowClient;

beforeAll(async () => {
  server = await startMlflowServer();
  client = new MlflowClient(server.uri, { retry: { retries: 2, backoffMs: 50, timeoutMs: 10_000 } });
}, 1_200_000); // minutes only when mlflow must be installed first

afterAll(async () => {
  await server?.stop();
  if (server) rmSync(server.dir, { recursive: true, force: true });
}, 30_000);

const tmp = (): string => mkdtempSync(join(tmpdir(), 'embrec-track-'));
const tag = (r: MlflowRun, key: string): string | undefined => r.data.tags?.find((t) => t.key === key)?.value;
const param = (r: MlflowRun, key: string): string | undefined =>
  r.data.params?.find((t) => t.key === key)?.value;
const metric = (r: MlflowRun, key: string): number | undefined =>
  r.data.metrics?.find((t) => t.key === key)?.value;

/** The experiment's sweep runs and the nested runs of each, read back from the server. */
async function readBack(experiment: string): Promise<{ parents: MlflowRun[]; children: MlflowRun[] }> {
  const exp = await client.getExperimentByName(experiment);
  expect(exp, `experiment ${experiment} on the server`).toBeDefined();
  const runs = await client.searchRuns({ experimentIds: [exp!.experiment_id] });
  const parents = runs.filter((r) => tag(r, 'embrec.kind') === 'sweep');
  const ids = new Set(parents.map((p) => p.info.run_id));
  const children = runs.filter((r) => ids.has(tag(r, 'mlflow.parentRunId') ?? ''));
  expect(runs.length, 'no runs outside the sweep').toBe(parents.length + children.length);
  return { parents, children };
}

/** Checks one nested run against the trial that made it: params, metrics, history, artifacts. */
async function expectTrialRun(r: MlflowRun, t: FakeTrial, dir: string): Promise<void> {
  const params = flattenParams(t.config);
  expect(r.info.run_name).toBe(t.name);
  expect(r.info.status).toBe('FINISHED');
  expect(param(r, 'model.dim')).toBe(String(t.dim));
  expect(param(r, 'loss.temperature')).toBe(String(t.temperature));
  expect(param(r, 'evaluate.ks.1')).toBe('20');
  expect(r.data.params).toHaveLength(Object.keys(params).length);
  expect(tag(r, 'embrec.trial')).toBe(t.name);
  expect(tag(r, 'embrec.config_hash')).toBe(configHash(params));
  expect(tag(r, 'embrec.version')).toMatch(/^\d+\.\d+\.\d+/);
  const final = finalMetrics(t);
  expect(metric(r, 'test.recall_at_20')).toBeCloseTo(final['Recall@20']!, 12);
  expect(metric(r, 'test.ndcg_at_10')).toBeCloseTo(final['NDCG@10']!, 12);
  const loss = await client.getMetricHistory(r.info.run_id, 'loss');
  expect(loss.map((m) => m.step).sort()).toEqual([0, 1, 2]);
  for (const m of loss) expect(m.value).toBeCloseTo(epochLoss(t, m.step), 12);
  const top = (await client.listArtifacts(r.info.run_id)).map((f) => f.path);
  expect(top).toEqual(expect.arrayContaining(['config.json', 'metrics.json', 'artifacts']));
  expect((await client.listArtifacts(r.info.run_id, 'artifacts')).map((f) => f.path)).toContain(
    'artifacts/plot.svg',
  );
  expect(await client.downloadArtifact(r.info.run_id, 'config.json')).toBe(
    readFileSync(join(dir, 'config.json'), 'utf8'),
  );
  expect(await client.downloadArtifact(r.info.run_id, 'artifacts/plot.svg')).toContain(t.name);
}

function makeTracker(
  warnings: string[],
  retry = { retries: 2, backoffMs: 50, timeoutMs: 5000 },
): MlflowTracker {
  return new MlflowTracker({
    client: new MlflowClient(server.uri, { retry }),
    log: createLogger({
      level: 'debug',
      sink: (level, line) => (level === 'warn' ? warnings.push(line) : undefined),
    }),
    fallbackDir: tmp(),
    gitDir: repoRoot,
  });
}

describe('mlflow tracking against a real server', () => {
  it('logs what MLflow limits allow: 250 params, long values truncated, "@" names, NaN', async () => {
    const experimentId = await client.ensureExperiment('limits');
    expect(await client.ensureExperiment('limits')).toBe(experimentId);
    const run = await client.createRun({ experimentId, runName: 'limits' });
    const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p.${i}`, String(i)]));
    params.long = 'x'.repeat(9000);
    await client.logBatch(run.run_id, {
      params,
      tags: { note: 'y'.repeat(8000) },
      metrics: [
        { key: 'Recall@20', value: 0.25, step: 1 },
        { key: 'NDCG@10', value: Number.NaN, step: 1 },
      ],
    });
    const r = await client.getRun(run.run_id);
    expect(r.data.params).toHaveLength(251);
    expect(param(r, 'long')).toHaveLength(6000);
    expect(param(r, 'long')).toMatch(/…\[truncated 3\d{3} chars\]$/);
    expect(tag(r, 'note')).toHaveLength(8000);
    expect(metric(r, 'recall_at_20')).toBe(0.25);
    expect((await client.getMetricHistory(run.run_id, 'NDCG@10')).map((m) => String(m.value))).toEqual([
      'NaN',
    ]);
    const err = await client.getRun('0'.repeat(32)).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 404, errorCode: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('mirrors a 3 × 2 sweep as a parent run with 6 nested runs (params, metrics, tags, artifacts)', async () => {
    const root = tmp();
    const sweepDir = join(root, 'ex-online');
    const trials = grid3x2();
    writeSweep(sweepDir, 'ex-online', 'ex-online', trials);
    const warnings: string[] = [];
    const tracker = makeTracker(warnings);
    await tracker.startSweep({
      experiment: 'ex-online',
      name: 'ex-online',
      params: {},
      tags: {},
      dir: sweepDir,
    });
    for (const t of trials) await runTrial(sweepDir, 'ex-online', t, tracker);
    await tracker.endSweep('FINISHED');
    expect(warnings).toEqual([]);
    expect(tracker.failedCalls).toBe(0);

    const { parents, children } = await readBack('ex-online');
    expect(parents).toHaveLength(1);
    expect(parents[0]!.info.status).toBe('FINISHED');
    expect(tag(parents[0]!, 'mlflow.source.git.commit')).toMatch(/^[0-9a-f]{40}$/);
    expect(children).toHaveLength(6);
    for (const t of trials) {
      const r = children.find((c) => c.info.run_name === t.name);
      expect(r, `nested run ${t.name}`).toBeDefined();
      await expectTrialRun(r!, t, join(sweepDir, t.name));
      expect(tag(r!, 'mlflow.source.git.commit')).toMatch(/^[0-9a-f]{40}$/);
      expect((await readMarker(join(sweepDir, t.name), server.uri))?.complete).toBe(true);
    }

    // the folders know their runs: a sync afterwards adds nothing
    const s = await syncRuns(root, client);
    expect(s.created + s.completed).toBe(0);
    expect(s.skipped).toBe(7); // the sweep and its 6 trials
    expect((await readBack('ex-online')).children).toHaveLength(6);

    // the sweep started again (after a crash) joins the same parent; a trial that was cut short
    // continues its own run instead of making a second one
    const parentId = parents[0]!.info.run_id;
    const again = makeTracker(warnings);
    await again.startSweep({
      experiment: 'ex-online',
      name: 'ex-online',
      params: {},
      tags: {},
      dir: sweepDir,
    });
    const cut = join(sweepDir, trials[5]!.name);
    const m = (await readMarker(cut, server.uri))!;
    await writeMarker(cut, server.uri, { ...m, complete: false });
    await runTrial(sweepDir, 'ex-online', trials[5]!, again);
    await again.endSweep('FINISHED');
    expect(warnings).toEqual([]);
    const after = await readBack('ex-online');
    expect(after.parents.map((p) => p.info.run_id)).toEqual([parentId]);
    expect(after.parents[0]!.info.status).toBe('FINISHED');
    expect(after.children).toHaveLength(6);
    expect((await readMarker(cut, server.uri))?.runId).toBe(m.runId);
  });

  it('keeps the local runs and reports an outbox when the server dies mid-sweep; sync completes them', async () => {
    const root = tmp();
    const sweepDir = join(root, 'ex-killed');
    const trials = grid3x2();
    writeSweep(sweepDir, 'ex-killed', 'ex-killed', trials);
    const warnings: string[] = [];
    const tracker = makeTracker(warnings, { retries: 1, backoffMs: 20, timeoutMs: 2000 });
    await tracker.startSweep({
      experiment: 'ex-killed',
      name: 'ex-killed',
      params: {},
      tags: {},
      dir: sweepDir,
    });
    for (const [i, t] of trials.entries()) {
      // the server dies during trial 3, after its run was created and its first epochs logged
      const onStep = i === 3 ? async (step: number) => (step === 1 ? server.kill() : undefined) : undefined;
      await runTrial(sweepDir, 'ex-killed', t, tracker, onStep);
    }
    await tracker.endSweep('FINISHED');

    // nothing failed locally: every folder is complete
    for (const t of trials) {
      const dir = join(sweepDir, t.name);
      expect(JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')).values).toEqual(finalMetrics(t));
      expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).status).toBe('FINISHED');
      expect(readFileSync(join(dir, 'metrics-history.jsonl'), 'utf8').trim().split('\n')).toHaveLength(
        EPOCHS,
      );
    }
    // the failures were reported and queued in the folders of the trials they belong to
    expect(tracker.failedCalls).toBeGreaterThan(0);
    const reported = warnings.filter((w) =>
      /mlflow: \d+ calls? failed, run `embrec track sync` later/.test(w),
    );
    expect(reported.length).toBeGreaterThanOrEqual(3);
    for (const t of trials.slice(0, 3)) expect(existsSync(join(sweepDir, t.name, OUTBOX_FILE))).toBe(false);
    for (const t of trials.slice(3)) {
      const outbox = await readOutbox(join(sweepDir, t.name));
      expect(outbox.length, `outbox of ${t.name}`).toBeGreaterThan(0);
      expect(outbox.every((e) => e.server === server.uri)).toBe(true);
    }
    expect((await readMarker(join(sweepDir, trials[3]!.name), server.uri))?.complete).toBe(false);
    expect(existsSync(join(sweepDir, trials[4]!.name, MARKER_FILE))).toBe(false);

    // the server comes back: sync completes trial 3 in place and creates trials 4 and 5
    await server.restart();
    const s = await syncRuns(sweepDir, client);
    expect(s.runs.filter((r) => r.kind === 'trial').map((r) => r.action)).toEqual([
      'skipped',
      'skipped',
      'skipped',
      'completed',
      'created',
      'created',
    ]);
    const { parents, children } = await readBack('ex-killed');
    expect(parents).toHaveLength(1);
    expect(parents[0]!.info.status).toBe('FINISHED');
    expect(children).toHaveLength(6);
    for (const t of trials)
      await expectTrialRun(children.find((c) => c.info.run_name === t.name)!, t, join(sweepDir, t.name));
    for (const t of trials) expect(existsSync(join(sweepDir, t.name, OUTBOX_FILE))).toBe(false);

    // a second sync changes nothing
    const again = await syncRuns(sweepDir, client);
    expect(again.created + again.completed).toBe(0);
    expect((await readBack('ex-killed')).children).toHaveLength(6);
  });

  it('pushes a sweep run offline to the server, and a second sync makes no duplicates', async () => {
    const root = tmp();
    const sweepDir = join(root, 'ex-offline');
    const trials = grid3x2();
    writeSweep(sweepDir, 'ex-offline', 'ex-offline', trials);
    // offline (no tracker), and interrupted after 4 of the 6 trials
    for (const t of trials.slice(0, 4)) await runTrial(sweepDir, 'ex-offline', t);
    const partial = await syncRuns(root, client);
    expect(partial.created).toBe(5);
    expect(partial.pending).toEqual(trials.slice(4).map((t) => `ex-offline/${t.name}`));
    expect(describeSync(partial, server.uri)).toContain('not run yet');
    const early = await readBack('ex-offline');
    expect(early.parents.map((p) => p.info.status)).toEqual(['KILLED']);
    expect(early.children).toHaveLength(4);

    // the sweep is run again: the 2 missing trials run, and a sync completes the same parent
    for (const t of trials.slice(4)) await runTrial(sweepDir, 'ex-offline', t);
    const first = await syncRuns(root, client);
    expect(first.runs.map((r) => r.action)).toEqual([
      'completed',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'created',
      'created',
    ]);
    expect(first.pending).toEqual([]);
    const { parents, children } = await readBack('ex-offline');
    expect(parents[0]!.info.run_id).toBe(early.parents[0]!.info.run_id);
    expect(parents).toHaveLength(1);
    expect(parents[0]!.info.run_name).toBe('ex-offline');
    expect(parents[0]!.info.status).toBe('FINISHED');
    expect(await client.downloadArtifact(parents[0]!.info.run_id, 'sweep.json')).toBe(
      readFileSync(join(sweepDir, 'sweep.json'), 'utf8'),
    );
    expect(children).toHaveLength(6);
    for (const t of trials) {
      const r = children.find((c) => c.info.run_name === t.name)!;
      await expectTrialRun(r, t, join(sweepDir, t.name));
      const perUser = await client.listArtifacts(r.info.run_id, 'per-user');
      expect(perUser.map((f) => [f.path, f.file_size])).toEqual([['per-user/recall_at_20.f32', 12]]);
    }

    const second = await syncRuns(root, client);
    expect(second.created + second.completed).toBe(0);
    expect(second.skipped).toBe(7);

    // folders copied without their mlflow.json are found again by their runKey tag
    for (const t of trials) rmSync(join(sweepDir, t.name, MARKER_FILE));
    rmSync(join(sweepDir, MARKER_FILE));
    const third = await syncRuns(root, client);
    expect(third.created).toBe(0);
    const after = await readBack('ex-offline');
    expect(after.parents).toHaveLength(1);
    expect(after.children).toHaveLength(6);
    for (const r of after.children)
      expect(await client.getMetricHistory(r.info.run_id, 'loss')).toHaveLength(EPOCHS);
  });
});

describe('mlflow tracking through the embrec CLI (the real runner)', () => {
  const sweepYaml = join(repoRoot, 'test', 'e2e', 'third-party', 'sweep.yaml');
  const events = (stdout: string): { type: string; [k: string]: unknown }[] =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string });

  it('a 3 × 2 sweep killed halfway and run again gives one parent and 6 nested runs; offline + sync gives the same runs', async () => {
    const out = tmp();
    const env = { MLFLOW_TRACKING_URI: server.uri };
    // the first attempt is killed (as a crash) after 3 trials
    let ended = 0;
    const first = await runCli(['run', sweepYaml, '--output', out, '--json'], {
      env,
      onStdoutLine: (line, kill) => {
        if (line.includes('"trial-end"') && ++ended === 3) kill('SIGKILL');
      },
    });
    expect(first.signal).toBe('SIGKILL');
    const second = await runCli(['run', sweepYaml, '--output', out, '--json'], { env });
    expect(second.stderr).not.toContain('mlflow:');
    expect(second.code).toBe(0);
    const ev = events(second.stdout);
    expect(ev.filter((e) => e.type === 'trial-skip').length).toBeGreaterThanOrEqual(3);
    expect(ev.filter((e) => e.type === 'trial-end').length).toBeLessThanOrEqual(3);

    const online = await readBack('toy-sweep');
    expect(online.parents).toHaveLength(1);
    expect(online.parents[0]!.info.status).toBe('FINISHED');
    expect(online.children).toHaveLength(6);
    for (const r of online.children) {
      expect(r.info.status).toBe('FINISHED');
      expect(param(r, 'model.power')).toMatch(/^(0\.5|1|2)$/);
      expect(metric(r, 'test.recall_at_10')).toBeGreaterThan(0);
      expect((await client.listArtifacts(r.info.run_id)).map((f) => f.path)).toContain('config.json');
    }

    // the folders know their runs: sync adds nothing
    const sync = await runCli(['track', 'sync', join(out, 'toy-sweep'), '--uri', server.uri]);
    expect(sync.code).toBe(0);
    expect((await readBack('toy-sweep')).children).toHaveLength(6);

    // the same sweep offline, synced later
    const off = await runCli(['run', sweepYaml, '--output', out, '--set', 'name=toy-offline', '--json'], {
      env: { MLFLOW_TRACKING_URI: '' },
    });
    expect(off.code).toBe(0);
    for (let i = 0; i < 2; i++) {
      const s = await runCli(['track', 'sync', join(out, 'toy-offline'), '--uri', server.uri]);
      expect(s.code).toBe(0);
    }
    const offline = await readBack('toy-offline');
    expect(offline.parents).toHaveLength(1);
    expect(offline.children).toHaveLength(6);
    // the same runs: names and params match the online sweep; metrics match each run's own folder
    const shape = (runs: MlflowRun[]) =>
      runs
        .map((r) => [r.info.run_name, param(r, 'model.power'), param(r, 'dataset.users')])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(shape(offline.children)).toEqual(shape(online.children));
    for (const [name, runs] of [
      ['toy-sweep', online.children],
      ['toy-offline', offline.children],
    ] as const) {
      for (const r of runs) {
        const local = JSON.parse(readFileSync(join(out, name, r.info.run_name!, 'metrics.json'), 'utf8'));
        expect(metric(r, 'test.recall_at_10')).toBe(local.values['Recall@10']);
        expect(metric(r, 'test.ndcg_at_10')).toBe(local.values['NDCG@10']);
      }
    }
  }, 400_000); // six CLI processes
});
