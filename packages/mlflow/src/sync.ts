import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { DataError, type Logger } from '@embrec/core';
import { listFiles, type MlflowClient, type RunStatus } from './mlflow-client.ts';
import { flattenParams, phaseMetrics } from './mlflow-names.ts';
import {
  clearOutbox,
  isOwnFile,
  type MarkerEntry,
  readHistory,
  readJson,
  readMarker,
  readMetricsFile,
  readOutbox,
  readParams,
  readStatusFile,
  readSweepFile,
  type SweepFile,
  toMillis,
  writeMarker,
} from './run-folder.ts';
import { configHash, embrecVersion, runKey, TAGS } from './tags.ts';

/**
 * Pushes run folders made offline (or while the server was away) to an MLflow server. Idempotent:
 * each folder records its MLflow run in `mlflow.json` (per server), a folder whose run is complete
 * is skipped, and a run that was only partly logged is completed in place (metric points already on
 * the server are not logged twice). Runs are also found by their `embrec.runKey` tag, so a copied
 * folder without `mlflow.json` does not create duplicates either.
 */

export interface SyncOptions {
  readonly log?: Logger;
  /** Log into this MLflow experiment instead of the sweep's own `experiment`. */
  readonly experimentName?: string;
  /** Upload the folders' files as artifacts (default true). */
  readonly artifacts?: boolean;
}

export interface SyncedRun {
  readonly dir: string;
  readonly kind: 'sweep' | 'trial';
  readonly name: string;
  readonly runId: string;
  readonly action: 'created' | 'completed' | 'skipped';
}

export interface SyncSummary {
  readonly runs: readonly SyncedRun[];
  readonly created: number;
  readonly completed: number;
  readonly skipped: number;
  /** Trials listed in sweep.json that have no finished folder yet. */
  readonly pending: readonly string[];
}

/**
 * Syncs `target`: a runs root (every sweep folder below it), a sweep folder (with sweep.json) or
 * one trial folder inside a sweep folder.
 */
export async function syncRuns(
  target: string,
  client: MlflowClient,
  opts: SyncOptions = {},
): Promise<SyncSummary> {
  const runs: SyncedRun[] = [];
  const pending: string[] = [];
  if (existsSync(join(target, 'sweep.json'))) {
    await syncSweep(target, client, opts, runs, pending);
  } else if (existsSync(join(target, 'status.json')) && existsSync(join(dirname(target), 'sweep.json'))) {
    await syncSweep(dirname(target), client, opts, runs, pending, basename(target));
  } else {
    const sweeps = await findSweeps(target);
    if (sweeps.length === 0)
      throw new DataError(
        `${target}: no run folders found (expected a sweep folder with sweep.json, a trial folder inside one, or a folder containing sweep folders)`,
      );
    for (const s of sweeps) await syncSweep(s, client, opts, runs, pending);
  }
  const count = (a: SyncedRun['action']): number => runs.filter((r) => r.action === a).length;
  return {
    runs,
    created: count('created'),
    completed: count('completed'),
    skipped: count('skipped'),
    pending,
  };
}

async function findSweeps(root: string, depth = 0): Promise<string[]> {
  if (!existsSync(root) || depth > 3) return [];
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const p = join(root, e.name);
    if (existsSync(join(p, 'sweep.json'))) out.push(p);
    else out.push(...(await findSweeps(p, depth + 1)));
  }
  return out.sort();
}

async function syncSweep(
  dir: string,
  client: MlflowClient,
  opts: SyncOptions,
  runs: SyncedRun[],
  pending: string[],
  only?: string,
): Promise<void> {
  const sweep = await readSweepFile(dir);
  const server = client.trackingUri;
  const experimentId = await client.ensureExperiment(opts.experimentName ?? sweep.experiment);
  const log = opts.log;

  // the parent run (a single-trial experiment has none, as when the runner tracked it)
  const key = runKey(sweep);
  const single = sweep.trials.length === 1 && (await readMarker(dir, server)) === undefined;
  const parent = single
    ? undefined
    : await findOrCreate(client, { dir }, experimentId, key, () => ({
        runName: sweep.name,
        startTime: toMillis(sweep.createdAt) ?? Date.now(),
        tags: {
          [TAGS.kind]: 'sweep',
          [TAGS.sweep]: sweep.name,
          [TAGS.runKey]: key,
          [TAGS.version]: embrecVersion(),
          ...(sweep.baseline ? { [TAGS.baseline]: sweep.baseline } : {}),
        },
      }));
  const at = runs.length;

  // the trials
  const statuses: RunStatus[] = [];
  let endTime = 0;
  let changed = false;
  for (const trial of sweep.trials) {
    if (only !== undefined && trial !== only) continue;
    const tdir = join(dir, trial);
    const status = existsSync(tdir) ? await readStatusFile(tdir) : undefined;
    if (!status || status.status === 'RUNNING') {
      pending.push(`${sweep.name}/${trial}`);
      continue;
    }
    statuses.push(status.status);
    endTime = Math.max(endTime, toMillis(status.endTime) ?? 0);
    const r = await syncTrial(tdir, dir, trial, sweep, client, experimentId, parent?.entry.runId, opts);
    runs.push(r);
    changed ||= r.action !== 'skipped';
    log?.info(`mlflow: ${sweep.name}/${trial} ${r.action} (run ${r.runId})`);
  }

  // close the parent: finished when every trial is, killed when some never ran
  const allDone = only === undefined && statuses.length === sweep.trials.length;
  const parentStatus: RunStatus = !allDone ? 'KILLED' : statuses.includes('FAILED') ? 'FAILED' : 'FINISHED';
  if (!parent) return;
  if (only === undefined && (parent.action !== 'skipped' || changed)) {
    if (opts.artifacts !== false) {
      const top = (await readdir(dir, { withFileTypes: true })).filter(
        (e) => e.isFile() && !isOwnFile(e.name),
      );
      for (const f of top)
        await client.uploadArtifact({ artifact_uri: parent.entry.artifactUri }, join(dir, f.name), f.name);
    }
    await client.updateRun(parent.entry.runId, { status: parentStatus, endTime: endTime || Date.now() });
    await writeMarker(dir, server, { ...parent.entry, complete: allDone });
    await clearOutbox(dir, server);
  }
  runs.splice(at, 0, {
    dir,
    kind: 'sweep',
    name: sweep.name,
    runId: parent.entry.runId,
    action: parent.action,
  });
}

/**
 * The run mirroring `where.dir`: from its mlflow.json (or, for a trial, the record the tracker kept
 * in the sweep folder), else by its runKey tag, else a new one.
 */
async function findOrCreate(
  client: MlflowClient,
  where: { dir: string; sweepDir?: string; trial?: string },
  experimentId: string,
  key: string,
  make: () => { runName: string; startTime: number; tags: Record<string, string>; parentRunId?: string },
): Promise<{ entry: Omit<MarkerEntry, 'updatedAt'>; action: SyncedRun['action']; existed: boolean }> {
  const server = client.trackingUri;
  const dir = where.dir;
  const inSweep = where.sweepDir !== undefined && where.trial !== undefined;
  const marker =
    (await readMarker(dir, server)) ??
    (inSweep ? await readMarker(where.sweepDir!, server, where.trial) : undefined);
  const outbox = [
    ...(await readOutbox(dir, server)),
    ...(inSweep ? await readOutbox(where.sweepDir!, server, where.trial) : []),
  ];
  if (marker) {
    const action = marker.complete && outbox.length === 0 ? 'skipped' : 'completed';
    return { entry: marker, action, existed: true };
  }
  const found = await client.searchRuns({
    experimentIds: [experimentId],
    filter: `tags.\`${TAGS.runKey}\` = '${key}'`,
    maxResults: 1,
  });
  const hit = found[0];
  if (hit) {
    const entry = {
      experimentId,
      runId: hit.info.run_id,
      artifactUri: hit.info.artifact_uri,
      complete: false,
    };
    await writeMarker(dir, server, entry);
    return { entry, action: 'completed', existed: true };
  }
  const info = await client.createRun({ experimentId, ...make() });
  const entry = { experimentId, runId: info.run_id, artifactUri: info.artifact_uri, complete: false };
  await writeMarker(dir, server, entry);
  return { entry, action: 'created', existed: false };
}

async function syncTrial(
  dir: string,
  sweepDir: string,
  trial: string,
  sweep: SweepFile,
  client: MlflowClient,
  experimentId: string,
  parentRunId: string | undefined,
  opts: SyncOptions,
): Promise<SyncedRun> {
  const server = client.trackingUri;
  const status = (await readStatusFile(dir))!;
  const key = runKey(sweep, trial);
  let params = await readParams(dir);
  if (Object.keys(params).length === 0 && existsSync(join(dir, 'config.json')))
    params = flattenParams(await readJson(join(dir, 'config.json')));
  const startTime = toMillis(status.startTime) ?? Date.now();
  const endTime = toMillis(status.endTime) ?? startTime;
  const tags: Record<string, string> = {
    [TAGS.version]: embrecVersion(),
    [TAGS.configHash]: configHash(params),
    ...status.tags,
    [TAGS.kind]: 'trial',
    [TAGS.sweep]: sweep.name,
    [TAGS.trial]: trial,
    [TAGS.runKey]: key,
  };
  const run = await findOrCreate(client, { dir, sweepDir, trial }, experimentId, key, () => ({
    runName: trial,
    startTime,
    tags,
    ...(parentRunId ? { parentRunId } : {}),
  }));
  if (run.action === 'skipped')
    return { dir, kind: 'trial', name: trial, runId: run.entry.runId, action: 'skipped' };

  // metrics: the history with its steps and times, then the final values at the end time
  const points: { key: string; value: number; step: number; timestamp: number }[] = [];
  // under the keys the runner gives trackers: `valid.<metric>` per epoch, `test.<metric>` at the end
  for (const h of await readHistory(dir))
    for (const [k, v] of Object.entries(phaseMetrics('valid', h.values)))
      points.push({ key: k, value: v, step: h.step, timestamp: h.time ?? startTime });
  const final = await readMetricsFile(dir);
  for (const [k, v] of Object.entries(phaseMetrics('test', final?.values ?? {})))
    points.push({ key: k, value: v, step: 0, timestamp: endTime });
  const metrics = run.existed ? await withoutLogged(client, run.entry.runId, points) : points;

  await client.logBatch(run.entry.runId, {
    params,
    metrics,
    tags: {
      ...tags,
      ...(run.existed && parentRunId ? { [TAGS.parentRunId]: parentRunId } : {}),
      ...(final?.protocol ? { 'embrec.protocol': final.protocol } : {}),
    },
  });
  if (opts.artifacts !== false) {
    for (const f of await listFiles(dir)) {
      const rel = relative(dir, f).split(sep).join('/');
      if (isOwnFile(rel)) continue;
      await client.uploadArtifact({ artifact_uri: run.entry.artifactUri }, f, rel);
    }
  }
  await client.updateRun(run.entry.runId, {
    status: status.status === 'RUNNING' ? 'KILLED' : status.status,
    endTime,
  });
  await writeMarker(dir, server, { ...run.entry, complete: true });
  await clearOutbox(dir, server);
  await clearOutbox(sweepDir, server, trial);
  return { dir, kind: 'trial', name: trial, runId: run.entry.runId, action: run.action };
}

/** Drops the points the server already has (same key, step and value), whatever their timestamp. */
async function withoutLogged<P extends { key: string; value: number; step: number }>(
  client: MlflowClient,
  runId: string,
  points: readonly P[],
): Promise<P[]> {
  const have = new Set<string>();
  for (const k of new Set(points.map((p) => p.key)))
    for (const m of await client.getMetricHistory(runId, k))
      have.add(`${k}\u0000${m.step}\u0000${String(m.value)}`);
  return points.filter((p) => !have.has(`${p.key}\u0000${p.step}\u0000${String(p.value)}`));
}

/** A few lines for the CLI: what a sync did, and which trials are still to run. */
export function describeSync(s: SyncSummary, server: string): string {
  const lines = [
    `mlflow: ${server}: ${s.created} run${s.created === 1 ? '' : 's'} created, ${s.completed} completed, ${s.skipped} already synced`,
  ];
  for (const r of s.runs)
    if (r.action !== 'skipped')
      lines.push(`  ${r.action.padEnd(9)} ${r.kind.padEnd(5)} ${r.name}  (run ${r.runId})`);
  if (s.pending.length > 0)
    lines.push(`  not run yet (sync again after they finish): ${s.pending.join(', ')}`);
  return lines.join('\n');
}
