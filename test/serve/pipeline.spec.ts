import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { NcfModel, NcfRanker } from '@embrec/models';
import { type Bundle, createServer, Engine, loadBundle } from '@embrec/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinRegistry } from '../../packages/cli/src/builtins.ts';
import { tinyBundle } from './fixture.ts';

// A tiny trained pipeline (demo data: MF retrieval of 50, a NeuMF ranker fine-tuned on the validation
// users' candidates, then MMR, calibrated, rules and fairness re-rankers) run, exported and served
// with the built-in plugins, as `embrec serve` does.
let root: string;
let trial: string;
let bundleDir: string;
let bundle: Bundle;
let app: Awaited<ReturnType<typeof createServer>>;

beforeAll(async () => {
  ({
    root,
    bundle: bundleDir,
    trial,
  } = await tinyBundle(
    'tiny-pipeline',
    `ranker: { type: neumf, factors: 4, layers: [16, 8], train: { epochs: 1, batchSize: 256 }, hardNegatives: { epochs: 1, negatives: 4 } }
rerankers:
  - { type: mmr, lambda: 0.7 }
  - { type: calibrated, attribute: genres, lambda: 0.5 }
  - { type: rules, deny: { genres: [Horror] } }
  - { type: fairness, head: 0.2, maxShare: 0.5 }`,
    '{ type: random, ratio: 0.2, valid: true }',
  ));
  bundle = await loadBundle(bundleDir);
  app = await createServer({ bundle: bundleDir, registry: builtinRegistry(), maxK: 100 });
}, 300_000);

afterAll(async () => {
  await app?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: test responses are read field by field
type Json = Record<string, any>;
async function post(url: string, payload: unknown): Promise<{ status: number; json: Json }> {
  const r = await app.inject({ method: 'POST', url, payload: payload as string });
  return { status: r.statusCode, json: r.json() as Json };
}
const user = (row: number) => bundle.users.ids.external(row);

describe('export', () => {
  it('the trial saved its ranker with its own save(); the bundle carries it, hashed, with the score standardisation', () => {
    const saved = JSON.parse(readFileSync(join(trial, 'artifacts', 'ranker', 'ranker.json'), 'utf8'));
    expect(saved).toMatchObject({ format: 'embrec-ranker/1', saved: 'component' });
    const state = JSON.parse(readFileSync(join(bundleDir, 'ranker', 'neumf-ranker.json'), 'utf8'));
    expect(state.scoreStats.std).toBeGreaterThan(0);
    const p = bundle.pipeline;
    expect(p.ranker).toMatchObject({ type: 'neumf', served: true, candidates: 50, retrievalFeatures: true });
    expect(p.rerankers.map((r) => [r.type, r.served])).toEqual([
      ['mmr', true],
      ['calibrated', true],
      ['rules', true],
      ['fairness', true],
    ]);
    for (const f of [
      'ranker/model.json',
      'ranker/weights.bin',
      'ranker/user-ids.json',
      'ranker/item-ids.json',
      'ranker/neumf-ranker.json',
    ])
      expect(Object.keys(bundle.manifest.files)).toContain(f);
  });

  it('a bundle with a ranker is refused without a plugin registry, with a message saying why', async () => {
    await expect(createServer({ bundle: bundleDir })).rejects.toThrow(/ranker neumf.*pass a plugin registry/);
  });
});

describe('retrieval → NeuMF → re-rankers', () => {
  it('ranks the retrieved candidates by the NeuMF model with the retrieval score and rank as inputs', async () => {
    const u = user(5);
    const base = (await post('/v1/recommend', { user: u, k: 50, rank: false, rerank: false })).json;
    expect(base.items.every((x: Json) => x.stage === 'retrieval')).toBe(true);
    const ranked = (await post('/v1/recommend', { user: u, k: 50, rerank: false })).json;
    expect(ranked.items.every((x: Json) => x.stage === 'rank:neumf')).toBe(true);
    expect(ranked.stages['rank:neumf']).toBeGreaterThanOrEqual(0);
    expect(new Set(ranked.items.map((x: Json) => x.id))).toEqual(new Set(base.items.map((x: Json) => x.id)));
    // the same scores from the saved model, loaded independently, with the ranker's pair inputs
    const model = new NcfModel({} as never, undefined, root, 'neumf ranker', 2); // 2 pair inputs
    await model.load(join(bundleDir, 'ranker'));
    const uids = JSON.parse(readFileSync(join(bundleDir, 'ranker', 'user-ids.json'), 'utf8'));
    const iids = JSON.parse(readFileSync(join(bundleDir, 'ranker', 'item-ids.json'), 'utf8'));
    const ui = (Array.isArray(uids) ? uids : uids.ids).indexOf(u);
    const ilist: string[] = Array.isArray(iids) ? iids : iids.ids;
    const st = JSON.parse(readFileSync(join(bundleDir, 'ranker', 'neumf-ranker.json'), 'utf8')).scoreStats;
    const n = base.items.length;
    const extras = new Float32Array(n * 2);
    base.items.forEach((x: Json, j: number) => {
      extras[2 * j] = (Math.fround(x.score) - st.mean) / st.std;
      extras[2 * j + 1] = 1 / Math.log2(j + 2);
    });
    const s = model.scorePairs(
      new Int32Array(n).fill(ui),
      Int32Array.from(base.items, (x: Json) => ilist.indexOf(x.id)),
      extras,
    );
    const want = base.items
      .map((x: Json, j: number) => ({ id: x.id, s: s[j]!, j }))
      .sort((a: Json, b: Json) => b.s - a.s || a.j - b.j)
      .map((x: Json) => x.id);
    expect(ranked.items.map((x: Json) => x.id)).toEqual(want);
    model.dispose?.();
  });

  it('each re-ranker switchable per request; the default runs them all after the ranker', async () => {
    const u = user(7);
    const genres = new Map(bundle.itemInfo.map((i) => [i.id, i.attributes.genres as string[]]));
    const all = (await post('/v1/recommend', { user: u, k: 10 })).json;
    expect(Object.keys(all.stages)).toEqual([
      'retrieval',
      'rank:neumf',
      'rerank:mmr',
      'rerank:calibrated',
      'rerank:rules',
      'rerank:fairness',
    ]);
    expect(all.items.every((x: Json) => x.stage === 'rerank:fairness')).toBe(true);
    for (const type of ['mmr', 'calibrated', 'rules', 'fairness']) {
      const r = (await post('/v1/recommend', { user: u, k: 10, rerank: [type] })).json;
      expect(Object.keys(r.stages)).toEqual(['retrieval', 'rank:neumf', `rerank:${type}`]);
      expect(r.items.length).toBeGreaterThan(0);
      expect(r.items.every((x: Json) => x.stage === `rerank:${type}`)).toBe(true);
    }
    // rules: the denied genre is gone; fairness: at most half of the list from the popular head
    const rules = (await post('/v1/recommend', { user: u, k: 20, rerank: ['rules'] })).json;
    for (const x of rules.items) expect(genres.get(x.id)).not.toContain('Horror');
    const unruled = (await post('/v1/recommend', { user: u, k: 20, rerank: false })).json;
    expect(unruled.items.some((x: Json) => genres.get(x.id)?.includes('Horror'))).toBe(true);
    const counts = new Map<number, number>();
    for (const i of bundle.history.indices) counts.set(i, (counts.get(i) ?? 0) + 1);
    const order = [...bundle.items.ids.toArray().keys()].sort(
      (a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || a - b,
    );
    const head = new Set(
      order.slice(0, Math.ceil(0.2 * order.length)).map((i) => bundle.items.ids.external(i)),
    );
    const fair = (await post('/v1/recommend', { user: u, k: 10, rerank: ['fairness'] })).json;
    const headIn = fair.items.filter((x: Json) => head.has(x.id)).length;
    const plain = (await post('/v1/recommend', { user: u, k: 10, rerank: false })).json;
    expect(headIn).toBeLessThanOrEqual(Math.max(5, 10 - (50 - plain.items.length)));
    expect(headIn).toBeLessThanOrEqual(5);
  });

  it('an MMR block with an attribute runs the mmr component (Jaccard of genres), not the engine’s cosine MMR', async () => {
    const served = (over: Record<string, unknown>) =>
      Engine.create(
        {
          ...bundle,
          pipeline: {
            ...bundle.pipeline,
            ranker: null,
            rerankers: [{ type: 'mmr', lambda: 0.3, served: true, ...over }],
          },
        },
        builtinRegistry(),
      );
    const byGenre = await served({ attribute: 'genres' });
    const byCosine = await served({});
    let differs = 0;
    for (let row = 0; row < 10; row++) {
      const a = await byGenre.forUser(user(row), { k: 10 });
      const b = await byCosine.forUser(user(row), { k: 10 });
      expect(a.items.every((x) => x.stage === 'rerank:mmr')).toBe(true);
      if (a.items.map((x) => x.id).join() !== b.items.map((x) => x.id).join()) differs++;
    }
    expect(differs).toBeGreaterThan(0);
  });

  it('a new user: retrieval by fold-in, the ranker skipped with a note; batch and errors', async () => {
    const items = bundle.items.ids.toArray().slice(0, 3);
    const r = (await post('/v1/recommend/new-user', { items, k: 5, rerank: false })).json;
    expect(r.source).toBe('fold-in');
    expect(r.note).toMatch(/ranker \(neumf\) scores only users it was trained on/);
    expect(r.items.every((x: Json) => x.stage === 'retrieval')).toBe(true);
    const b = (
      await post('/v1/batch', {
        requests: [
          { type: 'recommend', user: user(1), k: 3, rank: true, rerank: ['fairness'] },
          { type: 'recommend', user: user(1), k: 3, rerank: ['nope'] },
        ],
      })
    ).json;
    expect(b.results[0].items).toHaveLength(3);
    expect(b.results[1]).toMatchObject({ statusCode: 400 });
    expect((await post('/v1/recommend', { user: user(1), rank: 'yes' })).status).toBe(400);
    expect((await post('/v1/recommend', { user: user(1), rerank: ['nope'] })).json.message).toMatch(
      /available: mmr, calibrated, rules, fairness/,
    );
    expect(existsSync(join(bundleDir, 'ranker', 'weights.bin'))).toBe(true);
  });

  it('the other routes over the pipeline bundle: info names the served stages, metrics time the ranker', async () => {
    const get = async (url: string) => {
      const r = await app.inject({ method: 'GET', url });
      return { status: r.statusCode, body: r.body };
    };
    expect((await get('/health')).status).toBe(200);
    expect((await get('/ready')).status).toBe(200);
    const info = JSON.parse((await get('/v1/info')).body);
    expect(info.pipeline.ranker).toMatchObject({ type: 'neumf', served: true });
    const item = bundle.items.ids.external(0);
    expect((await post('/v1/similar', { item, k: 5 })).json.items).toHaveLength(5);
    expect((await get(`/v1/items/${item}`)).status).toBe(200);
    expect((await get(`/v1/users/${user(2)}`)).status).toBe(200);
    expect((await get('/v1/items?q=item&limit=3')).status).toBe(200);
    expect((await get('/openapi.json')).body).toContain('"rank"');
    const metrics = (await get('/metrics')).body;
    expect(metrics).toMatch(
      /embrec_stage_duration_seconds_count\{route="\/v1\/recommend",stage="rank:neumf"\} [1-9]/,
    );
    expect(metrics).toMatch(/stage="rerank:calibrated"/);
  });
});

describe('a ranker with side features (features: all)', () => {
  it('the bundle carries the feature tables it was fitted with; the served ranking equals the in-process one', async () => {
    const t = await tinyBundle(
      'tiny-ranker-features',
      'ranker: { type: neumf, features: all, factors: 4, layers: [16, 8], train: { epochs: 1, batchSize: 256 }, hardNegatives: { epochs: 1, negatives: 4 } }',
      '{ type: random, ratio: 0.2, valid: true }',
    );
    const s = await createServer({ bundle: t.bundle, registry: builtinRegistry() });
    // the trial's fitted ranker, restored in this process from the trial's own files (not the bundle's)
    const rdir = join(t.trial, 'artifacts', 'ranker');
    const cfg = JSON.parse(readFileSync(join(rdir, 'ranker.json'), 'utf8')).config;
    const ranker = new NcfRanker(cfg, undefined, t.root);
    try {
      const b = await loadBundle(t.bundle);
      expect(b.pipeline.ranker).toMatchObject({ type: 'neumf', served: true });
      expect(Object.keys(b.manifest.files)).toContain('ranker/features.json');
      const feats = JSON.parse(readFileSync(join(t.bundle, 'ranker', 'features.json'), 'utf8'));
      expect(Object.keys(feats.item.multiHot)).toContain('genres');
      await ranker.load(rdir);
      const { users, items } = ranker.idMaps();
      const ask = async (payload: unknown) =>
        (await s.inject({ method: 'POST', url: '/v1/recommend', payload: payload as string })).json() as Json;
      let compared = 0;
      for (const row of [0, 3, 8, 21]) {
        const u = b.users.ids.external(row);
        if (users.get(u) === undefined) continue;
        const base = await ask({ user: u, k: 50, rank: false, rerank: false });
        const served = await ask({ user: u, k: 50, rerank: false });
        expect(served.items.every((x: Json) => x.stage === 'rank:neumf')).toBe(true);
        const n = base.items.length;
        const out = await ranker.rank({
          candidates: {
            itemIds: items,
            users: Int32Array.of(users.get(u)!),
            k: n,
            items: Int32Array.from(base.items, (x: Json) => items.get(x.id)!),
            scores: Float32Array.from(base.items, (x: Json) => x.score),
          },
          dataset: undefined as never,
          splits: undefined as never,
          ctx: undefined as never,
        });
        expect(served.items.map((x: Json) => x.id)).toEqual(Array.from(out.items, (i) => items.external(i)));
        expect(served.items.map((x: Json) => Math.fround(x.score))).toEqual(Array.from(out.scores));
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
    } finally {
      ranker.dispose();
      await s.close();
      rmSync(t.root, { recursive: true, force: true });
    }
  }, 300_000);
});
