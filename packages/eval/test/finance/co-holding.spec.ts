import { IdMap, makeInteractions } from '@embrec/core';
import { createComponent, makeTestContext, makeTestCreateContext } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { holdingsMatrix } from '../../src/finance/measures.ts';
import { coHoldingModel } from '../../src/finance/models.ts';

const ids = (n: number, p: string) => new IdMap(Array.from({ length: n }, (_, i) => `${p}${i}`));

// 3 portfolios × 3 securities: p0 holds s0 (0.7), s1 (0.3); p1 holds s0 (0.2), s2 (0.8); p2 holds s1 (1)
const train = makeInteractions({
  userIds: ids(3, 'p'),
  itemIds: ids(3, 's'),
  users: Int32Array.of(0, 0, 1, 1, 2),
  items: Int32Array.of(0, 1, 0, 2, 1),
  weights: Float32Array.of(0.7, 0.3, 0.2, 0.8, 1),
});

async function fit(params: Record<string, unknown>, x = train) {
  const m = await createComponent(coHoldingModel, params, {}, makeTestCreateContext({ seed: 1 }));
  await m.fit({
    dataset: { name: 'h', interactions: x },
    splits: { train: x, test: x },
    ctx: makeTestContext(),
  });
  const s = m.scorer();
  if (s.kind !== 'embeddings') throw new Error('expected embeddings');
  return s;
}

describe('co-holding model', () => {
  it("binary: a security is the finance baseline's column of the holdings matrix", async () => {
    const s = await fit({});
    expect(s.items.dim).toBe(3);
    expect(Array.from(s.items.vectors)).toEqual(Array.from(holdingsMatrix(train, 'items').vectors));
    // user p0 = row 0 of X Xᵀ: co-holds 2 with itself, 1 (s0) with p1, 1 (s1) with p2
    expect(Array.from(s.users.vectors.subarray(0, 3))).toEqual([2, 1, 1]);
  });

  it("weights: the columns carry the holdings' weights, users the weighted co-holdings", async () => {
    const s = await fit({ values: 'weights' });
    const v = Array.from(s.items.vectors);
    [0.7, 0.2, 0, 0.3, 0, 1, 0, 0.8, 0].forEach((x, k) => {
      expect(v[k]).toBeCloseTo(x, 6);
    });
    const u = Array.from(s.users.vectors.subarray(0, 3));
    [0.7 * 0.7 + 0.3 * 0.3, 0.7 * 0.2, 0.3 * 1].forEach((x, k) => {
      expect(u[k]).toBeCloseTo(x, 6);
    });
  });

  it('names the problem when weights are asked of unweighted data', async () => {
    const plain = makeInteractions({
      userIds: train.userIds,
      itemIds: train.itemIds,
      users: train.users,
      items: train.items,
    });
    await expect(fit({ values: 'weights' }, plain)).rejects.toThrow(/needs a weights column.*values: binary/);
  });
});
