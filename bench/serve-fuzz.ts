/**
 * Serving fuzz: at least 10,000 malformed requests against `embrec serve` over loopback; zero 5xx, the process stays up, resident memory ends within 10% of where it started.
 *
 *   node --conditions=source --import tsx bench/serve-fuzz.ts [--bundle DIR] [--requests 10000]
 *        [--concurrency 16] [--max-seconds 600] [--seed 16]
 *
 * Requests (seeded, fast-check): random JSON on every route, wrong types and missing fields, huge
 * and non-finite numbers, unicode and lone surrogates, truncated JSON, wrong content types, unknown
 * routes and methods, oversized bodies (over the 64 KiB limit). Without --bundle a tiny demo run is
 * trained and exported first. The server is a child process (`embrec serve`); its RSS is read from
 * /proc after 2,000 warm-up requests and again after the run, each time after a full garbage
 * collection (the server is started with --expose-gc and collects on SIGUSR2). Exit 1 when a goal is missed.
 * Too slow for the test suite at 10,000 (test/serve/api.spec.ts runs a 600-request property test).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const root = path.resolve(import.meta.dirname, '..');
const total = Number(arg('requests', '10000'));
const concurrency = Number(arg('concurrency', '16'));
const maxSeconds = Number(arg('max-seconds', '600'));
const seed = Number(arg('seed', '16'));
const tmp = mkdtempSync(path.join(tmpdir(), 'embrec-fuzz-'));
const cli = (args: string[]) =>
  spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'packages/cli/src/main.ts', ...args],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );

let bundle = arg('bundle', '');
if (!bundle) {
  writeFileSync(
    path.join(tmp, 'fuzz.yaml'),
    'name: fuzz\nseed: 1\noutput: runs\ndataset: { type: demo, users: 300, items: 500 }\nsplit: { type: random, ratio: 0.2 }\nmodel: { type: mf, dim: 16, train: { epochs: 1 } }\nloss: { type: bpr }\nsampler: { type: uniform }\nindex: { type: exact }\nrerankers: [{ type: mmr }]\nevaluate: { type: full, ks: [10] }\n',
  );
  const r = cli(['run', path.join(tmp, 'fuzz.yaml')]);
  if (r.status !== 0) throw new Error(`embrec run failed: ${r.stderr}`);
  bundle = path.join(tmp, 'bundle');
  const e = cli(['export', path.join(tmp, 'runs', 'fuzz'), '--out', bundle]);
  if (e.status !== 0) throw new Error(`embrec export failed: ${e.stderr}`);
}
const users = JSON.parse(readFileSync(path.join(bundle, 'ids', 'users.json'), 'utf8')) as string[];
const items = JSON.parse(readFileSync(path.join(bundle, 'ids', 'items.json'), 'utf8')) as string[];

const server = spawn(
  process.execPath,
  [
    '--expose-gc',
    // SIGUSR2 → a full garbage collection, so RSS is compared on live memory, not on uncollected garbage
    '--import',
    `data:text/javascript,process.on('SIGUSR2',()=>globalThis.gc())`,
    '--conditions=source',
    '--import',
    'tsx',
    'packages/cli/src/main.ts',
    'serve',
    bundle,
    '--port',
    '18091',
  ],
  {
    cwd: root,
    env: { ...process.env, EMBREC_ADMIN_TOKEN: 'fuzz-token' },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const base = 'http://127.0.0.1:18091';
process.on('exit', () => {
  server.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
});
for (let i = 0; ; i++) {
  if (server.exitCode !== null) throw new Error('embrec serve exited');
  try {
    if ((await fetch(`${base}/ready`)).ok) break;
  } catch {}
  if (i > 600) throw new Error('embrec serve did not become ready');
  await new Promise((r) => setTimeout(r, 200));
}
async function collected(): Promise<number> {
  server.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 1000));
  return rss();
}
const rss = () =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

// the requests ----------------------------------------------------------------------------------
interface Req {
  method: string;
  url: string;
  body?: string;
  type?: string;
  kind: string;
}
const routes = ['/v1/recommend', '/v1/recommend/new-user', '/v1/similar', '/v1/batch', '/admin/reload'];
const weird = fc.oneof(
  fc.jsonValue(),
  fc.string({ unit: 'binary', maxLength: 600 }),
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -0, 0.5, -1, 0, 1e-320),
  fc.constantFrom(
    users[0]!,
    items[0]!,
    '',
    '\u0000',
    '\ud800',
    '🙂'.repeat(300),
    '../../etc/passwd',
    '__proto__',
  ),
  fc.array(fc.jsonValue(), { maxLength: 4 }),
);
const bodyObj = fc.record(
  {
    user: weird,
    item: weird,
    items: fc.oneof(weird, fc.array(weird, { maxLength: 6 })),
    k: weird,
    filters: fc.oneof(weird, fc.dictionary(fc.string({ maxLength: 8 }), weird, { maxKeys: 3 })),
    rerank: weird,
    excludeSeen: weird,
    exclude: weird,
    requests: fc.oneof(
      weird,
      fc.array(
        fc.record(
          {
            type: fc.oneof(weird, fc.constantFrom('recommend', 'similar', 'new-user')),
            user: weird,
            item: weird,
            k: weird,
          },
          { requiredKeys: [] },
        ),
        { maxLength: 5 },
      ),
    ),
    bundle: weird,
    ['__proto__']: weird,
  },
  { requiredKeys: [] },
);
const req: fc.Arbitrary<Req> = fc.oneof(
  {
    weight: 40,
    arbitrary: fc
      .tuple(fc.constantFrom(...routes), bodyObj)
      .map(([url, b]) => ({ method: 'POST', url, body: JSON.stringify(b), kind: 'wrong types / fields' })),
  },
  {
    weight: 15,
    arbitrary: fc
      .tuple(fc.constantFrom(...routes), fc.jsonValue())
      .map(([url, b]) => ({ method: 'POST', url, body: JSON.stringify(b) ?? 'null', kind: 'random JSON' })),
  },
  {
    weight: 10,
    arbitrary: fc.tuple(fc.constantFrom(...routes), bodyObj, fc.nat()).map(([url, b, cut]) => {
      const s = JSON.stringify(b);
      return { method: 'POST', url, body: s.slice(0, cut % Math.max(1, s.length)), kind: 'truncated JSON' };
    }),
  },
  {
    weight: 10,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...routes),
        fc.constantFrom(
          '{"k":1e999,"user":"1"}',
          '{"k":-1e999}',
          '{"k":NaN}',
          '{"user":"\\ud800"}',
          '{"items":[' + '1,'.repeat(5000) + '1]}',
          '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
        ),
      )
      .map(([url, body]) => ({ method: 'POST', url, body, kind: 'huge numbers / deep nesting' })),
  },
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...routes),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.constantFrom(
          'text/plain',
          'application/xml',
          'multipart/form-data',
          'application/x-www-form-urlencoded',
          '',
        ),
      )
      .map(([url, body, type]) => ({ method: 'POST', url, body, type, kind: 'wrong content type' })),
  },
  {
    weight: 12,
    arbitrary: fc
      .tuple(
        fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'POST'),
        fc.constantFrom(
          '/v1/items/',
          '/v1/users/',
          '/v1/items?q=',
          '/v1/users?limit=',
          '/static/',
          '/v2/',
          '/',
        ),
        fc.string({ unit: 'binary', maxLength: 300 }),
      )
      .map(([method, p, s]) => ({
        method,
        url: p + encodeURIComponent(s),
        kind: 'routes and query strings',
      })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...routes), fc.integer({ min: 70_000, max: 1_000_000 }))
      .map(([url, n]) => ({
        method: 'POST',
        url,
        body: JSON.stringify({ user: 'x'.repeat(n) }),
        kind: 'oversized body',
      })),
  },
);
const warmup = fc.sample(req, { seed: seed + 1, numRuns: 2000 });
const corpus = fc.sample(req, { seed, numRuns: total });

const counts = new Map<string, number>();
const fiveXX: string[] = [];
const deadline = Date.now() + maxSeconds * 1000;
async function send(list: Req[]): Promise<number> {
  let next = 0;
  let sent = 0;
  const worker = async () => {
    while (next < list.length && Date.now() < deadline) {
      const r = list[next++]!;
      let status: string;
      try {
        const res = await fetch(`${base}${r.url}`, {
          method: r.method,
          headers: { 'content-type': r.type ?? 'application/json' },
          ...(r.body !== undefined && r.method !== 'GET' ? { body: r.body } : {}),
        });
        await res.arrayBuffer();
        status = String(res.status);
        if (res.status >= 500)
          fiveXX.push(`${res.status} ${r.method} ${r.url.slice(0, 80)} ${String(r.body).slice(0, 200)}`);
      } catch (e) {
        status = `error ${(e as Error).message}`;
      }
      sent++;
      const key = `${r.kind}: ${status}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return sent;
}

await send(warmup);
counts.clear();
const before = await collected();
const t0 = performance.now();
const sent = await send(corpus);
const secs = (performance.now() - t0) / 1000;
const after = await collected();
const alive =
  server.exitCode === null &&
  (await fetch(`${base}/ready`).then(
    (r) => r.ok,
    () => false,
  ));

console.log(
  [...counts.entries()]
    .sort()
    .map(([k, v]) => `  ${k.padEnd(48)} ${v}`)
    .join('\n'),
);
const growth = (after - before) / before;
console.log(
  `\n${sent} malformed requests in ${secs.toFixed(1)} s (measured under load); 5xx: ${fiveXX.length}; process up: ${alive}; RSS ${before.toFixed(1)} → ${after.toFixed(1)} MiB (${(growth * 100).toFixed(1)}%)`,
);
for (const f of fiveXX.slice(0, 10)) console.log(`  5xx: ${f}`);
// growth is what a leak shows; a drop (garbage of the warm-up collected) is no failure
const ok = sent >= total && fiveXX.length === 0 && alive && growth <= 0.1;
console.log(
  ok ? 'goals met' : `goal missed${sent < total ? ` (only ${sent} sent before --max-seconds)` : ''}`,
);
process.exit(ok ? 0 : 1);
