import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowClient, MlflowError, MlflowTracker, readOutbox } from '@embrec/mlflow';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../packages/core/src/util/log.ts';
import { runCli } from '../helpers/cli.ts';

/**
 * Issue 10 item 12: a `{}` answer crashed the client with "Cannot read properties of undefined", and
 * a hung server cost every call (retries + 1) timeouts. Every answer is now schema-checked (an error
 * naming the endpoint), one call never outlives its timeout (headers and body, retries included),
 * and the tracker keeps the run in the outbox. Local servers on 127.0.0.1 play the broken MLflow.
 */

interface Local {
  readonly uri: string;
  readonly requests: string[];
  readonly server: Server;
}

const open: Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function local(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Local> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url?.split('?')[0]}`);
    req.resume();
    handler(req, res);
  });
  open.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { uri: `http://127.0.0.1:${port}`, requests, server };
}

const emptyJson = (_req: IncomingMessage, res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{}');
};
const hang = (): void => {};
const hangInBody = (_req: IncomingMessage, res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"experiment": {"experiment_id": "1", ');
};

const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'embrec-mlflow-bad-'));
  dirs.push(d);
  return d;
};

function tracker(uri: string, warnings: string[]): MlflowTracker {
  return new MlflowTracker({
    client: new MlflowClient(uri, { retry: { retries: 3, backoffMs: 10, timeoutMs: 400 } }),
    log: createLogger({ level: 'warn', sink: (_l, line) => warnings.push(line) }),
    fallbackDir: tmp(),
  });
}

async function runOneTrial(t: MlflowTracker, dir: string): Promise<void> {
  await t.startTrial({ experiment: 'bad', name: 'trial', params: { 'model.dim': '8' }, tags: {}, dir });
  await t.logMetrics({ loss: 1 }, 0);
  await t.logMetrics({ 'test.NDCG@20': 0.1 });
  await t.endTrial('FINISHED');
}

describe('MLflow answers are schema-checked', () => {
  it('a `{}` answer is an error naming the endpoint, not a TypeError', async () => {
    const s = await local(emptyJson);
    const client = new MlflowClient(s.uri, { retry: { retries: 0 } });
    for (const call of [
      () => client.createRun({ experimentId: '1', runName: 'x' }),
      () => client.getRun('abc'),
      () => client.ensureExperiment('e'),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MlflowError);
      expect((err as MlflowError).errorCode).toBe('BAD_RESPONSE');
      expect((err as Error).message).toMatch(/mlflow: (POST|GET) \/api\/2\.0\/mlflow\/[a-z/-]+ → HTTP 200/);
      expect((err as Error).message).not.toMatch(/Cannot read properties/);
    }
    const err = await client.createRun({ experimentId: '1', runName: 'x' }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('POST /api/2.0/mlflow/runs/create');
  });

  it('a body that is not JSON is a clear error too', async () => {
    const s = await local((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>proxy error</html>');
    });
    const err = await new MlflowClient(s.uri, { retry: { retries: 0 } })
      .getRun('abc')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ errorCode: 'BAD_RESPONSE', endpoint: 'GET /api/2.0/mlflow/runs/get' });
  });

  it('the tracker keeps the run in the outbox when the server answers `{}`', async () => {
    const s = await local(emptyJson);
    const warnings: string[] = [];
    const t = tracker(s.uri, warnings);
    const dir = tmp();
    await runOneTrial(t, dir);
    const ops = (await readOutbox(dir)).map((e) => e.op);
    expect(ops).toEqual(['createRun', 'logMetrics', 'logMetrics', 'endRun']);
    expect(warnings.join('\n')).toMatch(/BAD_RESPONSE/);
    expect(warnings.join('\n')).not.toMatch(/Cannot read properties/);
  });
});

describe('MLflow timeouts hold', () => {
  it('a server that never answers costs one timeout per call, not one per retry', async () => {
    const s = await local(hang);
    const client = new MlflowClient(s.uri, { retry: { retries: 3, backoffMs: 10, timeoutMs: 400 } });
    const err = await client.getRun('abc').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).status).toBe(0);
    expect((err as Error).message).toMatch(/GET \/api\/2\.0\/mlflow\/runs\/get → unreachable .*timed out/);
    expect(s.requests).toHaveLength(1);
  }, 20_000);

  it('a server that hangs in the middle of the body times out as well', async () => {
    const s = await local(hangInBody);
    const client = new MlflowClient(s.uri, { retry: { retries: 3, backoffMs: 10, timeoutMs: 400 } });
    const err = await client.getExperimentByName('e').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0 });
    expect((err as Error).message).toMatch(/timed out/);
    expect(s.requests).toHaveLength(1);
  }, 20_000);

  it('the tracker finishes a trial against a hung server and keeps it in the outbox', async () => {
    const s = await local(hang);
    const warnings: string[] = [];
    const t = tracker(s.uri, warnings);
    const dir = tmp();
    await runOneTrial(t, dir);
    expect((await readOutbox(dir)).map((e) => e.op)).toEqual([
      'createRun',
      'logMetrics',
      'logMetrics',
      'endRun',
    ]);
    expect(warnings.join('\n')).toMatch(/4 calls failed, run `embrec track sync` later/);
    // the server is treated as away after the first timeout: later calls do not wait on it
    expect(s.requests).toHaveLength(1);
  }, 20_000);

  it('`embrec run` against a hung server finishes its trials; the calls wait in the outbox', async () => {
    const s = await local(hang);
    const dir = tmp();
    const file = join(dir, 'hung.yaml');
    writeFileSync(
      file,
      [
        'name: hung',
        'dataset: { type: demo, users: 60, items: 80, genres: 2 }',
        'split: { type: leave-one-out }',
        'model: { type: mostpop }',
        'evaluate: { type: full, ks: [5] }',
        `trackers: [{ type: mlflow, trackingUri: "${s.uri}", retries: 3, backoffMs: 10, timeoutMs: 500 }]`,
        'sweep: { seeds: [1, 2] }',
        '',
      ].join('\n'),
    );
    const r = await runCli(['run', file, '--output', join(dir, 'runs')], {
      env: { MLFLOW_TRACKING_URI: '' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/mlflow: .*calls failed, run `embrec track sync` later/);
    const sweep = join(dir, 'runs', 'hung');
    const trials = readdirSync(sweep).filter((n) => existsSync(join(sweep, n, 'metrics.json')));
    expect(trials).toHaveLength(2);
    // one API request (the first call times out, then the server counts as away); each later
    // trial only probes /health
    expect(s.requests.filter((q) => !q.endsWith('/health'))).toHaveLength(1);
    const queued = [
      ...(await readOutbox(sweep)),
      ...(await Promise.all(trials.map((t) => readOutbox(join(sweep, t))))).flat(),
    ];
    expect(queued.filter((e) => e.op === 'createRun').length).toBeGreaterThanOrEqual(3); // sweep + 2 trials
  }, 120_000);
});
