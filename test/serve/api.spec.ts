import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Bundle, createServer, loadBundle } from '@embrec/serve';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinRegistry } from '../../packages/cli/src/builtins.ts';
import { runCli } from '../helpers/cli.ts';
import { tinyBundle } from './fixture.ts';

// `embrec run` + `embrec export` on a tiny demo run, then every route of the server (in-process,
// through fastify's inject and over real loopback HTTP for the reload test).
let root: string;
let bundleDir: string;
let bundle: Bundle;
let app: Awaited<ReturnType<typeof createServer>>;
const TOKEN = 'test-token-123';
const registry = builtinRegistry();

beforeAll(async () => {
  ({ root, bundle: bundleDir } = await tinyBundle('tiny-serve'));
  bundle = await loadBundle(bundleDir);
  app = await createServer({ bundle: bundleDir, adminToken: TOKEN, maxK: 100, registry });
}, 240_000);

afterAll(async () => {
  await app?.close();
  rmSync(root, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: test responses are read field by field
type Json = Record<string, any>;
async function call(
  method: 'GET' | 'POST',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) {
  const r = await app.inject({
    method,
    url,
    ...(payload === undefined ? {} : { payload: payload as string }),
    headers,
  });
  return {
    status: r.statusCode,
    json: String(r.headers['content-type'] ?? '').includes('json') ? (r.json() as Json) : undefined,
    body: r.body,
    headers: r.headers,
  };
}

const user = () => bundle.users.ids.external(3);
const historyIds = (u: string) => {
  const row = bundle.users.ids.get(u)!;
  return Array.from(
    bundle.history.indices.subarray(bundle.history.indptr[row]!, bundle.history.indptr[row + 1]!),
    (i) => bundle.items.ids.external(i),
  );
};

/** Exact inner-product top-k of a query vector over the bundle's item table, skipping `skip`. */
function exactTop(q: Float32Array, k: number, skip: Set<string>): string[] {
  const { dim, vectors, ids } = bundle.items;
  const s: [number, string][] = [];
  for (let i = 0; i < ids.size; i++) {
    if (skip.has(ids.external(i))) continue;
    let d = 0;
    for (let j = 0; j < dim; j++) d += q[j]! * vectors[i * dim + j]!;
    s.push([d, ids.external(i)]);
  }
  return s
    .sort((a, b) => b[0] - a[0])
    .slice(0, k)
    .map((x) => x[1]);
}

describe('bundle', () => {
  it('export wrote a manifest with the framework version and a sha256 per file', () => {
    const m = JSON.parse(readFileSync(join(bundleDir, 'manifest.json'), 'utf8'));
    expect(m.format).toBe('embrec-bundle');
    expect(m.framework.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(Object.keys(m.files)).toEqual(
      expect.arrayContaining([
        'embeddings/items.npy',
        'embeddings/users.npy',
        'ids/items.json',
        'items.json',
        'pipeline.json',
        'index/meta.json',
      ]),
    );
    for (const f of Object.values(m.files) as { sha256: string }[])
      expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(bundle.pipeline.rerankers).toEqual([{ type: 'mmr', lambda: 0.7, served: true }]);
    expect(bundle.itemInfo[0]?.name).toMatch(/item/);
  });

  const corrupt = (name: string, edit: (dir: string) => void) => {
    const dir = join(root, name);
    rmSync(dir, { recursive: true, force: true });
    cpSync(bundleDir, dir, { recursive: true });
    edit(dir);
    return dir;
  };

  it('refuses a corrupted, incomplete or incompatible bundle with a clear message', async () => {
    const flipped = corrupt('flipped', (d) => {
      const p = join(d, 'embeddings', 'items.npy');
      const b = readFileSync(p);
      b[b.length - 3]! ^= 0xff;
      writeFileSync(p, b);
    });
    await expect(loadBundle(flipped)).rejects.toThrow(
      /items\.npy: sha256 .* does not match manifest\.json.*corrupted/,
    );
    const missing = corrupt('missing', (d) => rmSync(join(d, 'index', 'meta.json')));
    await expect(loadBundle(missing)).rejects.toThrow(/index\/meta\.json is missing/);
    const future = corrupt('future', (d) => {
      const p = join(d, 'manifest.json');
      writeFileSync(p, JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), formatVersion: 99 }));
    });
    await expect(loadBundle(future)).rejects.toThrow(/format version 99 is not supported/);
    const other = corrupt('other', (d) => {
      const p = join(d, 'manifest.json');
      const m = JSON.parse(readFileSync(p, 'utf8'));
      writeFileSync(p, JSON.stringify({ ...m, framework: { name: 'embrec', version: '7.0.0' } }));
    });
    await expect(loadBundle(other)).rejects.toThrow(/written by embrec "7\.0\.0", incompatible/);
    const garbage = corrupt('garbage', (d) => writeFileSync(join(d, 'manifest.json'), '{nope'));
    await expect(loadBundle(garbage)).rejects.toThrow(/manifest\.json: not valid JSON/);
    await expect(loadBundle(root)).rejects.toThrow(/not an embrec bundle \(no manifest\.json\)/);
    // the CLI: exit 1, the message, no stack trace
    const r = await runCli(['serve', flipped, '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not match manifest\.json/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});

describe('embrec serve RUN', () => {
  it('serves a run folder by exporting it to <run>/bundle first', async () => {
    const run = join(root, 'runs', 'tiny-serve');
    let line = '';
    const r = await runCli(['serve', run, '--port', '0'], {
      onStdoutLine: (l, kill) => {
        if (l.startsWith('embrec serve:')) {
          line = l;
          kill('SIGTERM');
        }
      },
    });
    expect(r.stderr).toContain('is not a bundle; exporting it');
    expect(line).toMatch(/on http:\/\/127\.0\.0\.1:\d+/);
    expect((await loadBundle(join(run, 'bundle'))).manifest.items).toBe(200);
  }, 120_000);
});

describe('routes', () => {
  it('health, readiness, OpenAPI, info', async () => {
    expect((await call('GET', '/health')).json).toEqual({ status: 'ok' });
    const ready = (await call('GET', '/ready')).json!;
    expect(ready).toMatchObject({ ready: true, version: bundle.version, items: 200, users: 150 });
    const api = (await call('GET', '/openapi.json')).json!;
    expect(api.openapi).toMatch(/^3\./);
    for (const p of [
      '/v1/recommend',
      '/v1/recommend/new-user',
      '/v1/similar',
      '/v1/items/{id}',
      '/v1/batch',
      '/admin/reload',
    ])
      expect(Object.keys(api.paths)).toContain(p);
    expect(api.paths['/v1/recommend'].post.requestBody.content['application/json'].schema.required).toEqual([
      'user',
    ]);
    const info = (await call('GET', '/v1/info')).json!;
    expect(info.manifest.source.model).toBe('mf');
    expect(info.attributes).toEqual(expect.arrayContaining(['genres']));
  });

  it('recommends for a known user: k items, seen items excluded, scores descending without re-ranking', async () => {
    const u = user();
    const r = (await call('POST', '/v1/recommend', { user: u, k: 10, rerank: false })).json!;
    expect(r.source).toBe('model');
    expect(r.version).toBe(bundle.version);
    expect(r.items).toHaveLength(10);
    const seen = new Set(historyIds(u));
    expect(seen.size).toBeGreaterThan(0);
    for (const it of r.items) expect(seen.has(it.id)).toBe(false);
    expect(r.items.every((it: Json) => it.stage === 'retrieval' && typeof it.name === 'string')).toBe(true);
    const row = bundle.users.ids.get(u)!;
    const q = bundle.users.vectors.slice(row * bundle.users.dim, (row + 1) * bundle.users.dim);
    expect(r.items.map((x: Json) => x.id)).toEqual(exactTop(q, 10, seen));
    const all = (await call('POST', '/v1/recommend', { user: u, k: 10, rerank: false, excludeSeen: false }))
      .json!;
    expect(all.items.map((x: Json) => x.id)).toEqual(exactTop(q, 10, new Set()));
    expect(r.stages.retrieval).toBeGreaterThanOrEqual(0);
  });

  it('seen and explicit exclusions give the exact top k on both search paths (over-fetch, and the index filter for large k)', async () => {
    const { dim, vectors } = bundle.users;
    for (let row = 0; row < 12; row++) {
      const u = bundle.users.ids.external(row);
      const extra = [bundle.items.ids.external(row), bundle.items.ids.external(row + 1)];
      const q = vectors.slice(row * dim, (row + 1) * dim);
      for (const k of [1, 10, 60]) {
        const r = (await call('POST', '/v1/recommend', { user: u, k, rerank: false, exclude: extra })).json!;
        const want = exactTop(q, k, new Set([...historyIds(u), ...extra]));
        expect(r.items.map((x: Json) => x.id)).toEqual(want);
      }
    }
  });

  it('re-rankers are on by default and switchable per request; attribute filters restrict the list', async () => {
    const u = user();
    const on = (await call('POST', '/v1/recommend', { user: u, k: 10 })).json!;
    expect(on.items.every((x: Json) => x.stage === 'rerank:mmr')).toBe(true);
    expect(Object.keys(on.stages)).toEqual(['retrieval', 'rerank:mmr']);
    const named = (await call('POST', '/v1/recommend', { user: u, k: 10, rerank: ['mmr'] })).json!;
    expect(named.items).toEqual(on.items);
    const bad = await call('POST', '/v1/recommend', { user: u, rerank: ['calibrated'] });
    expect(bad.status).toBe(400);
    expect(bad.json!.message).toMatch(/"calibrated" is not a re-ranker this bundle serves/);
    const drama = (
      await call('POST', '/v1/recommend', { user: u, k: 10, rerank: false, filters: { genres: 'Drama' } })
    ).json!;
    expect(drama.items.length).toBeGreaterThan(0);
    for (const it of drama.items) {
      const info = (await call('GET', `/v1/items/${encodeURIComponent(it.id)}`)).json!;
      expect(info.attributes.genres).toContain('Drama');
    }
    const unknown = await call('POST', '/v1/recommend', { user: u, filters: { colour: 'red' } });
    expect(unknown.status).toBe(400);
    expect(unknown.json!.message).toMatch(/unknown attribute "colour"/);
  });

  it('a new user: fold-in by pooling the named items; unknown ids reported; popularity fallback labelled', async () => {
    const picks = [bundle.items.ids.external(1), bundle.items.ids.external(2)];
    const r = (
      await call('POST', '/v1/recommend/new-user', { items: [...picks, 'no-such-item'], k: 5, rerank: false })
    ).json!;
    expect(r.source).toBe('fold-in');
    expect(r.unknown).toEqual(['no-such-item']);
    const { dim, vectors } = bundle.items;
    const q = new Float32Array(dim);
    for (const i of [1, 2]) for (let j = 0; j < dim; j++) q[j]! += vectors[i * dim + j]! / 2;
    expect(r.items.map((x: Json) => x.id)).toEqual(exactTop(q, 5, new Set(picks)));
    const none = (await call('POST', '/v1/recommend/new-user', { items: ['nope'], k: 5 })).json!;
    expect(none.source).toBe('popularity');
    expect(none.note).toMatch(/popularity fallback/);
    expect(none.items.every((x: Json) => x.stage === 'popularity')).toBe(true);
    const scores = none.items.map((x: Json) => x.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('similar items, item lookup, search, history', async () => {
    const id = bundle.items.ids.external(7);
    const s = (await call('POST', '/v1/similar', { item: id, k: 5 })).json!;
    expect(s.items).toHaveLength(5);
    expect(s.items.map((x: Json) => x.id)).not.toContain(id);
    const { dim, vectors } = bundle.items;
    expect(s.items.map((x: Json) => x.id)).toEqual(
      exactTop(vectors.slice(7 * dim, 8 * dim), 5, new Set([id])),
    );
    expect((await call('GET', `/v1/items/${id}`)).json).toMatchObject({ id, name: bundle.itemInfo[7]!.name });
    expect((await call('GET', '/v1/items/does-not-exist')).status).toBe(404);
    const found = (await call('GET', '/v1/items?q=drama&limit=3')).json!;
    expect(found.items).toHaveLength(3);
    for (const it of found.items) expect(it.name.toLowerCase()).toContain('drama');
    const users = (await call('GET', `/v1/users?q=${user()}`)).json!;
    expect(users.users.map((x: Json) => x.id)).toContain(user());
    const h = (await call('GET', `/v1/users/${user()}`)).json!;
    expect(h.history.map((x: Json) => x.id)).toEqual(historyIds(user()));
    expect((await call('GET', '/v1/users/nobody')).status).toBe(404);
  });

  it('batch: one version for all, each answered or given its own error', async () => {
    const r = (
      await call('POST', '/v1/batch', {
        requests: [
          { type: 'recommend', user: user(), k: 3 },
          { type: 'new-user', items: [bundle.items.ids.external(0)], k: 2 },
          { type: 'similar', item: bundle.items.ids.external(0), k: 4 },
          { type: 'similar', item: 'missing' },
        ],
      })
    ).json!;
    expect(r.results.map((x: Json) => x.items?.length ?? x.statusCode)).toEqual([3, 2, 4, 404]);
    expect(new Set(r.results.slice(0, 3).map((x: Json) => x.version))).toEqual(new Set([r.version]));
    const bad = await call('POST', '/v1/batch', { requests: [{ type: 'recommend' }] });
    expect(bad.status).toBe(400);
    const tooMany = await call('POST', '/v1/batch', {
      requests: Array.from({ length: 101 }, () => ({ type: 'similar', item: 'x' })),
    });
    expect(tooMany.status).toBe(400);
  });

  it('metrics: request counts and latency histograms per route and stage', async () => {
    const m = (await call('GET', '/metrics')).body;
    expect(m).toMatch(/embrec_http_requests_total\{route="\/v1\/recommend",method="POST",status="200"\} \d+/);
    expect(m).toMatch(/embrec_http_request_duration_seconds_bucket\{le="[^"]+",route="\/v1\/similar"\}/);
    expect(m).toMatch(
      /embrec_stage_duration_seconds_count\{route="\/v1\/recommend",stage="rerank:mmr"\} \d+/,
    );
    expect(m).toMatch(
      /embrec_stage_duration_seconds_count\{route="\/v1\/recommend\/new-user",stage="popularity"\} \d+/,
    );
    expect(m).toContain(`embrec_bundle_info{version="${bundle.version}"`);
  });

  it('the page and its files; nothing else from disk', async () => {
    const page = await call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('/static/app.js');
    expect((await call('GET', '/static/app.js')).headers['content-type']).toMatch(/javascript/);
    for (const p of [
      '/static/..%2Fpackage.json',
      '/static/index.html',
      '/static/%2e%2e%2f%2e%2e%2fpackage.json',
      '/../package.json',
    ])
      expect((await call('GET', p)).status, p).toBe(404);
  });
});

describe('admin', () => {
  it('off without a token; refuses a wrong token; a corrupt bundle is refused and the old one keeps serving', async () => {
    // no registry: the MF bundle's fold-in is a pooling rule, served without the model
    const open = await createServer({ bundle: bundleDir });
    expect(bundle.pipeline.foldIn).toMatchObject({ method: 'model', pooling: 'mean' });
    const items = [bundle.items.ids.external(1), bundle.items.ids.external(2)];
    const pooled = await open.inject({
      method: 'POST',
      url: '/v1/recommend/new-user',
      payload: { items, k: 5 },
    });
    const viaModel = await call('POST', '/v1/recommend/new-user', { items, k: 5 });
    const ids = (r: Json) => r.items.map((x: Json) => x.id);
    expect(ids(pooled.json())).toEqual(ids(viaModel.json!));
    expect(ids(pooled.json())).toHaveLength(5);
    try {
      expect((await open.inject({ method: 'POST', url: '/admin/reload', payload: {} })).statusCode).toBe(404);
    } finally {
      await open.close();
    }
    expect((await call('POST', '/admin/reload', {})).status).toBe(401);
    expect((await call('POST', '/admin/reload', {}, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await call('POST', '/admin/reload', {}, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    const r = await call(
      'POST',
      '/admin/reload',
      { bundle: join(root, 'flipped') },
      { authorization: `Bearer ${TOKEN}` },
    );
    expect(r.status).toBe(422);
    expect(r.json!.message).toMatch(/does not match manifest/);
    expect((await call('GET', '/ready')).json!.version).toBe(bundle.version);
  });
});

describe('bad requests', () => {
  const corpus: [string, string, unknown, Record<string, string>?][] = [
    ['POST', '/v1/recommend', '{', { 'content-type': 'application/json' }],
    ['POST', '/v1/recommend', 'null', { 'content-type': 'application/json' }],
    ['POST', '/v1/recommend', '[]', { 'content-type': 'application/json' }],
    ['POST', '/v1/recommend', '"user"', { 'content-type': 'application/json' }],
    ['POST', '/v1/recommend', '', { 'content-type': 'application/json' }],
    ['POST', '/v1/recommend', 'user=1', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['POST', '/v1/recommend', 'hello', { 'content-type': 'text/plain' }],
    ['POST', '/v1/recommend', {}],
    ['POST', '/v1/recommend', { user: {} }],
    ['POST', '/v1/recommend', { user: [] }],
    ['POST', '/v1/recommend', { user: '' }],
    ['POST', '/v1/recommend', { user: 'x'.repeat(10_000) }],
    ['POST', '/v1/recommend', { user: '\u0000\ud83d\ude00\u202e' }],
    ['POST', '/v1/recommend', { user: '1', k: 0 }],
    ['POST', '/v1/recommend', { user: '1', k: -1 }],
    ['POST', '/v1/recommend', { user: '1', k: 1.5 }],
    ['POST', '/v1/recommend', { user: '1', k: 1e308 }],
    ['POST', '/v1/recommend', '{"user":"1","k":1e999}', { 'content-type': 'application/json' }],
    ['POST', '/v1/recommend', { user: '1', k: 'ten' }],
    ['POST', '/v1/recommend', { user: '1', k: 101 }],
    ['POST', '/v1/recommend', { user: '1', extra: true }],
    ['POST', '/v1/recommend', { user: '1', filters: [] }],
    ['POST', '/v1/recommend', { user: '1', filters: { genres: { $gt: 1 } } }],
    ['POST', '/v1/recommend', { user: '1', rerank: 'mmr' }],
    ['POST', '/v1/recommend', { user: '1', rank: 'yes' }],
    ['POST', '/v1/recommend', { user: '1', rank: true }], // this bundle serves no ranker
    ['POST', '/v1/recommend', { user: '1', rerank: ['calibrated'] }], // not in this bundle's pipeline
    ['POST', '/v1/recommend', { user: '1', exclude: 'x' }],
    [
      'POST',
      '/v1/recommend',
      '{"__proto__":{"polluted":1},"user":"1"}',
      { 'content-type': 'application/json' },
    ],
    [
      'POST',
      '/v1/recommend',
      '{"constructor":{"prototype":{"x":1}},"user":"1"}',
      { 'content-type': 'application/json' },
    ],
    ['POST', '/v1/recommend/new-user', { items: 'a' }],
    ['POST', '/v1/recommend/new-user', { items: [1, [2]] }],
    ['POST', '/v1/recommend/new-user', { items: Array.from({ length: 1001 }, (_, i) => String(i)) }],
    ['POST', '/v1/similar', { item: null }],
    ['POST', '/v1/similar', { item: '1', k: Number.MAX_SAFE_INTEGER }],
    ['POST', '/v1/batch', { requests: 'all' }],
    ['POST', '/v1/batch', { requests: [null] }],
    ['POST', '/v1/batch', { requests: [{ type: 'drop table' }] }],
    [
      'POST',
      '/v1/recommend',
      JSON.stringify({ user: '1', pad: 'x'.repeat(70_000) }),
      { 'content-type': 'application/json' },
    ],
    ['GET', '/v1/items?limit=0', undefined],
    ['GET', '/v1/items?limit=abc', undefined],
    ['GET', '/v1/items?q=' + 'x'.repeat(300), undefined],
    ['GET', '/v1/items?other=1', undefined],
    ['GET', '/v1/items/%ED%A0%80%FF', undefined],
    ['GET', '/v1/users/' + 'u'.repeat(700), undefined],
    ['GET', '/v1/recommend', undefined],
    ['DELETE', '/v1/items/1', undefined],
    ['POST', '/admin/reload', { bundle: '../../etc' }, { authorization: 'Bearer nope' }],
    ['POST', '/admin/reload', { bundle: '/nonexistent/embrec-bundle' }, { authorization: `Bearer ${TOKEN}` }],
    ['POST', '/admin/reload', { bundle: 5 }, { authorization: `Bearer ${TOKEN}` }],
  ];
  it.each(corpus.map((c, i) => [i, ...c] as const))(
    '#%i %s %s → 4xx JSON',
    async (_i, method, url, payload, headers) => {
      const r = await app.inject({
        method: method as 'GET',
        url,
        ...(payload === undefined ? {} : { payload: payload as string }),
        headers: headers ?? {},
      });
      expect(r.statusCode, r.body).toBeGreaterThanOrEqual(400);
      expect(r.statusCode, r.body).toBeLessThan(500);
      const j = r.json() as Json;
      expect(typeof j.message).toBe('string');
      expect(r.body).not.toMatch(/\n\s+at /);
      expect(({} as Json).polluted).toBeUndefined();
    },
  );

  it('random JSON bodies on every POST route: never a 5xx (property test)', async () => {
    const routes = ['/v1/recommend', '/v1/recommend/new-user', '/v1/similar', '/v1/batch'];
    const known = { user: user(), item: bundle.items.ids.external(0) };
    const field = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom(known.user, known.item),
      fc.integer(),
      fc.double(),
      fc.string({ unit: 'grapheme' }),
    );
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record(
        { user: field, k: field, filters: field, rerank: field, excludeSeen: field, exclude: field },
        { requiredKeys: [] },
      ),
      fc.record(
        { items: fc.oneof(field, fc.array(field, { maxLength: 5 })), k: field },
        { requiredKeys: [] },
      ),
      fc.record(
        {
          requests: fc.oneof(
            field,
            fc.array(
              fc.record(
                {
                  type: fc.constantFrom('recommend', 'similar', 'new-user', 'x'),
                  user: field,
                  item: field,
                  items: field,
                  k: field,
                },
                { requiredKeys: [] },
              ),
              { maxLength: 4 },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), body, async (url, b) => {
        const r = await app.inject({
          method: 'POST',
          url,
          payload: JSON.stringify(b) ?? 'null',
          headers: { 'content-type': 'application/json' },
        });
        expect(r.statusCode, `${url} ${JSON.stringify(b)} → ${r.body}`).toBeLessThan(500);
      }),
      { numRuns: 600, seed: 16 },
    );
  }, 60_000);
});

describe('hot reload under load', () => {
  it('swaps the bundle with zero failed and zero mixed-version requests', async () => {
    const second = join(root, 'bundle-2');
    const exp = await runCli([
      'export',
      join(root, 'runs', 'tiny-serve'),
      '--out',
      second,
      '--index',
      '{type: hnsw, M: 8}',
    ]);
    expect(exp.code, exp.stderr).toBe(0);
    const v2 = (await loadBundle(second)).version;
    expect(v2).not.toBe(bundle.version);
    const server = await createServer({ bundle: bundleDir, adminToken: TOKEN, registry });
    const base = await server.listen({ port: 0, host: '127.0.0.1' });
    let stop = false;
    const seen: string[] = [];
    const failures: string[] = [];
    const worker = async () => {
      while (!stop) {
        const batch = Math.random() < 0.3;
        try {
          const res = await fetch(`${base}${batch ? '/v1/batch' : '/v1/recommend'}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(
              batch
                ? {
                    requests: [
                      { type: 'recommend', user: user(), k: 5 },
                      { type: 'similar', item: bundle.items.ids.external(1), k: 5 },
                    ],
                  }
                : { user: user(), k: 10 },
            ),
          });
          const j = (await res.json()) as Json;
          if (res.status !== 200) failures.push(`${res.status} ${JSON.stringify(j)}`);
          else if (batch && j.results.some((r: Json) => r.version !== j.version))
            failures.push(`mixed batch ${JSON.stringify(j)}`);
          else seen.push(j.version);
        } catch (e) {
          failures.push(String(e));
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    try {
      for (let i = 0; i < 200 && seen.length < 20; i++) await new Promise((r) => setTimeout(r, 50));
      const before = seen.length;
      const r = await fetch(`${base}/admin/reload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ bundle: second }),
      });
      expect(await r.json()).toMatchObject({ reloaded: true, previous: bundle.version, version: v2 });
      const at = seen.length;
      for (let i = 0; i < 200 && seen.length < at + 40; i++) await new Promise((res) => setTimeout(res, 50));
      stop = true;
      await Promise.all(workers);
      expect(failures).toEqual([]);
      expect(before).toBeGreaterThan(0);
      expect(new Set(seen)).toEqual(new Set([bundle.version, v2]));
      // every response that began after the swap answered came from the new bundle
      expect(seen.slice(at + 8).every((v) => v === v2)).toBe(true);
    } finally {
      stop = true;
      await server.close();
    }
  }, 120_000);
});
