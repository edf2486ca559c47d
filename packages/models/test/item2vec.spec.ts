import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdMap, makeInteractions } from '@embrec/core';
import { createComponent, describeModel, makeTestContext, makeTestCreateContext } from '@embrec/core/testing';
import { nativeAvailable } from '@embrec/native';
import { describe, expect, it } from 'vitest';
import { item2vecComponent } from '../src/item2vec/component.ts';
import { knnContributions, scoreHistory } from '../src/item2vec/knn.ts';
import type { Item2VecModel } from '../src/item2vec/model.ts';
import { itemSequences } from '../src/item2vec/sentences.ts';
import { halvesPurity } from './purity.ts';

const small = { dim: 16, window: 3, epochs: 20, sample: 0, lr: 0.05 };
const run = nativeAvailable() || !!process.env.CI; // in CI a missing addon fails, it does not skip

if (run) {
  describeModel('item2vec (mean pooling, output vectors)', {
    make: (ctx) => createComponent(item2vecComponent, small, {}, ctx),
  });
  describeModel('item2vec (cosine over input vectors)', {
    make: (ctx) =>
      createComponent(item2vecComponent, { ...small, itemVectors: 'input', normalize: true }, {}, ctx),
  });
  describeModel('item2vec (knn scoring on input-output similarities)', {
    make: (ctx) =>
      createComponent(item2vecComponent, { ...small, power: 0, scoring: 'knn', neighbours: 8 }, {}, ctx),
  });
  describeModel('item2vec (knn scoring on cosine similarities, sharpened)', {
    make: (ctx) =>
      createComponent(
        item2vecComponent,
        { ...small, scoring: 'knn', similarity: 'cosine', similarityPower: 2 },
        {},
        ctx,
      ),
  });
  describeModel('item2vec (recency pooling, output vectors, whole-sentence context)', {
    make: (ctx) =>
      createComponent(
        item2vecComponent,
        { ...small, window: 0, pooling: 'recency', halfLife: 3, power: 0 },
        {},
        ctx,
      ),
  });
}

const ids = (n: number, p: string) => new IdMap(Array.from({ length: n }, (_, i) => `${p}${i}`));

describe('itemSequences', () => {
  const userIds = ids(2, 'u');
  const itemIds = ids(6, 'i');
  const users = Int32Array.from([1, 0, 1, 0, 1, 0]);
  const items = Int32Array.from([0, 1, 2, 3, 4, 5]);

  it('orders each history by time (ties in file order) when there are timestamps', () => {
    const ts = Float64Array.from([300, 50, 100, 10, 100, 10]);
    const s = itemSequences(makeInteractions({ userIds, itemIds, users, items, timestamps: ts }));
    expect(s.timed).toBe(true);
    expect(Array.from(s.history.indptr)).toEqual([0, 3, 6]);
    expect(Array.from(s.history.items)).toEqual([3, 5, 1, 2, 4, 0]);
    expect(s.sentences).toBe(s.history);
  });

  it('keeps the file order without timestamps', () => {
    const s = itemSequences(makeInteractions({ userIds, itemIds, users, items }));
    expect(s.timed).toBe(false);
    expect(Array.from(s.history.items)).toEqual([1, 3, 5, 0, 2, 4]);
  });

  it('splits sessions where consecutive timestamps are more than sessionGap apart', () => {
    const ts = Float64Array.from([1000, 0, 100, 50, 150, 2000]);
    const s = itemSequences(makeInteractions({ userIds, itemIds, users, items, timestamps: ts }), {
      sessionGap: 60,
    });
    // user 0: 1@0, 3@50, 5@2000 -> [1, 3] [5]; user 1: 2@100, 4@150, 0@1000 -> [2, 4] [0]
    expect(Array.from(s.sentences.indptr)).toEqual([0, 2, 3, 5, 6]);
    expect(Array.from(s.sentences.items)).toEqual([1, 3, 5, 2, 4, 0]);
  });

  it('rejects sessionGap on data without timestamps, saying what to do', () => {
    expect(() =>
      itemSequences(makeInteractions({ userIds, itemIds, users, items }), { sessionGap: 60 }),
    ).toThrow(/sessionGap \(60 s\) needs timestamps, but the training interactions have none/);
  });
});

describe('item2vec schema', () => {
  it('rejects unknown and out-of-range options', () => {
    const shape = item2vecComponent.schema;
    expect(shape.safeParse({ windw: 3 }).success).toBe(false);
    expect(shape.safeParse({ pooling: 'max' }).success).toBe(false);
    expect(shape.safeParse({ dim: 0 }).success).toBe(false);
    expect(shape.safeParse({ sessionGap: -1 }).success).toBe(false);
    expect(shape.parse({})).toMatchObject({
      window: 5,
      negative: 5,
      power: 0.75,
      sample: 1e-3,
      threads: 1,
      itemVectors: 'output',
    });
  });
});

/** Two planted clusters of items: users of kind c only ever meet items of cluster c. */
function planted(nUsers = 200, half = 15) {
  const userIds = ids(nUsers, 'u');
  const itemIds = ids(2 * half + 1, 'i'); // the last item never occurs in training
  const us: number[] = [];
  const is: number[] = [];
  let s = 3;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (let u = 0; u < nUsers; u++) {
    const c = u % 2;
    for (let k = 0; k < 10; k++) {
      us.push(u);
      is.push(c * half + Math.floor(rand() * half));
    }
  }
  const train = makeInteractions({
    userIds,
    itemIds,
    users: Int32Array.from(us),
    items: Int32Array.from(is),
  });
  return { train, half };
}

describe.skipIf(!run)('item2vec model', () => {
  async function fit(params: Record<string, unknown>) {
    const { train, half } = planted();
    const model = (await createComponent(
      item2vecComponent,
      { ...small, ...params },
      {},
      makeTestCreateContext({ seed: 3 }),
    )) as unknown as Item2VecModel;
    const ctx = makeTestContext({ seed: 3 });
    await model.fit({
      dataset: { name: 'planted', interactions: train },
      splits: { train, test: train },
      ctx,
    });
    return { model, half, ctx };
  }

  it('item neighbours recover the planted clusters; unseen items score zero', async () => {
    const { model, half } = await fit({});
    const d = model.itemEmbeddings().dim;
    expect(halvesPurity(model.itemEmbeddings(), 2 * half, 5)).toBeGreaterThan(0.95);
    const s = model.scorer();
    if (s.kind !== 'embeddings') throw new Error('expected embeddings');
    expect(Array.from(s.items.vectors.subarray(2 * half * d))).toEqual(new Array(d).fill(0));
  });

  it('a new user folded in from a few items is closest to their cluster', async () => {
    const { model, half } = await fit({ pooling: 'recency', halfLife: 2 });
    const s = model.scorer();
    if (s.kind !== 'embeddings') throw new Error('expected embeddings');
    const u = model.foldIn(['i0', 'i1', 'i2', 'unknown']);
    const d = s.items.dim;
    const score = (i: number) => {
      let x = 0;
      for (let j = 0; j < d; j++) x += u[j]! * s.items.vectors[i * d + j]!;
      return x;
    };
    let inC = 0;
    let outC = 0;
    for (let i = 0; i < half; i++) {
      inC += score(i);
      outC += score(half + i);
    }
    expect(inC).toBeGreaterThan(outC);
    expect(Array.from(model.foldIn([]))).toEqual(new Array(d).fill(0));
  });

  it('logs the native per-epoch loss, which falls', async () => {
    const { ctx } = await fit({ epochs: 6 });
    const losses = ctx.logged.map((l) => l.values.loss!);
    expect(losses).toHaveLength(6);
    expect(losses[5]!).toBeLessThan(losses[0]!);
  });

  it('names the problem for minLr > lr and for a saved model of another dim', async () => {
    await expect(fit({ lr: 0.01, minLr: 0.02 })).rejects.toThrow(
      /model\.minLr \(0\.02\) must not exceed model\.lr/,
    );
    const { model } = await fit({});
    const dir = join(mkdtempSync(join(tmpdir(), 'embrec-i2v-')), 'm');
    await model.save(dir);
    const other = (await createComponent(
      item2vecComponent,
      { ...small, dim: 8 },
      {},
      makeTestCreateContext(),
    )) as unknown as Item2VecModel;
    await expect(other.load(dir)).rejects.toThrow(
      /expected a saved item2vec model .*dim 8\), found .* dim 16/,
    );
    expect(() => other.scorer()).toThrow(/scorer\(\) needs a trained model/);
  });

  it('select: fits every grid setting, keeps the one with the best validation metric, logs each', async () => {
    const { train } = planted();
    const model = (await createComponent(
      item2vecComponent,
      { ...small, epochs: 2, select: { by: 'NDCG@20', dim: [4, 8], power: [0.75, 0] } },
      {},
      makeTestCreateContext({ seed: 3 }),
    )) as unknown as Item2VecModel;
    const ctx = makeTestContext({ seed: 3 });
    const seen: string[] = [];
    const validate = async () => {
      const { dim, power } = model.params;
      seen.push(`${dim}/${power}`);
      return {
        protocol: 'full',
        values: { 'NDCG@20': dim === 8 && power === 0 ? 0.5 : 0.1 },
        users: new Int32Array(0),
        perUser: {},
      };
    };
    await model.fit({
      dataset: { name: 'planted', interactions: train },
      splits: { train, valid: train, test: train },
      ctx,
      validate,
    });
    expect(seen).toEqual(['4/0.75', '4/0', '8/0.75', '8/0']);
    expect(model.params).toMatchObject({ dim: 8, power: 0 });
    const s = model.scorer();
    if (s.kind !== 'embeddings') throw new Error('expected embeddings');
    expect(s.items.dim).toBe(8);
    expect(ctx.logged.map((l) => l.values['valid_NDCG@20'])).toEqual([0.1, 0.1, 0.1, 0.5, undefined]);
    // the last line holds the chosen setting's validation metrics (embrec report --select reads it)
    expect(ctx.logged.at(-1)).toEqual({ values: { 'NDCG@20': 0.5 }, step: 4 });
    // the saved model reloads with the chosen dim although the configured default is 16
    const dir = join(mkdtempSync(join(tmpdir(), 'embrec-i2v-')), 'm');
    await model.save(dir);
    const again = (await createComponent(
      item2vecComponent,
      { ...small, select: { dim: [4, 8] } },
      {},
      makeTestCreateContext(),
    )) as unknown as Item2VecModel;
    await again.load(dir);
    const s2 = again.scorer();
    if (s2.kind !== 'embeddings') throw new Error('expected embeddings');
    expect(Array.from(s2.items.vectors)).toEqual(Array.from(s.items.vectors));
  });

  it('select: needs validation data and a metric it reports', async () => {
    const { train } = planted();
    const make = async (select: Record<string, unknown>) =>
      (await createComponent(
        item2vecComponent,
        { ...small, epochs: 1, select },
        {},
        makeTestCreateContext(),
      )) as unknown as Item2VecModel;
    const input = { dataset: { name: 'planted', interactions: train }, splits: { train, test: train } };
    await expect((await make({ dim: [4, 8] })).fit({ ...input, ctx: makeTestContext() })).rejects.toThrow(
      /model\.select is a grid of 2 settings chosen on validation data, but the split has none/,
    );
    const validate = async () => ({
      protocol: 'full',
      values: { 'Recall@20': 0.1 },
      users: new Int32Array(0),
      perUser: {},
    });
    await expect(
      (await make({ dim: [4, 8], by: 'NDCG@10' })).fit({ ...input, ctx: makeTestContext(), validate }),
    ).rejects.toThrow(/model\.select\.by "NDCG@10" is not among the validation metrics: Recall@20/);
  });
});

describe.skipIf(!run)('item2vec knn scoring (knnContributions)', () => {
  // 4 items, dim 2; item 3 is untrained (zero input vector)
  const input = Float32Array.from([1, 0, 0, 1, 1, 1, 0, 0]);
  const output = Float32Array.from([0, 1, 1, 0, 2, 0, 5, 5]);
  /** The dense [history item, candidate] matrix of a contribution CSR. */
  const dense = (m: ReturnType<typeof knnContributions>) => {
    const out = Array.from({ length: m.rows }, () => new Array<number>(m.cols).fill(0));
    for (let i = 0; i < m.rows; i++)
      for (let q = m.indptr[i]!; q < m.indptr[i + 1]!; q++) out[i]![m.indices[q]!] = m.values![q]!;
    return out;
  };

  it('input-output: w(i, j) = exp(α (in_i·out_j − max)), top-k history items per candidate, no self or untrained item', () => {
    const m = dense(
      knnContributions(input, output, 2, { similarity: 'input-output', neighbours: 1, power: 2 }),
    );
    // in_i·out_j, rows i: i0 = (1,0): [0, 1, 2, 5]; i1 = (0,1): [1, 0, 0, 5]; i2 = (1,1): [1, 1, 2, 10]
    // k = 1 per candidate j, self excluded: j0 <- i1 or i2 (1, a tie); j1 <- i0 or i2 (1); j2 <- i0 (2);
    // j3 is untrained: no neighbours, and i3 is nobody's neighbour
    const max = 2; // the largest kept dot
    const w = (x: number) => Math.exp(2 * (x - max));
    const col = (j: number) => m.map((row) => row[j]!);
    expect(col(3)).toEqual([0, 0, 0, 0]);
    for (const j of [0, 1, 2]) {
      const c = col(j);
      expect(c.filter((x) => x > 0)).toHaveLength(1); // k = 1
      expect(c[j]).toBe(0); // never itself
      expect(c[3]).toBe(0); // never the untrained item
    }
    expect(col(0)[1]! + col(0)[2]!).toBeCloseTo(w(1), 6);
    expect(col(1)[0]! + col(1)[2]!).toBeCloseTo(w(1), 6);
    expect(col(2)[0]).toBeCloseTo(w(2), 6);
    expect(m[3]).toEqual([0, 0, 0, 0]);
  });

  it('cosine: w = cos^α of input vectors, non-positive cosines dropped, every neighbour kept with a large k', () => {
    const m = dense(knnContributions(input, output, 2, { similarity: 'cosine', neighbours: 10, power: 3 }));
    const c = Math.SQRT1_2 ** 3; // cos 45° cubed
    expect(m[0]![1]).toBe(0); // cos 90° = 0 is not a neighbour
    expect(m[0]![2]).toBeCloseTo(c, 6);
    expect(m[2]![0]).toBeCloseTo(c, 6);
    expect(m[2]![1]).toBeCloseTo(c, 6);
    expect(m[1]![2]).toBeCloseTo(c, 6);
    expect(m.flat().filter((x) => x > 0)).toHaveLength(4);
  });

  it('scoreHistory sums the contributions of the history items', () => {
    const k = knnContributions(input, output, 2, { similarity: 'cosine', neighbours: 10, power: 1 });
    const s = scoreHistory(k, [0, 1]);
    expect(s[2]).toBeCloseTo(2 * Math.SQRT1_2, 6);
    expect(s[0]).toBe(0); // item 1 is orthogonal to item 0
    expect(s[3]).toBe(0);
  });
});

describe.skipIf(!run)('item2vec knn scoring (model)', () => {
  async function fitKnn(params: Record<string, unknown>) {
    const { train, half } = planted();
    const model = (await createComponent(
      item2vecComponent,
      { ...small, power: 0, scoring: 'knn', neighbours: 10, ...params },
      {},
      makeTestCreateContext({ seed: 3 }),
    )) as unknown as Item2VecModel;
    await model.fit({
      dataset: { name: 'planted', interactions: train },
      splits: { train, test: train },
      ctx: makeTestContext({ seed: 3 }),
    });
    return { model, train, half };
  }

  it('scores a user from their cluster, matches scoreItems, survives save/load, and refuses foldIn', async () => {
    const { model, train, half } = await fitKnn({ similarityPower: 2 });
    const s = model.scorer();
    if (s.kind !== 'scores') throw new Error('expected a score model');
    const n = s.numItems;
    const scores = s.scoreUsers(Int32Array.from([0, 1]));
    for (const u of [0, 1]) {
      const row = scores.subarray(u * n, (u + 1) * n);
      const own = [...Array(half).keys()].map((i) => row[u * half + i]!);
      const other = [...Array(half).keys()].map((i) => row[(1 - u) * half + i]!);
      expect(Math.min(...own)).toBeGreaterThan(Math.max(...other));
      expect(row[2 * half]).toBe(0); // the item never seen in training
    }
    // user 0's training history, scored as a new user, gives the same scores
    const hist = [...train.users.keys()].filter((r) => train.users[r] === 0).map((r) => `i${train.items[r]}`);
    expect(Array.from(model.scoreItems(hist))).toEqual(Array.from(scores.subarray(0, n)));
    expect(() => model.foldIn(['i0'])).toThrow(/scoring is "knn" \(no user vectors\): use scoreItems\(\)/);
    const dir = join(mkdtempSync(join(tmpdir(), 'embrec-i2v-')), 'm');
    await model.save(dir);
    const again = (await createComponent(
      item2vecComponent,
      { ...small, power: 0, scoring: 'knn', neighbours: 10, similarityPower: 2 },
      {},
      makeTestCreateContext(),
    )) as unknown as Item2VecModel;
    await again.load(dir);
    const s2 = again.scorer();
    if (s2.kind !== 'scores') throw new Error('expected a score model');
    expect(Array.from(s2.scoreUsers(Int32Array.from([0, 1])))).toEqual(Array.from(scores));
  });

  it('neighbours truncates each candidate to its k most similar history items', async () => {
    const { model: one } = await fitKnn({ neighbours: 1 });
    const { model: all } = await fitKnn({ neighbours: 1000 });
    const nonzero = (m: Item2VecModel) => {
      const s = m.scorer();
      if (s.kind !== 'scores') throw new Error('expected a score model');
      // a user holding every item: each candidate's score counts its kept neighbours
      return Array.from(m.scoreItems(Int32Array.from({ length: s.numItems }, (_, i) => i)));
    };
    const a = nonzero(one);
    const b = nonzero(all);
    for (let j = 0; j < a.length - 1; j++) expect(a[j]!).toBeLessThan(b[j]!);
  });

  it('pooled scoreItems equals the dot product of foldIn with the item table', async () => {
    const { model } = await fitKnn({ scoring: 'pool' });
    const s = model.scorer();
    if (s.kind !== 'embeddings') throw new Error('expected embeddings');
    const u = model.foldIn(['i1', 'i4']);
    const got = model.scoreItems(['i1', 'i4']);
    const d = s.items.dim;
    for (let i = 0; i < s.items.ids.size; i++) {
      let x = 0;
      for (let j = 0; j < d; j++) x += u[j]! * s.items.vectors[i * d + j]!;
      expect(got[i]).toBeCloseTo(x, 5);
    }
  });

  it('select: scoring-only settings reuse the trained vectors, training settings retrain', async () => {
    const { train } = planted();
    const model = (await createComponent(
      item2vecComponent,
      {
        ...small,
        epochs: 2,
        scoring: 'knn',
        select: { by: 'NDCG@20', dim: [4, 8], neighbours: [2, 5], similarityPower: [1, 3] },
      },
      {},
      makeTestCreateContext({ seed: 3 }),
    )) as unknown as Item2VecModel;
    const vectors: Float32Array[] = [];
    const seen: string[] = [];
    const validate = async () => {
      const { dim, neighbours, similarityPower } = model.params;
      seen.push(`${dim}/${neighbours}/${similarityPower}`);
      vectors.push(model.itemEmbeddings().vectors);
      return {
        protocol: 'full',
        values: { 'NDCG@20': dim === 4 && neighbours === 5 && similarityPower === 1 ? 0.5 : 0.1 },
        users: new Int32Array(0),
        perUser: {},
      };
    };
    await model.fit({
      dataset: { name: 'planted', interactions: train },
      splits: { train, valid: train, test: train },
      ctx: makeTestContext({ seed: 3 }),
      validate,
    });
    expect(seen).toEqual(['4/2/1', '4/2/3', '4/5/1', '4/5/3', '8/2/1', '8/2/3', '8/5/1', '8/5/3']);
    for (let k = 1; k < 4; k++) expect(vectors[k]).toBe(vectors[0]);
    for (let k = 5; k < 8; k++) expect(vectors[k]).toBe(vectors[4]);
    expect(vectors[4]).not.toBe(vectors[0]);
    expect(model.params).toMatchObject({ dim: 4, neighbours: 5, similarityPower: 1 });
    expect(model.itemEmbeddings().vectors).toBe(vectors[2]);
  });
});
