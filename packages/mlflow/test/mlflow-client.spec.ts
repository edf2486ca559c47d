import { UsageError } from '@embrec/core';
import { makeTestCreateContext } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { mlflowTrackerComponent } from '../src/component.ts';
import { DEFAULT_RETRY, MlflowClient, MlflowError } from '../src/mlflow-client.ts';
import { flattenParams, MLFLOW_LIMITS, mlflowKey, truncateValue } from '../src/mlflow-names.ts';
import { configHash, runKey } from '../src/tags.ts';

/** A fetch that records requests and answers from `reply` (a Response, or a thrown error). */
function fakeFetch(reply: (url: URL, init: RequestInit, n: number) => Response | Error) {
  const calls: { url: URL; method: string; body: unknown }[] = [];
  const f = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body;
    calls.push({ url, method: init?.method ?? 'GET', body });
    const r = reply(url, init ?? {}, calls.length);
    if (r instanceof Error) throw r;
    return r;
  }) as typeof fetch;
  return { f, calls };
}

const ok = (body: unknown = {}): Response =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
const noSleep = async (): Promise<void> => {};

describe('mlflow names', () => {
  it('maps metric names with a cutoff to snake case keys MLflow accepts', () => {
    expect(mlflowKey('Recall@20')).toBe('recall_at_20');
    expect(mlflowKey('NDCG@10')).toBe('ndcg_at_10');
    expect(mlflowKey('loss')).toBe('loss');
    expect(mlflowKey('trainLoss')).toBe('trainLoss');
    expect(mlflowKey('val/Recall@20')).toBe('val/recall_at_20');
    expect(mlflowKey('a[0]{x}')).toBe('a_0__x_');
    expect(mlflowKey('x'.repeat(300))).toHaveLength(MLFLOW_LIMITS.keyLength);
  });

  it('truncates long values to the limit with a marker saying how much was cut', () => {
    const v = 'a'.repeat(7000);
    const t = truncateValue(v, 6000);
    expect(t).toHaveLength(6000);
    expect(t).toMatch(/…\[truncated \d+ chars\]$/);
    const cut = Number(/truncated (\d+) chars/.exec(t)![1]);
    expect(t.length - /…\[truncated \d+ chars\]$/.exec(t)![0].length + cut).toBe(7000);
    expect(truncateValue('short', 6000)).toBe('short');
  });

  it('flattens a resolved config into dotted string params', () => {
    const p = flattenParams({
      model: { type: 'mf', dim: 64, train: { epochs: 2, lr: 0.001 } },
      evaluate: { ks: [10, 20], metrics: ['recall'] },
      trackers: [{ type: 'mlflow' }],
      plugins: [],
      flag: true,
      none: null,
    });
    expect(p).toEqual({
      'model.type': 'mf',
      'model.dim': '64',
      'model.train.epochs': '2',
      'model.train.lr': '0.001',
      'evaluate.ks.0': '10',
      'evaluate.ks.1': '20',
      'evaluate.metrics.0': 'recall',
      'trackers.0.type': 'mlflow',
      plugins: '[]',
      flag: 'true',
      none: 'null',
    });
  });

  it('hashes configs independent of key order and keys runs by sweep identity', () => {
    expect(configHash({ a: '1', b: '2' })).toBe(configHash({ b: '2', a: '1' }));
    expect(configHash({ a: '1' })).not.toBe(configHash({ a: '2' }));
    const s = { name: 'ex', createdAt: '2026-01-01T00:00:00Z' };
    expect(runKey(s, 't1')).not.toBe(runKey(s, 't2'));
    expect(runKey(s)).not.toBe(runKey({ ...s, createdAt: '2026-01-02T00:00:00Z' }));
  });
});

describe('MlflowClient', () => {
  it('splits log-batch calls within MLflow limits and maps keys', async () => {
    const { f, calls } = fakeFetch(() => ok());
    const c = new MlflowClient('http://mlflow.test:5000/', { fetch: f, sleep: noSleep });
    const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p.${i}`, `v${i}`]));
    params['long.value'] = 'x'.repeat(9000);
    const tags = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`t${i}`, 'y']));
    const metrics = Array.from({ length: 2500 }, (_, i) => ({ key: 'Recall@20', value: i / 2500, step: i }));
    await c.logBatch('run1', { params, tags, metrics });

    expect(calls.length).toBeGreaterThanOrEqual(4);
    const seen = { params: 0, tags: 0, metrics: 0 };
    for (const call of calls) {
      expect(call.url.pathname).toBe('/api/2.0/mlflow/runs/log-batch');
      const b = call.body as {
        run_id: string;
        params: { key: string; value: string }[];
        tags: unknown[];
        metrics: { key: string }[];
      };
      expect(b.run_id).toBe('run1');
      expect(b.params.length).toBeLessThanOrEqual(100);
      expect(b.tags.length).toBeLessThanOrEqual(100);
      expect(b.metrics.length).toBeLessThanOrEqual(1000);
      expect(b.params.length + b.tags.length + b.metrics.length).toBeLessThanOrEqual(1000);
      for (const m of b.metrics) expect(m.key).toBe('recall_at_20');
      for (const p of b.params) expect(p.value.length).toBeLessThanOrEqual(6000);
      seen.params += b.params.length;
      seen.tags += b.tags.length;
      seen.metrics += b.metrics.length;
    }
    expect(seen).toEqual({ params: 251, tags: 150, metrics: 2500 });
  });

  it('keeps each log-batch request under the 1 MB limit of MLflow when values are long', async () => {
    const { f, calls } = fakeFetch(() => ok());
    const c = new MlflowClient('http://mlflow.test', { fetch: f, sleep: noSleep });
    const params = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`p${i}`, 'x'.repeat(6000)]));
    const tags = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`t${i}`, 'y'.repeat(8000)]));
    await c.logBatch('r', { params, tags, metrics: [{ key: 'm', value: 1 }] });
    expect(calls.length).toBe(3);
    for (const call of calls) expect(Buffer.byteLength(JSON.stringify(call.body))).toBeLessThan(1_000_000);
    const all = calls.map((x) => x.body as { params: unknown[]; tags: unknown[]; metrics: unknown[] });
    expect(all.reduce((n, b) => n + b.params.length + b.tags.length + b.metrics.length, 0)).toBe(201);
  });

  it('sends non-finite metric values as MLflow expects them', async () => {
    const { f, calls } = fakeFetch(() => ok());
    const c = new MlflowClient('http://mlflow.test', { fetch: f, sleep: noSleep });
    await c.logBatch('r', {
      metrics: [
        { key: 'x', value: Number.NaN },
        { key: 'y', value: -Infinity },
      ],
    });
    const b = calls[0]!.body as { metrics: { value: unknown }[] };
    expect(b.metrics.map((m) => m.value)).toEqual(['NaN', '-Infinity']);
  });

  it('retries 5xx and network errors with backoff, then succeeds', async () => {
    const waits: number[] = [];
    const { f, calls } = fakeFetch((_u, _i, n) =>
      n === 1
        ? new TypeError('fetch failed')
        : n === 2
          ? new Response('busy', { status: 503 })
          : ok({ experiment_id: '7' }),
    );
    const c = new MlflowClient('http://mlflow.test', {
      fetch: f,
      sleep: async (ms) => {
        waits.push(ms);
      },
      retry: { retries: 3, backoffMs: 100 },
    });
    expect(await c.createExperiment('e')).toBe('7');
    expect(calls).toHaveLength(3);
    expect(waits).toHaveLength(2);
    expect(waits[1]!).toBeGreaterThan(waits[0]!); // doubled (jitter is ±25%)
  });

  it('does not retry 4xx and carries the HTTP status and MLflow error_code', async () => {
    const { f, calls } = fakeFetch(
      () =>
        new Response(
          JSON.stringify({
            error_code: 'INVALID_PARAMETER_VALUE',
            message: 'Changing param values is not allowed',
          }),
          {
            status: 400,
            headers: { 'content-type': 'application/json' },
          },
        ),
    );
    const c = new MlflowClient('http://mlflow.test', { fetch: f, sleep: noSleep });
    const err = await c.setTag('r', 'k', 'v').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).status).toBe(400);
    expect((err as MlflowError).errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((err as MlflowError).retryable).toBe(false);
    expect((err as MlflowError).message).toContain('POST /api/2.0/mlflow/runs/set-tag');
    expect(calls).toHaveLength(1);
  });

  it('gives up after the configured retries with status 0 when the server is unreachable', async () => {
    const { f, calls } = fakeFetch(() => new TypeError('fetch failed'));
    const c = new MlflowClient('http://mlflow.test', { fetch: f, sleep: noSleep, retry: { retries: 2 } });
    const err = await c.getRun('r').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).status).toBe(0);
    expect((err as MlflowError).errorCode).toBe('NETWORK_ERROR');
    expect(calls).toHaveLength(3);
  });

  it('maps mlflow-artifacts roots to the server artifact proxy and refuses others', () => {
    const c = new MlflowClient('http://mlflow.test');
    expect(c.artifactProxyPath('mlflow-artifacts:/1/abc/artifacts')).toBe(
      '/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts',
    );
    expect(c.artifactProxyPath('mlflow-artifacts://host:5000/1/abc/artifacts')).toBe(
      '/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts',
    );
    expect(() => c.artifactProxyPath('s3://bucket/1/abc/artifacts')).toThrow(/artifact proxy/);
  });

  it('keeps the default retry settings for missing or invalid values', () => {
    const c = new MlflowClient('http://mlflow.test', {
      retry: { retries: undefined as unknown as number, timeoutMs: Number.NaN, backoffMs: 10 },
    });
    expect(c.retry).toEqual({ ...DEFAULT_RETRY, backoffMs: 10 });
  });

  it('refuses a tracking URI that is not http(s)', () => {
    expect(() => new MlflowClient('./mlruns')).toThrow(UsageError);
  });
});

describe('mlflow tracker component', () => {
  it('says what to set when there is no tracking URI', () => {
    const saved = process.env.MLFLOW_TRACKING_URI;
    delete process.env.MLFLOW_TRACKING_URI;
    try {
      const params = mlflowTrackerComponent.schema.parse({});
      expect(() => mlflowTrackerComponent.create(params, {}, makeTestCreateContext())).toThrow(
        /MLFLOW_TRACKING_URI.*found none/,
      );
    } finally {
      if (saved !== undefined) process.env.MLFLOW_TRACKING_URI = saved;
    }
  });

  it('validates its parameters strictly, with defaults', () => {
    expect(mlflowTrackerComponent.schema.parse({})).toMatchObject({ retries: 3, artifacts: true });
    expect(mlflowTrackerComponent.schema.safeParse({ retrys: 3 }).success).toBe(false);
  });
});
