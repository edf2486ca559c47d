import { existsSync } from 'node:fs';
import { appendFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, writeFileAtomic } from '@embrec/core';

/**
 * The parts of a run folder that tracking reads (the runner writes them), plus the two files
 * tracking writes there itself: `mlflow.json` (which MLflow run mirrors this folder, per server)
 * and `mlflow-outbox.jsonl` (calls that failed while the server was away).
 *
 *   <out>/<experiment>/sweep.json          { name, experiment, trials, baseline?, createdAt }
 *   <out>/<experiment>/<trial>/config.json  resolved config
 *                              params.json  flattened string map
 *                              metrics.json { values: { "Recall@20": 0.1 }, protocol }
 *                              metrics-history.jsonl  { step, values, time } per line
 *                              status.json  { status, startTime, endTime, tags }
 *                              per-user/*.f32, artifacts/**, logs.txt
 */

export const MARKER_FILE = 'mlflow.json';
export const OUTBOX_FILE = 'mlflow-outbox.jsonl';

/** Tracking's own bookkeeping files (and temp files) in a run folder: never uploaded as artifacts. */
export function isOwnFile(relPath: string): boolean {
  const name = relPath.split('/').pop() ?? relPath;
  return name === MARKER_FILE || name === OUTBOX_FILE || name.endsWith('.tmp');
}

export interface SweepFile {
  readonly name: string;
  readonly experiment: string;
  readonly trials: readonly string[];
  readonly baseline?: string;
  readonly createdAt: string | number;
}

export interface StatusFile {
  readonly status: 'FINISHED' | 'FAILED' | 'KILLED' | 'RUNNING';
  readonly startTime?: string | number;
  readonly endTime?: string | number;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface MetricsFile {
  readonly values: Readonly<Record<string, number>>;
  readonly protocol?: string;
}

export interface HistoryLine {
  readonly step: number;
  readonly values: Readonly<Record<string, number>>;
  readonly time?: number;
}

/** The MLflow run that mirrors a folder on one server. `complete` once everything was pushed. */
export interface MarkerEntry {
  readonly experimentId: string;
  readonly runId: string;
  readonly artifactUri: string;
  readonly complete: boolean;
  readonly updatedAt: string;
}

/** `mlflow.json`: the folder's run per server; in a sweep folder also its trials' runs, when known. */
export interface MarkerFile {
  readonly servers?: Readonly<Record<string, MarkerEntry>>;
  readonly trials?: Readonly<Record<string, { readonly servers: Readonly<Record<string, MarkerEntry>> }>>;
}

function fail(file: string, expected: string, found: unknown, field?: string): never {
  const shown = typeof found === 'string' ? JSON.stringify(found) : JSON.stringify(found)?.slice(0, 80);
  throw new DataError(`${file}${field ? `: field "${field}"` : ''}: expected ${expected}, found ${shown}`);
}

export async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DataError(`${file}: cannot read the file (${(err as Error).message})`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DataError(`${file}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export async function readSweepFile(dir: string): Promise<SweepFile> {
  const file = join(dir, 'sweep.json');
  const j = await readJson(file);
  if (!isRecord(j)) fail(file, 'an object', j);
  if (typeof j.name !== 'string') fail(file, 'a string', j.name, 'name');
  if (typeof j.experiment !== 'string') fail(file, 'a string', j.experiment, 'experiment');
  if (!Array.isArray(j.trials) || !j.trials.every((t) => typeof t === 'string'))
    fail(file, 'an array of trial names', j.trials, 'trials');
  return j as unknown as SweepFile;
}

export async function readStatusFile(dir: string): Promise<StatusFile | undefined> {
  const file = join(dir, 'status.json');
  if (!existsSync(file)) return undefined;
  const j = await readJson(file);
  if (!isRecord(j)) fail(file, 'an object', j);
  if (!['FINISHED', 'FAILED', 'KILLED', 'RUNNING'].includes(j.status as string))
    fail(file, '"FINISHED" or "FAILED"', j.status, 'status');
  if (j.tags !== undefined && !isRecord(j.tags)) fail(file, 'an object of strings', j.tags, 'tags');
  return j as unknown as StatusFile;
}

export async function readMetricsFile(dir: string): Promise<MetricsFile | undefined> {
  const file = join(dir, 'metrics.json');
  if (!existsSync(file)) return undefined;
  const j = await readJson(file);
  if (!isRecord(j) || !isRecord(j.values)) fail(file, 'an object with "values"', j, 'values');
  for (const [k, v] of Object.entries(j.values))
    if (typeof v !== 'number') fail(file, 'a number', v, `values.${k}`);
  return j as unknown as MetricsFile;
}

export async function readHistory(dir: string): Promise<HistoryLine[]> {
  const file = join(dir, 'metrics-history.jsonl');
  if (!existsSync(file)) return [];
  const lines = (await readFile(file, 'utf8')).split('\n');
  const out: HistoryLine[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let j: unknown;
    try {
      j = JSON.parse(line);
    } catch {
      // a line cut by a crash at the end of the file is dropped; elsewhere it is an error
      if (i >= lines.length - 2) return;
      throw new DataError(
        `${file}:${i + 1}: expected a JSON object {step, values, time}, found ${line.slice(0, 80)}`,
      );
    }
    if (!isRecord(j) || !(typeof j.step === 'number' || j.step == null) || !isRecord(j.values))
      throw new DataError(
        `${file}:${i + 1}: expected {"step": number | null, "values": {...}}, found ${line.slice(0, 80)}`,
      );
    // values logged without a step go to step 0, as the tracker logs them
    out.push({ ...(j as unknown as HistoryLine), step: typeof j.step === 'number' ? j.step : 0 });
  });
  return out;
}

/** The run's params: params.json when present (already flat), else nothing. */
export async function readParams(dir: string): Promise<Record<string, string>> {
  const file = join(dir, 'params.json');
  if (!existsSync(file)) return {};
  const j = await readJson(file);
  if (!isRecord(j)) fail(file, 'an object of strings', j);
  return Object.fromEntries(
    Object.entries(j).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}

/** Milliseconds since the epoch from a number or an ISO date. */
export function toMillis(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

// ---------------------------------------------------------------------------------------------
// marker and outbox

/**
 * Which run mirrors `dir` on `server`. With `trial`, the record of that trial kept in the sweep
 * folder's marker (when the tracker did not know the trial's own folder).
 */
export async function readMarker(
  dir: string,
  server: string,
  trial?: string,
): Promise<MarkerEntry | undefined> {
  const file = join(dir, MARKER_FILE);
  if (!existsSync(file)) return undefined;
  const j = (await readJson(file)) as Partial<MarkerFile>;
  return trial === undefined ? j.servers?.[server] : j.trials?.[trial]?.servers[server];
}

/** Records (atomically) which run mirrors `dir` (or, with `trial`, that trial of the sweep `dir`). */
export async function writeMarker(
  dir: string,
  server: string,
  entry: Omit<MarkerEntry, 'updatedAt'>,
  trial?: string,
): Promise<void> {
  const file = join(dir, MARKER_FILE);
  const prev = existsSync(file) ? ((await readJson(file)) as Partial<MarkerFile>) : {};
  const stamped = { ...entry, updatedAt: new Date().toISOString() };
  const next: MarkerFile =
    trial === undefined
      ? { ...prev, servers: { ...prev.servers, [server]: stamped } }
      : {
          ...prev,
          trials: {
            ...prev.trials,
            [trial]: { servers: { ...prev.trials?.[trial]?.servers, [server]: stamped } },
          },
        };
  writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`);
}

/** One call that could not reach the server. `trial` is set for a trial's call queued in the sweep folder. */
export interface OutboxEntry {
  readonly time: number;
  readonly server: string;
  readonly op: string;
  readonly run: string;
  readonly error: string;
  readonly trial?: string;
  readonly detail?: unknown;
}

export async function appendOutbox(dir: string, entry: OutboxEntry): Promise<void> {
  await appendFile(join(dir, OUTBOX_FILE), `${JSON.stringify(entry)}\n`);
}

/** The outbox entries for `server`; with `trial`, only that trial's (in a sweep folder), else the folder's own. */
export async function readOutbox(dir: string, server?: string, trial?: string): Promise<OutboxEntry[]> {
  const file = join(dir, OUTBOX_FILE);
  if (!existsSync(file)) return [];
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as OutboxEntry];
      } catch {
        return [];
      }
    })
    .filter((e) => server === undefined || (e.server === server && e.trial === trial));
}

/** Drops the outbox entries of `server` (and `trial`) after a sync pushed them there. */
export async function clearOutbox(dir: string, server: string, trial?: string): Promise<void> {
  const rest = (await readOutbox(dir)).filter((e) => e.server !== server || e.trial !== trial);
  const file = join(dir, OUTBOX_FILE);
  if (rest.length === 0) await rm(file, { force: true });
  else writeFileAtomic(file, rest.map((e) => `${JSON.stringify(e)}\n`).join(''));
}
