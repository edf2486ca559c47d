import { IdMap, makeInteractions, Rng } from '@embrec/core';
import { createComponent, makeTestContext, makeTestCreateContext } from '@embrec/core/testing';
import { nativeAvailable } from '@embrec/native';
import { describe, expect, it } from 'vitest';
import { item2vecComponent } from '../src/item2vec/component.ts';
import type { Item2VecModel } from '../src/item2vec/model.ts';
import { item2vecSchema } from '../src/item2vec/schema.ts';
import { itemSequences, weightedSentences } from '../src/item2vec/sentences.ts';
import { halvesPurity } from './purity.ts';

const run = nativeAvailable() || !!process.env.CI; // in CI a missing addon fails, it does not skip
const ids = (n: number, p: string) => new IdMap(Array.from({ length: n }, (_, i) => `${p}${i}`));

describe('weightedSentences', () => {
  const userIds = ids(2, 'u');
  const itemIds = ids(4, 'i');
  const users = Int32Array.from([0, 0, 0, 1, 1]);
  const items = Int32Array.from([0, 1, 2, 3, 1]);

  it('draws each history ∝ weight^power, as long as the history, `draws` times', () => {
    const weights = Float32Array.from([0.6, 0.3, 0.1, 0, 2]);
    const seq = itemSequences(makeInteractions({ userIds, itemIds, users, items, weights }));
    const s = weightedSentences(seq, { draws: 4000, power: 1, rng: new Rng(1) });
    expect(s.indptr.length).toBe(2 * 4000 + 1);
    expect(s.indptr[4000]).toBe(3 * 4000); // user 0's draws come first, 3 items each
    const count = new Float64Array(4);
    for (let e = 0; e < s.indptr[4000]!; e++) count[s.items[e]!]!++;
    expect(count[0]! / 12000).toBeCloseTo(0.6, 1);
    expect(count[1]! / 12000).toBeCloseTo(0.3, 1);
    expect(count[2]! / 12000).toBeCloseTo(0.1, 1);
    // user 1: the weight-0 holding is never drawn
    expect(Array.from(s.items.subarray(s.indptr[4000]!)).every((i) => i === 1)).toBe(true);
    // power 0: the weights no longer matter, weight-0 rows still are not drawn
    const u = weightedSentences(seq, { draws: 4000, power: 0, rng: new Rng(1) });
    const flat = new Float64Array(4);
    for (let e = 0; e < u.indptr[4000]!; e++) flat[u.items[e]!]!++;
    for (const i of [0, 1, 2]) expect(flat[i]! / 12000).toBeCloseTo(1 / 3, 1);
    expect(Array.from(u.items.subarray(u.indptr[4000]!)).every((i) => i === 1)).toBe(true);
  });

  it('names the problem without weights and for negative weights', () => {
    const plain = itemSequences(makeInteractions({ userIds, itemIds, users, items }));
    expect(() => weightedSentences(plain, { draws: 1, power: 1, rng: new Rng(1) })).toThrow(
      /no weights column .*remove model\.weighting/,
    );
    const weights = Float32Array.from([0.6, -0.3, 0.1, 0, 2]);
    const signed = itemSequences(makeInteractions({ userIds, itemIds, users, items, weights }));
    expect(() => weightedSentences(signed, { draws: 1, power: 1, rng: new Rng(1) })).toThrow(
      /finite weights ≥ 0, found -0\.3.*weighting: none/,
    );
  });

  it('is off by default, and the schema bounds its options', () => {
    const p = item2vecSchema.parse({});
    expect([p.weighting, p.weightPower, p.draws]).toEqual(['none', 1, 1]);
    expect(item2vecSchema.safeParse({ weighting: 'weights' }).success).toBe(false);
    expect(item2vecSchema.safeParse({ weightPower: -1 }).success).toBe(false);
    expect(item2vecSchema.safeParse({ draws: 0 }).success).toBe(false);
  });
});

/**
 * A world where only the weights carry the structure: 16 securities in two groups of 8; each of
 * 300 portfolios holds 8 securities drawn at random from all 16, those of its favoured group
 * (alternating) at weight 0.22 and the others at 0.03. Unweighted, which securities are held
 * together is exchangeable, so no neighbour structure can be learned; sampled ∝ weight, pairs
 * inside the favoured group dominate and neighbours fall in the security's own group.
 */
function weightedWorld() {
  const rng = new Rng(11);
  const us: number[] = [];
  const is: number[] = [];
  const ws: number[] = [];
  for (let p = 0; p < 300; p++) {
    for (const i of rng.shuffle(Array.from({ length: 16 }, (_, i) => i)).slice(0, 8)) {
      us.push(p);
      is.push(i);
      ws.push(Number(i >= 8) === p % 2 ? 0.22 : 0.03);
    }
  }
  return makeInteractions({
    userIds: ids(300, 'p'),
    itemIds: ids(16, 's'),
    users: Int32Array.from(us),
    items: Int32Array.from(is),
    weights: Float32Array.from(ws),
  });
}

/** Share of each security's 3 nearest securities (cosine of the input vectors) in its group (0–7, 8–15). */
function groupPurity(model: Item2VecModel): number {
  return halvesPurity(model.itemEmbeddings(), 16, 3);
}

describe.skipIf(!run)('item2vec weighting: sample', () => {
  async function purity(params: Record<string, unknown>) {
    const train = weightedWorld();
    const model = (await createComponent(
      item2vecComponent,
      { dim: 8, window: 0, shuffle: true, sample: 0, epochs: 15, lr: 0.025, ...params },
      {},
      makeTestCreateContext({ seed: 5 }),
    )) as unknown as Item2VecModel;
    const ctx = makeTestContext({ seed: 5 });
    await model.fit({
      dataset: { name: 'weighted', interactions: train },
      splits: { train, test: train },
      ctx,
    });
    return groupPurity(model);
  }

  it('learns the groups that only the weights show; unweighted and uniform resampling do not', async () => {
    const weighted = await purity({ weighting: 'sample', draws: 3 });
    const plain = await purity({});
    const uniform = await purity({ weighting: 'sample', draws: 3, weightPower: 0 });
    // chance: 7 of the 15 other securities share the group, 0.47
    expect(weighted).toBeGreaterThan(0.9);
    expect(plain).toBeLessThan(0.7);
    expect(uniform).toBeLessThan(0.7);
  });
});
