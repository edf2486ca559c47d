import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import { MlflowClient } from '../src/mlflow-client.ts';
import { MlflowTracker } from '../src/mlflow-tracker.ts';
import { readMarker, readOutbox } from '../src/run-folder.ts';

/**
 * The tracker's failure handling against a scripted server (the real-server behaviour is in
 * mlflow-server.spec.ts): nothing throws, failures are queued and reported, a server that is away
 * is not waited on again within the trial.
 */

type Handler = (path: string, body: Record<string, unknown>) => Response | Error;

function scripted(handler: Handler) {
  const paths: string[] = [];
  const f = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    paths.push(url.pathname);
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    const r = handler(url.pathname, body);
    if (r instanceof Error) throw r;
    return r;
  }) as typeof fetch;
  return { f, paths };
}

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A tiny in-memory MLflow: enough endpoints for the tracker. */
function fakeMlflow(opts: { failFrom?: () => boolean; rejectParams?: boolean } = {}): Handler {
  let runs = 0;
  return (path, body) => {
    if (opts.failFrom?.()) return new TypeError('fetch failed');
    switch (path) {
      case '/health':
        return new Response('OK');
      case '/api/2.0/mlflow/experiments/get-by-name':
        return json({ experiment: { experiment_id: '1', name: 'e' } });
      case '/api/2.0/mlflow/runs/create': {
        runs++;
        return json({
          run: {
            info: {
              run_id: `r${runs}`,
              experiment_id: '1',
              status: 'RUNNING',
              artifact_uri: `mlflow-artifacts:/1/r${runs}/artifacts`,
            },
            data: {},
          },
        });
      }
      case '/api/2.0/mlflow/runs/log-batch':
        if (opts.rejectParams && Array.isArray(body.params) && body.params.length > 0)
          return json(
            { error_code: 'INVALID_PARAMETER_VALUE', message: 'Changing param values is not allowed' },
            400,
          );
        return json({});
      case '/api/2.0/mlflow/runs/update':
        return json({});
      default:
        return json({ error_code: 'ENDPOINT_NOT_FOUND', message: path }, 404);
    }
  };
}

function setup(handler: Handler) {
  const warnings: string[] = [];
  const { f, paths } = scripted(handler);
  const client = new MlflowClient('http://mlflow.test', {
    fetch: f,
    sleep: async () => {},
    retry: { retries: 2 },
  });
  const fallbackDir = mkdtempSync(join(tmpdir(), 'embrec-tracker-'));
  const tracker = new MlflowTracker({
    client,
    log: createLogger({ sink: (level, line) => (level === 'warn' ? warnings.push(line) : undefined) }),
    fallbackDir,
  });
  return { tracker, warnings, paths, fallbackDir };
}

const info = (name: string, dir?: string) => ({
  experiment: 'e',
  name,
  params: { 'model.dim': '8' },
  tags: {},
  ...(dir ? { dir } : {}),
});

describe('MlflowTracker failure handling', () => {
  it('queues calls to the trial folder and warns once per trial when the server goes away', async () => {
    let down = false;
    const { tracker, warnings, paths } = setup(fakeMlflow({ failFrom: () => down }));
    const dir = mkdtempSync(join(tmpdir(), 'embrec-trial-'));
    await tracker.startTrial(info('t1', dir));
    expect((await readMarker(dir, 'http://mlflow.test'))?.runId).toBe('r1');
    down = true;
    const before = paths.length;
    await tracker.logMetrics({ 'Recall@20': 0.5 }, 0); // 1 try + 2 retries
    await tracker.logMetrics({ 'Recall@20': 0.6 }, 1); // not tried again: the server is away
    await tracker.endTrial('FINISHED');
    expect(paths.length - before).toBe(3);
    const outbox = await readOutbox(dir);
    expect(outbox.map((e) => e.op)).toEqual(['logMetrics', 'logMetrics', 'endRun']);
    expect(outbox[0]!.run).toBe('r1');
    expect(outbox[0]!.error).toMatch(/unreachable/);
    expect(warnings).toEqual([
      expect.stringMatching(/^\[?.*mlflow: 3 calls failed, run `embrec track sync` later/),
    ]);
    expect(tracker.failedCalls).toBe(3);
    expect((await readMarker(dir, 'http://mlflow.test'))?.complete).toBe(false);
  });

  it('uses the fallback folder when the runner gives none, and resumes when the server is back', async () => {
    let down = true;
    const { tracker, warnings, fallbackDir } = setup(fakeMlflow({ failFrom: () => down }));
    await tracker.startSweep(info('sweep'));
    await tracker.startTrial(info('t1'));
    await tracker.logMetrics({ loss: 1 }, 0);
    await tracker.endTrial('FINISHED');
    expect((await readOutbox(fallbackDir)).map((e) => e.op)).toEqual([
      'createRun',
      'createRun',
      'logMetrics',
      'endRun',
    ]);
    down = false;
    await tracker.startTrial(info('t2')); // health probe succeeds: the parent is created, then t2
    await tracker.logMetrics({ loss: 1 }, 0);
    await tracker.endTrial('FINISHED');
    await tracker.endSweep('FINISHED');
    expect(tracker.failedCalls).toBe(4);
    expect(warnings.some((w) => w.includes(fallbackDir))).toBe(true);
  });

  it('reports a call the server refuses (4xx) without treating the server as away', async () => {
    const { tracker, warnings } = setup(fakeMlflow({ rejectParams: true }));
    const dir = mkdtempSync(join(tmpdir(), 'embrec-trial-'));
    await tracker.startTrial(info('t1', dir));
    await tracker.logMetrics({ loss: 1 }, 0); // still sent
    await tracker.endTrial('FINISHED');
    expect((await readOutbox(dir)).map((e) => e.op)).toEqual(['logParams']);
    expect(warnings[0]).toMatch(/HTTP 400 INVALID_PARAMETER_VALUE/);
    expect(warnings.at(-1)).toMatch(/mlflow: 1 call failed/);
    expect(tracker.failedCalls).toBe(1);
  });
});
