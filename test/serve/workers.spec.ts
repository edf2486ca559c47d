import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { createServer, loadBundle } from '@embrec/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinRegistry } from '../../packages/cli/src/builtins.ts';
import { shownLine } from '../docs/shown.ts';
import { repoRoot } from '../helpers/cli.ts';
import { tinyBundle } from './fixture.ts';

// `embrec serve --workers 2` over real loopback HTTP: the command 'docs/serving.md' shows, run by the CLI
// from source on a tiny bundle instead of the quickstart's (EMBREC_PORT=0: a free port), two
// node:cluster workers on one port. Each request opens its own connection (agent: false), so the
// primary hands them to both workers; the answers are compared with an in-process server over the
// same bundle.
const main = join(repoRoot, 'packages', 'cli', 'src', 'main.ts');
const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
const TOKEN = 'workers-test-token';

let root: string;
let bundleDir: string;
let second: string;
let child: ChildProcess | undefined;
let base: string;
let out = '';
let err = '';

// biome-ignore lint/suspicious/noExplicitAny: test responses are read field by field
type Json = Record<string, any>;
interface Res {
  status: number;
  worker: string | undefined;
  json: Json;
  text: string;
}

/** One request on a new connection. */
function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${base}${path}`,
      {
        method,
        agent: false,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => {
          let json: Json = {};
          try {
            json = JSON.parse(text) as Json;
          } catch {}
          resolve({
            status: res.statusCode ?? 0,
            worker: res.headers['x-embrec-worker'] as string,
            json,
            text,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

beforeAll(async () => {
  ({ root, bundle: bundleDir } = await tinyBundle('tiny-workers'));
  // a second version of the bundle: the same files, another manifest (its sha256 is the version)
  second = join(root, 'bundle-2');
  cpSync(bundleDir, second, { recursive: true });
  const m = JSON.parse(readFileSync(join(second, 'manifest.json'), 'utf8'));
  writeFileSync(
    join(second, 'manifest.json'),
    JSON.stringify({ ...m, createdAt: new Date(0).toISOString() }),
  );
  const shown = shownLine('docs/serving.md', /^npx embrec serve .*--workers/);
  const [command, bundleArg, ...rest] = shown.replace(/^npx embrec /, '').split(/\s+/);
  expect([command, bundleArg, ...rest]).toEqual(['serve', 'runs/quickstart-bundle', '--workers', '2']);
  child = spawn(
    process.execPath,
    ['--conditions=source', '--import', tsx, main, command!, bundleDir, ...rest],
    {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', EMBREC_PORT: '0', EMBREC_ADMIN_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
  });
  base = await new Promise<string>((res, rej) => {
    child!.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m && out.includes('pipeline:')) res(m[1]!);
    });
    child!.on('close', (code) => rej(new Error(`serve exited ${code}: ${err}`)));
  });
}, 400_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const closed = new Promise((r) => child!.once('close', r));
    child.kill('SIGTERM');
    await closed;
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('embrec serve --workers 2', () => {
  it('says it runs 2 workers; both answer, each exactly as one in-process server', async () => {
    expect(out).toMatch(/workers: 2/);
    const bundle = await loadBundle(bundleDir);
    const local = await createServer({ bundle: bundleDir, registry: builtinRegistry() });
    try {
      const workers = new Set<string>();
      const rows = Array.from({ length: 24 }, (_, i) => i % bundle.users.ids.size);
      const answers = await Promise.all(
        rows.map((r) => call('POST', '/v1/recommend', { user: bundle.users.ids.external(r), k: 10 })),
      );
      for (const [i, a] of answers.entries()) {
        expect(a.status, a.text).toBe(200);
        workers.add(a.worker!);
        const want = (
          await local.inject({
            method: 'POST',
            url: '/v1/recommend',
            payload: { user: bundle.users.ids.external(rows[i]!), k: 10 },
          })
        ).json() as Json;
        expect(a.json.items).toEqual(want.items);
        expect(a.json.version).toBe(bundle.version);
      }
      expect([...workers].sort()).toEqual(['1', '2']);
      const sim = await call('POST', '/v1/similar', { item: bundle.items.ids.external(3), k: 5 });
      expect(sim.json.items).toEqual(
        (
          (
            await local.inject({
              method: 'POST',
              url: '/v1/similar',
              payload: { item: bundle.items.ids.external(3), k: 5 },
            })
          ).json() as Json
        ).items,
      );
      // bad input is a 4xx on every worker
      const bad = await Promise.all(
        Array.from({ length: 6 }, () => call('POST', '/v1/recommend', { user: 'u', k: 0 })),
      );
      expect(bad.map((b) => b.status)).toEqual(Array(6).fill(400));
    } finally {
      await local.close();
    }
  }, 120_000);

  it('a reload reaches every worker, under load: no failed and no 5xx response', async () => {
    const bundle = await loadBundle(bundleDir);
    const v2 = (await loadBundle(second)).version;
    expect(v2).not.toBe(bundle.version);
    let stop = false;
    const failures: string[] = [];
    const seen: { version: string; worker: string }[] = [];
    const loop = async () => {
      let n = 0;
      while (!stop) {
        const user = bundle.users.ids.external(n++ % bundle.users.ids.size);
        try {
          const r = await call('POST', '/v1/recommend', { user, k: 5 });
          if (r.status !== 200) failures.push(`${r.status} ${r.text}`);
          else seen.push({ version: r.json.version, worker: r.worker! });
        } catch (e) {
          failures.push(String(e));
        }
      }
    };
    const loops = Array.from({ length: 4 }, loop);
    try {
      for (let i = 0; i < 200 && seen.length < 20; i++) await new Promise((r) => setTimeout(r, 50));
      expect((await call('POST', '/admin/reload', { bundle: second })).status).toBe(401);
      const r = await call('POST', '/admin/reload', { bundle: second }, { authorization: `Bearer ${TOKEN}` });
      expect(r.status, r.text).toBe(200);
      expect(r.json).toMatchObject({ reloaded: true, previous: bundle.version, version: v2, workers: 2 });
      const at = seen.length;
      for (let i = 0; i < 300 && seen.length < at + 40; i++) await new Promise((res) => setTimeout(res, 50));
      stop = true;
      await Promise.all(loops);
      expect(failures).toEqual([]);
      // requests that started after the reply: the new version, from both workers
      const after = seen.slice(at + 4);
      expect(after.length).toBeGreaterThan(20);
      expect(new Set(after.map((s) => s.version))).toEqual(new Set([v2]));
      expect(new Set(after.map((s) => s.worker))).toEqual(new Set(['1', '2']));
      // a refused bundle: 422 from every worker, the current one keeps serving
      const bad = await call('POST', '/admin/reload', { bundle: root }, { authorization: `Bearer ${TOKEN}` });
      expect(bad.status).toBe(422);
      expect(bad.json.message).toMatch(/not an embrec bundle/);
      expect((await call('GET', '/ready')).json.version).toBe(v2);
    } finally {
      stop = true;
      await Promise.all(loops);
    }
  }, 120_000);

  it('/metrics sums the workers: request counts match what was sent', async () => {
    const bundle = await loadBundle(second);
    const before = await call('GET', '/metrics');
    const count = (text: string) =>
      Number(
        /embrec_http_requests_total\{route="\/v1\/similar",method="POST",status="200"\} (\d+)/.exec(
          text,
        )?.[1] ?? 0,
      );
    const workers = new Set<string>();
    for (let i = 0; i < 10; i++)
      workers.add((await call('POST', '/v1/similar', { item: bundle.items.ids.external(i), k: 3 })).worker!);
    expect(workers.size).toBe(2);
    const after = await call('GET', '/metrics');
    expect(after.status).toBe(200);
    expect(count(after.text) - count(before.text)).toBe(10);
    expect(after.text).toMatch(/^embrec_serve_workers 2$/m);
    expect(after.text).toMatch(/^embrec_reloads_total\{outcome="ok"\} 2$/m);
    expect(after.text).toMatch(
      new RegExp(`embrec_bundle_info\\{version="${bundle.version}",run="[^"]+"\\} 1`),
    );
  }, 60_000);

  it('SIGTERM: the workers close and the primary exits 0', async () => {
    const closed = new Promise<number | null>((r) => child!.once('close', r));
    child!.kill('SIGTERM');
    expect(await closed).toBe(0);
    await expect(call('GET', '/health')).rejects.toThrow(/ECONNREFUSED/);
    expect(err).not.toContain('✖');
  }, 60_000);
});
