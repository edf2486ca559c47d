import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { EmbrecError, UsageError } from '@embrec/core';
import { z } from 'zod';
import { chunks, MLFLOW_LIMITS, mlflowKey, truncateValue } from './mlflow-names.ts';

/**
 * A small typed client for the MLflow tracking server's REST API (2.0 endpoints, checked against
 * MLflow 3.17): experiments, runs, batched logging, search and artifacts through the server's
 * artifact proxy (`mlflow server` serves `mlflow-artifacts:/` roots by default).
 */

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface MlflowExperiment {
  readonly experiment_id: string;
  readonly name: string;
  readonly artifact_location?: string;
  readonly lifecycle_stage?: string;
}

export interface MlflowRunInfo {
  readonly run_id: string;
  readonly experiment_id: string;
  readonly run_name?: string;
  readonly status: RunStatus;
  readonly start_time?: number;
  readonly end_time?: number;
  readonly artifact_uri: string;
  readonly lifecycle_stage?: string;
}

export interface MlflowKeyValue {
  readonly key: string;
  readonly value: string;
}

export interface MlflowMetric {
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
}

export interface MlflowRun {
  readonly info: MlflowRunInfo;
  readonly data: {
    readonly metrics?: readonly MlflowMetric[];
    readonly params?: readonly MlflowKeyValue[];
    readonly tags?: readonly MlflowKeyValue[];
  };
}

export interface MlflowArtifactFile {
  readonly path: string;
  readonly is_dir: boolean;
  readonly file_size?: number;
}

export interface RetryOptions {
  /** Attempts after the first one, on network errors, timeouts, 429 and 5xx. */
  readonly retries: number;
  /** First wait; doubled on every retry up to maxBackoffMs (with ±25% jitter). */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /**
   * The most one call may take: headers, body and retries with their waits together. A server that
   * hangs costs one timeout, not one per retry.
   */
  readonly timeoutMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  retries: 3,
  backoffMs: 250,
  maxBackoffMs: 4000,
  timeoutMs: 15_000,
};

export interface MlflowClientOptions {
  readonly retry?: Partial<RetryOptions>;
  /** Extra headers (auth). `MLFLOW_TRACKING_TOKEN` is sent as a bearer token when set. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Injected for tests. */
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A failed MLflow call: the HTTP status (0 when the server could not be reached) and MLflow's error_code. */
export class MlflowError extends EmbrecError {
  readonly status: number;
  readonly errorCode: string;
  readonly endpoint: string;
  constructor(endpoint: string, status: number, errorCode: string, message: string, cause?: unknown) {
    super(
      'E_MLFLOW',
      `mlflow: ${endpoint} → ${status === 0 ? 'unreachable' : `HTTP ${status}`} ${errorCode}: ${message}`,
      {
        cause,
      },
    );
    this.name = 'MlflowError';
    this.status = status;
    this.errorCode = errorCode;
    this.endpoint = endpoint;
  }
  /** Network errors, timeouts, 429 and 5xx may succeed later; 4xx will not. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** Metric values as MLflow's JSON parser wants them: non-finite numbers as strings. */
function jsonBody(body: unknown): string {
  return JSON.stringify(body, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
  );
}

const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// What each endpoint must answer (loose: fields MLflow adds later are kept)

const zKeyValue = z.looseObject({ key: z.string(), value: z.string().default('') });
const zExperiment = z.looseObject({ experiment_id: z.string(), name: z.string() });
const zRunInfo = z.looseObject({
  run_id: z.string(),
  experiment_id: z.string(),
  status: z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']),
  artifact_uri: z.string(),
});
// non-finite values arrive as strings ("NaN"), as they are sent
const zMetric = z.looseObject({
  key: z.string(),
  value: z.union([z.number(), z.string()]),
  timestamp: z.number().default(0),
  step: z.number().default(0),
});
const zRun = z.looseObject({
  info: zRunInfo,
  data: z
    .looseObject({
      metrics: z.array(zMetric).optional(),
      params: z.array(zKeyValue).optional(),
      tags: z.array(zKeyValue).optional(),
    })
    .default({}),
});
const zPage = { next_page_token: z.string().optional() };
const ANSWERS = {
  any: z.looseObject({}),
  experiment: z.looseObject({ experiment: zExperiment }),
  created: z.looseObject({ experiment_id: z.string() }),
  run: z.looseObject({ run: zRun }),
  history: z.looseObject({ metrics: z.array(zMetric).optional(), ...zPage }),
  runs: z.looseObject({ runs: z.array(zRun).optional(), ...zPage }),
  files: z.looseObject({
    files: z.array(z.looseObject({ path: z.string(), is_dir: z.boolean().default(false) })).optional(),
  }),
} as const;

/** What was found where the schema expected something else, in a few words. */
function describeMismatch(err: z.ZodError, body: unknown): string {
  const first = err.issues[0];
  const where = first?.path.length ? first.path.join('.') : '(the body)';
  const found = JSON.stringify(body) ?? String(body);
  return `unexpected answer: ${first?.message ?? 'invalid'} at ${where}; found ${found.length > 200 ? `${found.slice(0, 200)}…` : found}`;
}

export class MlflowClient {
  readonly trackingUri: string;
  readonly retry: RetryOptions;
  readonly #headers: Record<string, string>;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(trackingUri: string, opts: MlflowClientOptions = {}) {
    if (!/^https?:\/\//.test(trackingUri)) {
      throw new UsageError(
        `mlflow: tracking URI must be http(s)://host:port, found "${trackingUri}" (set MLFLOW_TRACKING_URI or the tracker's trackingUri)`,
      );
    }
    this.trackingUri = trackingUri.replace(/\/+$/, '');
    // values that are not finite non-negative numbers (a block that skipped validation) keep the defaults
    const given = Object.entries(opts.retry ?? {}).filter(
      ([, v]) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
    );
    this.retry = { ...DEFAULT_RETRY, ...Object.fromEntries(given) };
    const token = process.env.MLFLOW_TRACKING_TOKEN;
    this.#headers = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...opts.headers };
    this.#fetch = opts.fetch ?? fetch;
    this.#sleep = opts.sleep ?? sleepMs;
  }

  // -------------------------------------------------------------------------------------------
  // transport

  /** One HTTP call with retries; returns the response body (parsed JSON for JSON responses). */
  async request(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
    query?: Readonly<Record<string, string>>,
    opts: { text?: boolean } = {},
  ): Promise<unknown> {
    const url = new URL(this.trackingUri + path);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    const endpoint = `${method} ${path}`;
    // one deadline for the whole call: every attempt, its body and the waits between attempts
    const deadline = AbortSignal.timeout(this.retry.timeoutMs);
    let attempt = 0;
    for (;;) {
      try {
        return await this.#once(method, url, endpoint, body, opts.text === true, deadline);
      } catch (err) {
        const e =
          err instanceof MlflowError
            ? err
            : new MlflowError(
                endpoint,
                0,
                'NETWORK_ERROR',
                describeNetworkError(err, this.retry.timeoutMs),
                err,
              );
        if (!e.retryable || attempt >= this.retry.retries || deadline.aborted) throw e;
        const base = Math.min(this.retry.backoffMs * 2 ** attempt, this.retry.maxBackoffMs);
        await this.#sleep(base * (0.75 + Math.random() * 0.5));
        if (deadline.aborted) throw e;
        attempt++;
      }
    }
  }

  /** A JSON call whose answer must match `schema`; anything else is a BAD_RESPONSE error naming the endpoint. */
  async #json<S extends z.ZodType>(
    schema: S,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    query?: Readonly<Record<string, string>>,
  ): Promise<z.output<S>> {
    const r = await this.request(method, path, body, query);
    const parsed = schema.safeParse(r);
    if (!parsed.success)
      throw new MlflowError(`${method} ${path}`, 200, 'BAD_RESPONSE', describeMismatch(parsed.error, r));
    return parsed.data;
  }

  async #once(
    method: string,
    url: URL,
    endpoint: string,
    body: unknown,
    asText: boolean,
    signal: AbortSignal,
  ): Promise<unknown> {
    const headers: Record<string, string> = { ...this.#headers };
    let payload: Uint8Array | string | undefined;
    if (body instanceof Uint8Array) {
      payload = body;
      headers['content-type'] = 'application/octet-stream';
    } else if (body !== undefined) {
      payload = jsonBody(body);
      headers['content-type'] = 'application/json';
    }
    const res = await this.#fetch(url, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
      signal,
    });
    const text = await res.text(); // the same signal aborts a body that stops half-way
    if (!res.ok) {
      let code = 'HTTP_ERROR';
      let message = text.slice(0, 500);
      try {
        const j = JSON.parse(text) as { error_code?: string; message?: string };
        code = j.error_code ?? code;
        message = j.message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new MlflowError(endpoint, res.status, code, message);
    }
    if (!asText && (res.headers.get('content-type') ?? '').includes('json')) {
      if (text === '') return {};
      try {
        return JSON.parse(text);
      } catch {
        const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
        throw new MlflowError(endpoint, res.status, 'BAD_RESPONSE', `the answer is not JSON: ${shown}`);
      }
    }
    return text;
  }

  async health(): Promise<boolean> {
    try {
      // a short probe: a hung server must not hold every trial for a full timeout
      const ms = Math.min(this.retry.timeoutMs, 2000);
      await this.#once(
        'GET',
        new URL(`${this.trackingUri}/health`),
        'GET /health',
        undefined,
        true,
        AbortSignal.timeout(ms),
      );
      return true;
    } catch {
      return false;
    }
  }

  // -------------------------------------------------------------------------------------------
  // experiments

  async getExperimentByName(name: string): Promise<MlflowExperiment | undefined> {
    try {
      const r = await this.#json(
        ANSWERS.experiment,
        'GET',
        '/api/2.0/mlflow/experiments/get-by-name',
        undefined,
        {
          experiment_name: name,
        },
      );
      return r.experiment as MlflowExperiment;
    } catch (err) {
      if (err instanceof MlflowError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw err;
    }
  }

  async createExperiment(name: string): Promise<string> {
    const r = await this.#json(ANSWERS.created, 'POST', '/api/2.0/mlflow/experiments/create', { name });
    return r.experiment_id;
  }

  /** The experiment's id, creating it when missing (safe when two processes race). */
  async ensureExperiment(name: string): Promise<string> {
    const found = await this.getExperimentByName(name);
    if (found) return found.experiment_id;
    try {
      return await this.createExperiment(name);
    } catch (err) {
      if (err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const again = await this.getExperimentByName(name);
        if (again) return again.experiment_id;
      }
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------------
  // runs

  async createRun(opts: {
    experimentId: string;
    runName: string;
    startTime?: number;
    tags?: Readonly<Record<string, string>>;
    /** Makes this a nested run (tag `mlflow.parentRunId`). */
    parentRunId?: string;
  }): Promise<MlflowRunInfo> {
    const tags = { ...opts.tags, ...(opts.parentRunId ? { 'mlflow.parentRunId': opts.parentRunId } : {}) };
    const r = await this.#json(ANSWERS.run, 'POST', '/api/2.0/mlflow/runs/create', {
      experiment_id: opts.experimentId,
      run_name: opts.runName,
      start_time: opts.startTime ?? Date.now(),
      tags: Object.entries(tags).map(([key, value]) => ({
        key: mlflowKey(key),
        value: truncateValue(value, MLFLOW_LIMITS.tagValueLength),
      })),
    });
    return r.run.info as MlflowRunInfo;
  }

  async getRun(runId: string): Promise<MlflowRun> {
    const r = await this.#json(ANSWERS.run, 'GET', '/api/2.0/mlflow/runs/get', undefined, { run_id: runId });
    return r.run as MlflowRun;
  }

  async updateRun(
    runId: string,
    opts: { status?: RunStatus; endTime?: number; runName?: string },
  ): Promise<void> {
    await this.#json(ANSWERS.any, 'POST', '/api/2.0/mlflow/runs/update', {
      run_id: runId,
      ...(opts.status ? { status: opts.status } : {}),
      ...(opts.endTime !== undefined ? { end_time: opts.endTime } : {}),
      ...(opts.runName ? { run_name: opts.runName } : {}),
    });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.#json(ANSWERS.any, 'POST', '/api/2.0/mlflow/runs/set-tag', {
      run_id: runId,
      key: mlflowKey(key),
      value: truncateValue(value, MLFLOW_LIMITS.tagValueLength),
    });
  }

  /**
   * Logs params, metrics and tags in as many calls as MLflow's limits need (100 params, 100 tags,
   * 1000 entities per call). Keys are mapped with `mlflowKey` ("Recall@20" → "recall_at_20"); param
   * values over 6000 characters are truncated with a marker.
   */
  async logBatch(
    runId: string,
    batch: {
      params?: Readonly<Record<string, string>>;
      metrics?: readonly { key: string; value: number; step?: number; timestamp?: number }[];
      tags?: Readonly<Record<string, string>>;
    },
  ): Promise<void> {
    const dedupe = (m: Readonly<Record<string, string>> | undefined, max: number): MlflowKeyValue[] => {
      const byKey = new Map<string, string>();
      for (const [k, v] of Object.entries(m ?? {})) byKey.set(mlflowKey(k), truncateValue(v, max));
      return [...byKey].map(([key, value]) => ({ key, value }));
    };
    const now = Date.now();
    const params = chunks(dedupe(batch.params, MLFLOW_LIMITS.paramValueLength), MLFLOW_LIMITS.paramsPerBatch);
    const tags = chunks(dedupe(batch.tags, MLFLOW_LIMITS.tagValueLength), MLFLOW_LIMITS.tagsPerBatch);
    const metricRoom =
      MLFLOW_LIMITS.entitiesPerBatch - MLFLOW_LIMITS.paramsPerBatch - MLFLOW_LIMITS.tagsPerBatch;
    const metrics = chunks(
      (batch.metrics ?? []).map((m) => ({
        key: mlflowKey(m.key),
        value: m.value,
        timestamp: Math.round(m.timestamp ?? now),
        step: Math.round(m.step ?? 0),
      })),
      Math.min(metricRoom, MLFLOW_LIMITS.metricsPerBatch),
    );
    const calls = Math.max(params.length, tags.length, metrics.length);
    for (let i = 0; i < calls; i++) {
      const body = { run_id: runId, params: params[i] ?? [], metrics: metrics[i] ?? [], tags: tags[i] ?? [] };
      if (Buffer.byteLength(jsonBody(body)) <= MLFLOW_LIMITS.requestBytes) {
        await this.#json(ANSWERS.any, 'POST', '/api/2.0/mlflow/runs/log-batch', body);
        continue;
      }
      // long values: one call per kind keeps each request under MLflow's 1 MB limit
      for (const part of [
        { params: body.params, metrics: [], tags: [] },
        { params: [], metrics: body.metrics, tags: [] },
        { params: [], metrics: [], tags: body.tags },
      ]) {
        if (part.params.length + part.metrics.length + part.tags.length > 0)
          await this.#json(ANSWERS.any, 'POST', '/api/2.0/mlflow/runs/log-batch', { run_id: runId, ...part });
      }
    }
  }

  async getMetricHistory(runId: string, key: string): Promise<MlflowMetric[]> {
    const out: MlflowMetric[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.#json(ANSWERS.history, 'GET', '/api/2.0/mlflow/metrics/get-history', undefined, {
        run_id: runId,
        metric_key: mlflowKey(key),
        max_results: '25000',
        ...(pageToken ? { page_token: pageToken } : {}),
      });
      out.push(...((r.metrics ?? []) as MlflowMetric[]));
      pageToken = r.next_page_token;
    } while (pageToken);
    return out;
  }

  /** Every run matching `filter` (MLflow search syntax), following pages. */
  async searchRuns(opts: {
    experimentIds: readonly string[];
    filter?: string;
    orderBy?: readonly string[];
    maxResults?: number;
  }): Promise<MlflowRun[]> {
    const out: MlflowRun[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.#json(ANSWERS.runs, 'POST', '/api/2.0/mlflow/runs/search', {
        experiment_ids: opts.experimentIds,
        ...(opts.filter ? { filter: opts.filter } : {}),
        ...(opts.orderBy ? { order_by: opts.orderBy } : {}),
        max_results: Math.min(opts.maxResults ?? 1000, 1000),
        ...(pageToken ? { page_token: pageToken } : {}),
      });
      out.push(...((r.runs ?? []) as MlflowRun[]));
      pageToken =
        opts.maxResults !== undefined && out.length >= opts.maxResults ? undefined : r.next_page_token;
    } while (pageToken);
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // artifacts (through the server's proxy)

  /**
   * The proxy path of a run's artifact root. `mlflow-artifacts:/1/<run>/artifacts` (and the
   * `mlflow-artifacts://host/...` form) map to `/api/2.0/mlflow-artifacts/artifacts/1/<run>/artifacts`.
   */
  artifactProxyPath(artifactUri: string): string {
    const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
    if (m) return `/api/2.0/mlflow-artifacts/artifacts/${m[1]}`;
    const h = /^https?:\/\/[^/]+(\/api\/2\.0\/mlflow-artifacts\/artifacts\/.*)$/.exec(artifactUri);
    if (h?.[1]) return h[1];
    throw new UsageError(
      `mlflow: the run's artifact root "${artifactUri}" is not served by the tracking server; embrec uploads through the server's artifact proxy (start the server with --serve-artifacts, the default, and an mlflow-artifacts:/ root)`,
    );
  }

  /** Uploads one file as `<artifactPath>` (a posix path inside the run's artifact root). */
  async uploadArtifact(
    run: Pick<MlflowRunInfo, 'artifact_uri'>,
    localFile: string,
    artifactPath: string,
  ): Promise<void> {
    const data = await readFile(localFile);
    const path = artifactPath.split('/').filter(Boolean).map(encodeURIComponent).join('/');
    await this.request('PUT', `${this.artifactProxyPath(run.artifact_uri)}/${path}`, new Uint8Array(data));
  }

  /**
   * Uploads a file, or a folder recursively, under `artifactPath` ('' for the root). `skip` leaves
   * out files of a folder by their path relative to it.
   */
  async uploadArtifacts(
    run: Pick<MlflowRunInfo, 'artifact_uri'>,
    local: string,
    artifactPath: string,
    skip?: (relPath: string) => boolean,
  ): Promise<number> {
    const s = await stat(local);
    if (!s.isDirectory()) {
      await this.uploadArtifact(run, local, artifactPath || posix.basename(local.split(sep).join('/')));
      return 1;
    }
    let n = 0;
    for (const f of await listFiles(local)) {
      const rel = relative(local, f).split(sep).join('/');
      if (skip?.(rel)) continue;
      await this.uploadArtifact(run, f, artifactPath ? `${artifactPath}/${rel}` : rel);
      n++;
    }
    return n;
  }

  async listArtifacts(runId: string, path = ''): Promise<MlflowArtifactFile[]> {
    const r = await this.#json(ANSWERS.files, 'GET', '/api/2.0/mlflow/artifacts/list', undefined, {
      run_id: runId,
      ...(path ? { path } : {}),
    });
    return (r.files ?? []) as MlflowArtifactFile[];
  }

  /** A run's artifact as text (through `/get-artifact`). */
  async downloadArtifact(runId: string, path: string): Promise<string> {
    return (await this.request(
      'GET',
      '/get-artifact',
      undefined,
      { run_id: runId, path },
      { text: true },
    )) as string;
  }
}

/** Every file under `dir`, sorted, recursively. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError')
      return `request timed out after ${timeoutMs} ms (the client's timeoutMs, retries included)`;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ? `${err.message} (${cause.code})` : err.message;
  }
  return String(err);
}
