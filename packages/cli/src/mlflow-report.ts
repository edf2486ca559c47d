import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TAGS, UsageError } from '@embrec/core';
import { MlflowClient, type MlflowRun, mlflowKey } from '@embrec/mlflow';
import type { ReportSource, ReportTrial } from './report.ts';
import { readPerUser } from './runs.ts';

/**
 * A sweep on an MLflow server as a report source: the parent run is the sweep, its nested runs the
 * trials (tag embrec.trial), final metrics `test.*`, validation metrics `valid.*` (the last value
 * logged), the seed and the other axes in the params. Display names (`Recall@10`) come from a
 * trial's metrics.json artifact; the metric types the experiment asked for from its config.json.
 * Per-user vectors come from each trial's `per-user/` artifacts through the server's artifact proxy
 * (queue workers and tracked runs upload them); when a trial has none, the report says so and
 * compares unpaired. Groups are ordered by name (MLflow does not keep the sweep's order).
 */
export interface MlflowSourceOptions {
  readonly uri: string;
  readonly experiment?: string | undefined;
  /** The sweep's parent run id (default: the latest sweep of the experiment). */
  readonly run?: string | undefined;
  readonly warn: (line: string) => void;
}

const tag = (r: MlflowRun, key: string) => r.data.tags?.find((t) => t.key === key)?.value;
const started = (r: MlflowRun) => Number(r.info.start_time ?? 0);

export async function mlflowSource(o: MlflowSourceOptions): Promise<{ src: ReportSource; close(): void }> {
  const client = new MlflowClient(o.uri, { retry: { retries: 1, timeoutMs: 30_000 } });
  if (!(await client.health()))
    throw new UsageError(
      `cannot reach the MLflow server at ${o.uri} (GET /health failed): is it running (embrec ui, or mlflow server)?`,
    );
  let parent: MlflowRun;
  let runs: MlflowRun[];
  if (o.run) {
    parent = await client.getRun(o.run).catch((e: Error) => {
      throw new UsageError(`--run ${o.run}: no such run on ${o.uri} (${e.message})`);
    });
    runs = await client.searchRuns({ experimentIds: [parent.info.experiment_id] });
  } else {
    if (!o.experiment) throw new UsageError('report --mlflow needs --experiment NAME or --run PARENT_RUN_ID');
    const exp = await client.getExperimentByName(o.experiment);
    if (!exp) throw new UsageError(`no MLflow experiment named "${o.experiment}" on ${o.uri}`);
    runs = await client.searchRuns({ experimentIds: [exp.experiment_id] });
    const sweeps = runs.filter((r) => tag(r, TAGS.kind) === 'sweep').sort((a, b) => started(b) - started(a));
    if (sweeps.length === 0)
      throw new UsageError(
        `MLflow experiment "${o.experiment}" on ${o.uri} holds no embrec sweep (a run tagged ${TAGS.kind}=sweep)`,
      );
    parent = sweeps[0]!;
    if (sweeps.length > 1)
      o.warn(
        `MLflow experiment "${o.experiment}" holds ${sweeps.length} sweeps: showing the latest (run ${parent.info.run_id}); --run <id> picks another`,
      );
  }
  if (tag(parent, TAGS.kind) !== 'sweep')
    throw new UsageError(
      `run ${parent.info.run_id} on ${o.uri} is not an embrec sweep (tag ${TAGS.kind} is ${tag(parent, TAGS.kind) ?? 'missing'}): give the sweep's parent run`,
    );
  const parentId = parent.info.run_id;
  const byTrial = new Map<string, MlflowRun[]>();
  for (const r of runs) {
    if (tag(r, TAGS.parentRunId) !== parentId || tag(r, TAGS.kind) !== 'trial') continue;
    const name = tag(r, TAGS.trial) ?? r.info.run_name ?? r.info.run_id;
    byTrial.set(name, [...(byTrial.get(name) ?? []), r]);
  }
  const where = `${o.uri} run ${parentId}`;
  const experiment = tag(parent, TAGS.sweep) ?? parent.info.run_name ?? parentId;
  if (byTrial.size === 0) throw new UsageError(`${where} (${experiment}): the sweep has no trial runs yet`);

  const tmp = mkdtempSync(join(tmpdir(), 'embrec-report-'));
  const close = () => rmSync(tmp, { recursive: true, force: true });
  try {
    // display names and requested metric types from a finished trial's own files
    const finishedRuns = [...byTrial.values()].flatMap((rs) =>
      rs.filter((r) => r.info.status === 'FINISHED'),
    );
    const display = new Map<string, string>();
    let metricTypes: string[] | undefined;
    const probe = finishedRuns[0];
    if (probe) {
      const m = await client.downloadArtifact(probe.info.run_id, 'metrics.json').catch(() => undefined);
      for (const name of Object.keys(m ? ((JSON.parse(m) as { values?: object }).values ?? {}) : {}))
        display.set(mlflowKey(name), name);
      const c = await client.downloadArtifact(probe.info.run_id, 'config.json').catch(() => undefined);
      const list = c ? (JSON.parse(c) as { evaluate?: { metrics?: unknown } }).evaluate?.metrics : undefined;
      if (Array.isArray(list))
        metricTypes = list
          .map((x) => (typeof x === 'string' ? x : (x as { type?: unknown })?.type))
          .filter((t): t is string => typeof t === 'string');
    }
    const phase = (r: MlflowRun, prefix: 'test.' | 'valid.') => {
      const out: Record<string, number> = {};
      for (const m of r.data.metrics ?? []) {
        if (!m.key.startsWith(prefix)) continue;
        const key = m.key.slice(prefix.length);
        out[display.get(key) ?? key] = Number(m.value);
      }
      return out;
    };

    const trials: ReportTrial[] = [];
    const finished = new Map<string, MlflowRun>();
    const groupKeys = new Map<string, string>();
    for (const [name, rs] of byTrial) {
      rs.sort((a, b) => started(a) - started(b));
      const done = rs.filter((r) => r.info.status === 'FINISHED').at(-1);
      if (done) {
        const params = (done.data.params ?? [])
          .filter((p) => p.key !== 'seed')
          .map((p) => `${p.key}=${p.value}`)
          .sort()
          .join('\n');
        // trials that differ only by seed form one group; its name is the trial's without the seed
        const gname =
          groupKeys.get(params) ?? (/^seed=[^,]*$/.test(name) ? 'run' : name.replace(/,seed=[^,]*$/, ''));
        groupKeys.set(params, gname);
        finished.set(name, done);
        trials.push({ name, group: gname, status: 'FINISHED', values: phase(done, 'test.') });
        continue;
      }
      const failed = rs.filter((r) => r.info.status === 'FAILED');
      const last = failed.at(-1);
      if (!last) continue; // running, or interrupted: not in the table
      const logs = await client.downloadArtifact(last.info.run_id, 'logs.txt').catch(() => '');
      const errorLines = logs
        .split('\n')
        .filter((l) => / ERROR /.test(l))
        .map((l) => l.replace(/^\S+ ERROR /, ''));
      trials.push({
        name,
        group: name,
        status: 'FAILED',
        values: {},
        error: errorLines.join('\n') || `(no error in the run's logs.txt; run ${last.info.run_id})`,
        attempts: failed.length,
      });
    }
    trials.sort((a, b) =>
      a.group === b.group
        ? a.name.localeCompare(b.name, 'en', { numeric: true })
        : a.group.localeCompare(b.group, 'en', { numeric: true }),
    );

    // per-user vectors, through the artifact proxy
    let unpaired: string | undefined;
    const missing: string[] = [];
    for (const [name, r] of finished) {
      const files = await listAll(client, r.info.run_id, 'per-user').catch(() => []);
      if (files.length === 0) {
        missing.push(name);
        continue;
      }
      const dir = join(tmp, r.info.run_id);
      const m = await client.downloadArtifact(r.info.run_id, 'metrics.json').catch(() => undefined);
      if (m === undefined) {
        missing.push(name);
        continue;
      }
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'metrics.json'), m);
      for (const f of files) {
        const bytes = await fetchArtifact(client, r.info.artifact_uri, f);
        mkdirSync(dirname(join(dir, f)), { recursive: true });
        writeFileSync(join(dir, f), bytes);
      }
    }
    if (missing.length > 0)
      unpaired = `${missing.length} of ${finished.size} trials have no per-user vectors in MLflow (per-user/ artifacts; e.g. ${missing[0]})`;

    const src: ReportSource = {
      where,
      experiment,
      baseline: tag(parent, TAGS.baseline),
      metricTypes,
      trials,
      unpaired,
      validMetrics: (t) => {
        const r = finished.get(t);
        return r ? phase(r, 'valid.') : {};
      },
      perUser: (t, ids, which) => {
        const r = finished.get(t);
        if (!r || unpaired) throw new UsageError(`${where}: trial ${t} has no per-user vectors`);
        return readPerUser(join(tmp, r.info.run_id), ids, which);
      },
    };
    return { src, close };
  } catch (e) {
    close();
    throw e;
  }
}

/** Every file under an artifact folder of a run (paths relative to the run's artifact root). */
async function listAll(client: MlflowClient, runId: string, path: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of await client.listArtifacts(runId, path)) {
    if (f.is_dir) out.push(...(await listAll(client, runId, f.path)));
    else out.push(f.path);
  }
  return out;
}

/** One artifact's bytes through the server's artifact proxy (`mlflow-artifacts:` roots). */
async function fetchArtifact(client: MlflowClient, artifactUri: string, path: string): Promise<Uint8Array> {
  const rel = path.split('/').map(encodeURIComponent).join('/');
  const url = `${client.trackingUri}${client.artifactProxyPath(artifactUri)}/${rel}`;
  const token = process.env.MLFLOW_TRACKING_TOKEN;
  const r = await fetch(url, {
    signal: AbortSignal.timeout(60_000),
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
  if (!r.ok) throw new UsageError(`mlflow: GET ${url} → HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}
