import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import type { CreateContext, LossComponent, ModelComponent, SamplerComponent } from '@embrec/core';
import {
  ConfigError,
  coreVersion,
  DataError,
  IdMap,
  loadExperiment,
  makeInteractions,
  Registry,
} from '@embrec/core';
import {
  createComponent,
  describeModel,
  makeTestContext,
  makeTestCreateContext,
  tinyClusteredDataset,
} from '@embrec/core/testing';
import dataPlugin from '@embrec/data';
import evalPlugin from '@embrec/eval';
import lossesPlugin, {
  bprComponent,
  cclComponent,
  inBatchSampler,
  infonceComponent,
  sampledSoftmaxComponent,
  uniformSampler,
} from '@embrec/losses';
import { csrNormalize, ensureGradients } from '@embrec/native';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAdjacency } from '../src/graph/lightgcn/adjacency.ts';
import { lightGcnComponent, lightGcnPlusPlusComponent } from '../src/graph/lightgcn/component.ts';
import type { LightGcnModel } from '../src/graph/lightgcn/model.ts';
import { propagate, propagateRows } from '../src/graph/lightgcn/propagate.ts';
import modelsPlugin from '../src/index.ts';

beforeAll(async () => {
  await tf.ready();
  await ensureGradients(); // tf.grad below: importing embrec no longer registers gradients
});

type Part<T> = (ctx: CreateContext) => Promise<T>;
const train = { epochs: 6, batchSize: 32, lr: 0.05, checkpoint: false };

function maker(
  component: typeof lightGcnComponent | typeof lightGcnPlusPlusComponent,
  params: Record<string, unknown>,
  loss: Part<LossComponent>,
  sampler?: Part<SamplerComponent>,
) {
  return async (ctx: CreateContext): Promise<ModelComponent> => {
    const deps = { loss: await loss(ctx), sampler: sampler ? await sampler(ctx) : undefined };
    return component === lightGcnComponent
      ? createComponent(lightGcnComponent, params, deps, ctx)
      : createComponent(lightGcnPlusPlusComponent, params, deps, ctx);
  };
}
const bpr = (ctx: CreateContext) => createComponent(bprComponent, {}, {}, ctx);
const uniform = (ctx: CreateContext) => createComponent(uniformSampler, { num: 1 }, {}, ctx);

describeModel('lightgcn + bpr (uniform)', {
  make: maker(lightGcnComponent, { dim: 8, layers: 2, train }, bpr, uniform),
});
describeModel('lightgcn++ + bpr (uniform)', {
  make: maker(lightGcnPlusPlusComponent, { dim: 8, layers: 2, train }, bpr, uniform),
});
describeModel('lightgcn + infonce (in-batch)', {
  make: maker(
    lightGcnComponent,
    { dim: 8, layers: 1, train },
    (ctx) => createComponent(infonceComponent, { temperature: 0.2 }, {}, ctx),
    (ctx) => createComponent(inBatchSampler, {}, {}, ctx),
  ),
});

async function fitLightGcn(
  params: Record<string, unknown>,
  data = tinyClusteredDataset(),
  loss: Part<LossComponent> = bpr,
  sampler: Part<SamplerComponent> | undefined = uniform,
  plusPlus = false,
): Promise<LightGcnModel> {
  const ctx = makeTestContext({ seed: 3 });
  const cctx = { ...makeTestCreateContext({ seed: 3 }), ...ctx } as CreateContext;
  const m = (await maker(
    plusPlus ? lightGcnPlusPlusComponent : lightGcnComponent,
    params,
    loss,
    sampler,
  )(cctx)) as LightGcnModel;
  await m.fit({ dataset: data.dataset, splits: data.splits, ctx });
  return m;
}

describe('lightgcn with the other registered losses', () => {
  for (const [name, loss, sampler] of [
    ['sampled-softmax', (c: CreateContext) => createComponent(sampledSoftmaxComponent, {}, {}, c), uniform],
    [
      'ccl',
      (c: CreateContext) => createComponent(cclComponent, {}, {}, c),
      (c: CreateContext) => createComponent(uniformSampler, { num: 4 }, {}, c),
    ],
  ] as const) {
    it(`trains with ${name}: finite tables, loss decreases`, async () => {
      const ctx = makeTestContext({ seed: 1 });
      const cctx = { ...makeTestCreateContext({ seed: 1 }), ...ctx } as CreateContext;
      const fx = tinyClusteredDataset();
      const m = (await maker(lightGcnComponent, { dim: 8, train }, loss, sampler)(cctx)) as LightGcnModel;
      try {
        await m.fit({ dataset: fx.dataset, splits: fx.splits, ctx });
        const losses = ctx.logged.map((l) => l.values.loss!);
        expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
        const s = m.scorer();
        if (s.kind !== 'embeddings') throw new Error('expected embeddings');
        for (const x of s.users.vectors) expect(Number.isFinite(x)).toBe(true);
      } finally {
        m.dispose();
      }
    });
  }
});

/** A graph with users u0..u2 and items i0..i3: u0–{i0, i1}, u1–{i1, i2}; u2 and i3 have no edges. */
function tinyGraph() {
  const userIds = new IdMap(['u0', 'u1', 'u2']);
  const itemIds = new IdMap(['i0', 'i1', 'i2', 'i3']);
  // (u0, i1) twice: the adjacency is binary
  const train = makeInteractions({
    userIds,
    itemIds,
    users: Int32Array.from([0, 0, 1, 1, 0]),
    items: Int32Array.from([0, 1, 1, 2, 1]),
  });
  return { userIds, itemIds, train };
}

describe('lightgcn propagation', () => {
  it('matches hand-computed embeddings on a tiny graph (K = 1, 2)', () => {
    const adj = buildAdjacency(tinyGraph().train, 0.5, 0.5);
    // nodes: u0 u1 u2 | i0 i1 i2 i3 (users first); degrees u0 2, u1 2, u2 0, i0 1, i1 2, i2 1, i3 0
    expect(Array.from(adj.degree)).toEqual([2, 2, 0, 1, 2, 1, 0]);
    const e0 = [1, 2, 7, 3, 4, 5, 6]; // one-dimensional ego embeddings
    const r2 = Math.SQRT1_2; // 1/√(2·1)
    // layer 1 by hand: Â_ui = 1/√(d_u d_i)
    const e1 = [
      r2 * 3 + 0.5 * 4, // u0 ← i0, i1
      0.5 * 4 + r2 * 5, // u1 ← i1, i2
      0, // u2: no edges
      r2 * 1, // i0 ← u0
      0.5 * 1 + 0.5 * 2, // i1 ← u0, u1
      r2 * 2, // i2 ← u1
      0, // i3: no edges
    ];
    const e2 = [
      r2 * e1[3]! + 0.5 * e1[4]!,
      0.5 * e1[4]! + r2 * e1[5]!,
      0,
      r2 * e1[0]!,
      0.5 * e1[0]! + 0.5 * e1[1]!,
      r2 * e1[1]!,
      0,
    ];
    for (const k of [1, 2]) {
      const w = Array.from({ length: k + 1 }, () => 1 / (k + 1));
      const got = tf.tidy(() => {
        const p = propagate(adj, tf.tensor2d(e0, [7, 1]), { layers: k, weights: w, normalize: false });
        return Array.from(p.final.dataSync());
      });
      const want = e0.map((x, v) => (k === 1 ? (x + e1[v]!) / 2 : (x + e1[v]! + e2[v]!) / 3));
      for (const [v, g] of got.entries()) expect(g).toBeCloseTo(want[v]!, 5);
    }
  });

  it('α = β = ½ gives the values of csrNormalize(A, "sym"); α, β follow D^-α A D^-β', () => {
    const { train } = tinyGraph();
    const sym = buildAdjacency(train, 0.5, 0.5).matrix;
    const ones = { ...sym, values: new Float32Array(sym.values.length).fill(1) };
    expect(Array.from(sym.values)).toEqual(Array.from(csrNormalize(ones, 'sym')));
    const pp = buildAdjacency(train, 0.6, -0.1);
    // entry (u0 → i0): d_u0^-0.6 · d_i0^0.1 = 2^-0.6 · 1
    expect(pp.matrix.indices[0]).toBe(3);
    expect(pp.matrix.values[0]).toBeCloseTo(2 ** -0.6, 6);
    // entry (i1 → u1) is row 4's second entry: d_i1^-0.6 · d_u1^0.1 = 2^-0.5
    expect(pp.matrix.indices[pp.matrix.indptr[4]! + 1]).toBe(1);
    expect(pp.matrix.values[pp.matrix.indptr[4]! + 1]).toBeCloseTo(2 ** -0.6 * 2 ** 0.1, 6);
  });

  for (const normalize of [false, true]) {
    it(`has the finite-difference gradient (normalize ${normalize})`, () => {
      const { train } = tinyGraph();
      const adj = buildAdjacency(train, normalize ? 0.6 : 0.5, normalize ? -0.1 : 0.5);
      const n = 7;
      const d = 3;
      const e0 = Float64Array.from({ length: n * d }, (_, i) => Math.sin(i * 1.7) + 0.3);
      const coef = Float32Array.from({ length: n * d }, (_, i) => Math.cos(i * 0.9));
      const opts = { layers: 2, weights: [0.2, 0.5, 0.3], normalize };
      const f = (x: tf.Tensor) =>
        tf.sum(tf.mul(propagate(adj, x as tf.Tensor2D, opts).final, tf.tensor2d(coef, [n, d])));
      const value = (x: Float64Array) =>
        tf.tidy(() => f(tf.tensor2d(Float32Array.from(x), [n, d])).dataSync()[0]!);
      const grad = tf.tidy(() =>
        Array.from(
          tf
            .grad(f)(tf.tensor2d(Float32Array.from(e0), [n, d]))
            .dataSync(),
        ),
      );
      const eps = 1e-2;
      for (let j = 0; j < n * d; j++) {
        const plus = Float64Array.from(e0);
        const minus = Float64Array.from(e0);
        plus[j]! += eps;
        minus[j]! -= eps;
        const fd = (value(plus) - value(minus)) / (2 * eps);
        expect(Math.abs(grad[j]! - fd)).toBeLessThan(2e-3 + 1e-2 * Math.abs(fd));
      }
      // isolated nodes (u2 = row 2, i3 = row 6) get only their ego term's gradient, never NaN
      for (const x of grad) expect(Number.isNaN(x)).toBe(false);
      for (let j = 0; j < d; j++) expect(grad[2 * d + j]).toBeCloseTo(0.2 * coef[2 * d + j]!, 5);
    });
  }
});

describe('lightgcn batch-row propagation (the training step)', () => {
  for (const [layers, normalize] of [
    [1, false],
    [2, false],
    [3, true],
  ] as const) {
    it(`gives the rows and gradient of the full propagation (K ${layers}, normalize ${normalize})`, () => {
      const adj = buildAdjacency(tinyGraph().train, 0.6, -0.1);
      const n = 7;
      const d = 3;
      const nodes = Int32Array.from([0, 2, 4, 5]);
      const e0 = tf.tensor2d(
        Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 1.3)),
        [n, d],
      );
      const coef = tf.tensor2d(
        Float32Array.from({ length: nodes.length * d }, (_, i) => Math.cos(i)),
        [4, d],
      );
      const opts = {
        layers,
        weights: Array.from({ length: layers + 1 }, (_, k) => 0.1 + k * 0.2),
        normalize,
      };
      const full = (x: tf.Tensor) =>
        tf.sum(tf.mul(tf.gather(propagate(adj, x as tf.Tensor2D, opts).final, Array.from(nodes)), coef));
      const rows = (x: tf.Tensor) => tf.sum(tf.mul(propagateRows(adj, x as tf.Tensor2D, nodes, opts), coef));
      const [vf, vr] = [full(e0).dataSync()[0]!, rows(e0).dataSync()[0]!];
      expect(vr).toBeCloseTo(vf, 5);
      const gf = tf.grad(full)(e0).dataSync();
      const gr = tf.grad(rows)(e0).dataSync();
      for (let j = 0; j < n * d; j++) expect(gr[j]!).toBeCloseTo(gf[j]!, 5);
      tf.dispose(e0);
      tf.dispose(coef);
    });
  }
});

describe('lightgcn: users and items without training edges', () => {
  /** The clustered fixture plus two users and two items that never occur in train. */
  function withColdNodes() {
    const fx = tinyClusteredDataset();
    const tr = fx.splits.train;
    const userIds = new IdMap([...tr.userIds.toArray(), 'cold-u1', 'cold-u2']);
    const itemIds = new IdMap([...tr.itemIds.toArray(), 'cold-i1', 'cold-i2']);
    const train = makeInteractions({ userIds, itemIds, users: tr.users, items: tr.items });
    const test = makeInteractions({
      userIds,
      itemIds,
      users: fx.splits.test.users,
      items: fx.splits.test.items,
    });
    return { ...fx, splits: { train, test }, nu: tr.userIds.size, ni: tr.itemIds.size };
  }

  for (const plusPlus of [false, true]) {
    it(`keep their ego term and stay finite (${plusPlus ? 'lightgcn++' : 'lightgcn'})`, async () => {
      const fx = withColdNodes();
      const m = await fitLightGcn({ dim: 8, train }, fx, bpr, uniform, plusPlus);
      try {
        const s = m.scorer();
        if (s.kind !== 'embeddings') throw new Error('expected embeddings');
        for (const x of [...s.users.vectors, ...s.items.vectors]) expect(Number.isFinite(x)).toBe(true);
        // a cold row is w₀·e⁽⁰⁾: non-zero (the ego term), as the weights say
        const w0 = m.weights[0]!;
        expect(w0).toBeCloseTo(plusPlus ? 0.2 : 1 / 3, 6);
        const row = Array.from(s.users.vectors.subarray(fx.nu * 8, (fx.nu + 1) * 8));
        expect(row.some((x) => x !== 0)).toBe(true);
      } finally {
        m.dispose();
      }
    });
  }

  it('with γ = 0 (LightGCN++ on ML-1M) a cold row is zero, never NaN', async () => {
    const fx = withColdNodes();
    const m = await fitLightGcn({ dim: 8, alpha: 0.5, beta: 0, gamma: 0, train }, fx, bpr, uniform, true);
    try {
      const s = m.scorer();
      if (s.kind !== 'embeddings') throw new Error('expected embeddings');
      expect(Array.from(s.items.vectors.subarray(fx.ni * 8))).toEqual(new Array(16).fill(0));
      for (const x of s.users.vectors) expect(Number.isFinite(x)).toBe(true);
    } finally {
      m.dispose();
    }
  });
});

describe('lightgcn fold-in', () => {
  it('reproduces a training user from their training items (γ = 0) and skips unknown items', async () => {
    const fx = tinyClusteredDataset();
    const m = await fitLightGcn({ dim: 8, layers: 2, gamma: 0, alpha: 0.5, beta: 0.5, train }, fx);
    try {
      const s = m.scorer();
      if (s.kind !== 'embeddings') throw new Error('expected embeddings');
      const tr = fx.splits.train;
      for (const u of [0, 5, 17]) {
        const items = Array.from(
          tr.items.filter((_, e) => tr.users[e] === u),
          (i) => tr.itemIds.toArray()[i]!,
        );
        const v = m.foldIn([...items, 'not-an-item']);
        const want = s.users.vectors.subarray(u * 8, (u + 1) * 8);
        for (const [j, x] of v.entries()) expect(x).toBeCloseTo(want[j]!, 5);
      }
      expect(Array.from(m.foldIn([]))).toEqual(new Array(8).fill(0));
    } finally {
      m.dispose();
    }
  });

  it('survives save/load', async () => {
    const m = await fitLightGcn({ dim: 8, train });
    const dir = join(mkdtempSync(join(tmpdir(), 'embrec-lgn-')), 'saved');
    try {
      await m.save(dir);
      const fresh = (await createComponent(
        lightGcnComponent,
        { dim: 8, train },
        { loss: await bpr(makeTestCreateContext()), sampler: undefined },
        makeTestCreateContext(),
      )) as LightGcnModel;
      await fresh.load(dir);
      expect(Array.from(fresh.foldIn(['i1', 'i5']))).toEqual(Array.from(m.foldIn(['i1', 'i5'])));
      fresh.dispose();
    } finally {
      m.dispose();
    }
  });
});

describe('lightgcn: bad settings', () => {
  function registry(): Registry {
    const r = new Registry(coreVersion);
    for (const p of [dataPlugin, evalPlugin, modelsPlugin, lossesPlugin]) r.add(p);
    return r;
  }
  async function issues(model: string): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'embrec-lgn-cfg-'));
    const file = join(dir, 'exp.yaml');
    writeFileSync(
      file,
      [
        'name: bad',
        'dataset: { type: lightgcn, name: x, path: ./data }',
        'split: { type: given }',
        `model: ${model}`,
        'evaluate: { type: full, ks: [20], metrics: [recall] }',
        '',
      ].join('\n'),
    );
    try {
      await loadExperiment(file, { registry: registry(), env: {} });
    } catch (e) {
      if (e instanceof ConfigError) return e.format();
      throw e;
    }
    throw new Error(`model ${model} was accepted`);
  }

  it('layers < 0 is a config error at model.layers', async () => {
    const msg = await issues('{ type: lightgcn, layers: -1 }');
    expect(msg).toMatch(/model\.layers/);
    expect(msg).toMatch(/>=\s*0|at least 0|too small/i);
  });

  it('α outside [0, 1] is a config error at model.alpha', async () => {
    const msg = await issues('{ type: lightgcn++, alpha: 1.5 }');
    expect(msg).toMatch(/model\.alpha/);
    expect(msg).toMatch(/<=\s*1|at most 1|too big/i);
  });

  it('layerWeights of the wrong length, or with gamma, are config errors', async () => {
    expect(await issues('{ type: lightgcn, layers: 2, layerWeights: [1, 1] }')).toMatch(
      /needs 3 values \(layers 0\.\.2\) but has 2[\s\S]*model\.layerWeights/,
    );
    expect(await issues('{ type: lightgcn, gamma: 0.2, layerWeights: [1, 1, 1] }')).toMatch(/not both/);
    // lightgcn++ is defined by γ: layer weights are lightgcn's
    expect(await issues('{ type: lightgcn++, layerWeights: [1, 1, 1] }')).toMatch(/layerWeights[\s\S]*model/);
  });

  it('an empty training split, or an index out of range, is a data error', async () => {
    const { userIds, itemIds } = tinyGraph();
    const empty = makeInteractions({ userIds, itemIds, users: new Int32Array(0), items: new Int32Array(0) });
    expect(() => buildAdjacency(empty, 0.5, 0.5)).toThrow(DataError);
    expect(() => buildAdjacency(empty, 0.5, 0.5)).toThrow(/training split has no interactions/);
    const fx = tinyClusteredDataset();
    const m = (await maker(
      lightGcnComponent,
      { dim: 4, train },
      bpr,
      uniform,
    )(makeTestCreateContext())) as LightGcnModel;
    await expect(
      m.fit({ dataset: fx.dataset, splits: { train: empty, test: empty }, ctx: makeTestContext() }),
    ).rejects.toThrow(/has no interactions/);
    const bad = { ...tinyGraph().train, items: Int32Array.from([0, 1, 1, 9, 1]) };
    expect(() => buildAdjacency(bad, 0.5, 0.5)).toThrow(/row 3 has user index 1 and item index 9; expected/);
    m.dispose();
  });
});

describe('foldIn of the embedding models (MF, two-tower)', () => {
  it('pools the item vectors of the list', async () => {
    const { mfComponent } = await import('../src/mf/component.ts');
    const ctx = makeTestContext({ seed: 2 });
    const cctx = { ...makeTestCreateContext({ seed: 2 }), ...ctx } as CreateContext;
    const fx = tinyClusteredDataset();
    const m = await createComponent(
      mfComponent,
      { dim: 4, train: { ...train, epochs: 1 } },
      {
        loss: await bpr(cctx),
        sampler: await uniform(cctx),
      },
      cctx,
    );
    try {
      await m.fit({ dataset: fx.dataset, splits: fx.splits, ctx });
      const s = m.scorer();
      if (s.kind !== 'embeddings' || !m.foldIn) throw new Error('expected embeddings and foldIn');
      const v = m.foldIn(['i2', 'i7', 'nope']);
      const it = s.items.vectors;
      for (let j = 0; j < 4; j++) expect(v[j]).toBeCloseTo((it[2 * 4 + j]! + it[7 * 4 + j]!) / 2, 6);
    } finally {
      m.dispose?.();
    }
  });
});
