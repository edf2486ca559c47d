import {
  type FitInput,
  IdMap,
  type Interactions,
  type MetricSet,
  makeInteractions,
  Rng,
  UsageError,
} from '@embrec/core';
import { makeTestContext } from '@embrec/core/testing';
import { nativeAvailable } from '@embrec/native';
import { describe, expect, it } from 'vitest';
import { Ease, easeWeightsJs, gramJs } from '../../src/baselines/ease.ts';
import { ItemKnn } from '../../src/baselines/itemknn.ts';
import { binaryUserItem } from '../../src/baselines/matrix.ts';
import { MostPop } from '../../src/baselines/mostpop.ts';

function randomTrain(seed: number, nUsers: number, nItems: number, density: number): Interactions {
  const rng = new Rng(seed);
  const users: number[] = [];
  const items: number[] = [];
  for (let u = 0; u < nUsers; u++)
    for (let i = 0; i < nItems; i++)
      // popularity falls with the item index so that counts differ
      if (rng.next() < density * (1.5 - i / nItems)) {
        users.push(u);
        items.push(i);
      }
  return makeInteractions({
    userIds: IdMap.range(nUsers),
    itemIds: IdMap.range(nItems),
    users: Int32Array.from(users),
    items: Int32Array.from(items),
  });
}

function fitInput(train: Interactions, validate?: () => Promise<MetricSet>): FitInput {
  const base = {
    dataset: { name: 't', interactions: train },
    splits: { train, test: train },
    ctx: makeTestContext(),
  };
  return validate ? { ...base, validate } : base;
}

function scoresOf(scorer: ReturnType<MostPop['scorer']>, users: number[]): Float32Array {
  if (scorer.kind !== 'scores') throw new Error('expected a scores scorer');
  return scorer.scoreUsers(Int32Array.from(users));
}

describe('MostPop', () => {
  it('scores every item by its training count, the same for every user', async () => {
    const train = randomTrain(1, 30, 12, 0.3);
    const m = new MostPop();
    await m.fit(fitInput(train));
    const s = scoresOf(m.scorer(), [0, 5]);
    const counts = new Array<number>(12).fill(0);
    for (const i of train.items) counts[i]!++;
    expect([...s.subarray(0, 12)]).toEqual(counts);
    expect([...s.subarray(12)]).toEqual(counts);
  });
});

describe('ItemKNN', () => {
  const train = randomTrain(2, 80, 25, 0.25);
  const x = binaryUserItem(train);
  const co = gramJs(x);
  const n = 25;
  const cnt = (i: number) => co[i * n + i]!;

  for (const [shrink, prune] of [
    [0, 'columns'],
    [10, 'columns'],
    [3, 'rows'],
  ] as const) {
    it(`keeps the top-k cosine neighbours (shrinkage ${shrink}) and scores by summing them (${prune})`, async () => {
      const k = 5;
      const m = new ItemKnn({ k, shrink, blockSize: 7, prune });
      await m.fit(fitInput(train));
      const sim = (i: number, j: number) => co[i * n + j]! / (Math.sqrt(cnt(i) * cnt(j)) + shrink);
      for (let i = 0; i < n; i++) {
        const want = [...Array(n).keys()]
          .filter((j) => j !== i && co[i * n + j]! > 0)
          .sort((a, b) => sim(i, b) - sim(i, a) || a - b)
          .slice(0, k);
        const got = m.neighbours(i);
        // equal similarities may be ordered either way: compare the similarity values
        expect(got.sims.length).toBe(want.length);
        want.forEach((j, q) => {
          expect(got.sims[q]).toBeCloseTo(sim(i, j), 5);
        });
      }
      const s = scoresOf(m.scorer(), [3]);
      const expected = new Float64Array(n);
      const mine = new Set(x.indices.subarray(x.indptr[3]!, x.indptr[4]!));
      for (let i = 0; i < n; i++) {
        const nb = m.neighbours(i);
        nb.items.forEach((j, q) => {
          // rows: i is the user's item and j its neighbour; columns: j is the user's item among i's neighbours
          if (prune === 'rows' && mine.has(i)) expected[j]! += nb.sims[q]!;
          if (prune === 'columns' && mine.has(j)) expected[i]! += nb.sims[q]!;
        });
      }
      for (let j = 0; j < n; j++) expect(s[j]).toBeCloseTo(expected[j]!, 5);
    });
  }
});

describe('EASE', () => {
  const train = randomTrain(3, 120, 40, 0.2);
  const n = 40;

  it('satisfies the closed form: zero diagonal and (G + λI)B − G diagonal', () => {
    const g = gramJs(binaryUserItem(train));
    const lambda = 7;
    const b = easeWeightsJs(g, n, lambda);
    for (let i = 0; i < n; i++) expect(b[i * n + i]).toBe(0);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        let v = lambda * b[i * n + j]! - g[i * n + j]!;
        for (let t = 0; t < n; t++) v += g[i * n + t]! * b[t * n + j]!;
        expect(Math.abs(v)).toBeLessThan(1e-3);
      }
  });

  it.skipIf(!nativeAvailable())('native fit (gramCsr + LAPACK) equals the float64 JS reference', async () => {
    const m = new Ease({ lambda: 7, selectBy: 'NDCG@20', maxMemoryBytes: 1e9 });
    await m.fit(fitInput(train));
    const ref = easeWeightsJs(gramJs(binaryUserItem(train)), n, 7);
    const x = binaryUserItem(train);
    const s = scoresOf(m.scorer(), [0, 1, 2]);
    for (let r = 0; r < 3; r++)
      for (let j = 0; j < n; j++) {
        let want = 0;
        for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) want += ref[x.indices[p]! * n + j]!;
        expect(s[r * n + j]).toBeCloseTo(want, 4);
      }
  });

  it('refuses with the memory it would need when items² × 4 bytes exceed maxMemoryBytes', async () => {
    const m = new Ease({ lambda: 7, selectBy: 'NDCG@20', maxMemoryBytes: 1000 });
    const err = await m.fit(fitInput(train)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(
      /40 items need items² × 4 bytes = 6\.4 kB .*maxMemoryBytes = 1\.0 kB/,
    );
  });

  it('chooses λ on validation data from a grid, and refuses a grid without validation data', async () => {
    const seen: number[] = [];
    let model: Ease | undefined;
    // a fake validation: NDCG@20 peaks at λ = 50
    const validate = async (): Promise<MetricSet> => {
      const l = model!.lambda!;
      seen.push(l);
      return {
        protocol: 'full',
        values: { 'NDCG@20': -Math.abs(Math.log(l / 50)) },
        users: new Int32Array(0),
        perUser: {},
      };
    };
    model = new Ease({ lambda: [5, 50, 500], selectBy: 'NDCG@20', maxMemoryBytes: 1e9 });
    await model.fit(fitInput(train, validate));
    expect(seen).toEqual([5, 50, 500]);
    expect(model.lambda).toBe(50);
    const noValid = new Ease({ lambda: [5, 50], selectBy: 'NDCG@20', maxMemoryBytes: 1e9 });
    await expect(noValid.fit(fitInput(train))).rejects.toThrow(
      /chosen on validation data, but the split has none/,
    );
  });
});
