import { Rng, userCsr } from '@embrec/core';
import { createComponent, fakeScoringView, tinyClusteredDataset } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { hardSampler, popularitySampler, uniformSampler } from '../src/index.ts';
import { ItemDistribution } from '../src/samplers/distribution.ts';

describe('samplers', () => {
  const fx = tinyClusteredDataset();
  const train = fx.splits.train;
  const batch = { users: train.users.slice(0, 16), items: train.items.slice(0, 16) };

  it('draws from a distribution with the frequencies it reports', () => {
    const d = new ItemDistribution(Float64Array.from([1, 2, 7]));
    const rng = new Rng(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[d.draw(rng)]!++;
    expect(counts[0]! / 20000).toBeCloseTo(0.1, 1);
    expect(counts[2]! / 20000).toBeCloseTo(0.7, 1);
    expect(Math.exp(d.logProb[1]!)).toBeCloseTo(0.2, 6);
  });

  it('popularity α = 0 is uniform, α = 1 follows counts', async () => {
    const flat = await createComponent(popularitySampler, { alpha: 0, num: 1 });
    flat.init(train);
    const out = flat.sample(batch, new Rng(1))!;
    expect(new Set(out.logQ).size).toBe(1);
    const pop = await createComponent(popularitySampler, { alpha: 1, num: 1 });
    pop.init(train);
    const o2 = pop.sample(batch, new Rng(1))!;
    expect(new Set(o2.logQ).size).toBeGreaterThan(1);
  });

  it('static hard negatives share the positive item category', async () => {
    const s = await createComponent(hardSampler, { strategy: 'static', feature: 'genre', num: 3 });
    s.init(train, fx.dataset);
    const out = s.sample(batch, new Rng(2))!;
    let same = 0;
    for (let i = 0; i < batch.items.length; i++)
      for (let j = 0; j < 3; j++) {
        const n = out.items[i * 3 + j]!;
        expect(n).not.toBe(batch.items[i]);
        if (fx.group(n) === fx.group(batch.items[i]!)) same++;
      }
    expect(same).toBe(batch.items.length * 3);
  });

  it('dynamic hard negatives are top-scored items the user never interacted with', async () => {
    const view = fakeScoringView(train);
    const s = await createComponent(hardSampler, { strategy: 'dynamic', pool: 3, num: 2 });
    s.init(train, fx.dataset);
    const out = s.sample(batch, new Rng(3), view)!;
    const top = view.topItems(batch.users, 3);
    for (let i = 0; i < batch.users.length; i++)
      for (let j = 0; j < 2; j++)
        expect(Array.from(top.subarray(i * 3, i * 3 + 3))).toContain(out.items[i * 2 + j]);
  });

  it('semi-hard negatives score below the positive', async () => {
    const view = fakeScoringView(train);
    const s = await createComponent(hardSampler, { strategy: 'semi-hard', pool: 20, num: 1 });
    s.init(train, fx.dataset);
    const out = s.sample(batch, new Rng(4), view)!;
    const pos = view.scorePairs(batch.users, batch.items);
    const neg = view.scorePairs(batch.users, out.items);
    const top = view.topItems(batch.users, 20);
    for (let i = 0; i < batch.users.length; i++) {
      const pool = Array.from(top.subarray(i * 20, i * 20 + 20));
      const hasCandidate = pool.some(
        (c) => c >= 0 && view.scorePairs(Int32Array.of(batch.users[i]!), Int32Array.of(c))[0]! < pos[i]!,
      );
      if (hasCandidate) expect(neg[i]!).toBeLessThan(pos[i]!);
    }
  });

  it('names the missing feature of a static sampler', async () => {
    const s = await createComponent(hardSampler, { strategy: 'static', feature: 'colour' });
    expect(() => s.init(train, fx.dataset)).toThrow(/"colour".*available: genre, tags/);
  });

  it("excludePositives never draws a training item of the row's user and reports the conditional logQ", async () => {
    const csr = userCsr(train);
    const own = (u: number) => new Set(csr.indices.subarray(csr.indptr[u]!, csr.indptr[u + 1]!));
    const nItems = train.itemIds.size;
    for (const [component, params] of [
      [uniformSampler, {}],
      [popularitySampler, { alpha: 1 }],
    ] as const) {
      const plain = await createComponent(component, { ...params, num: 4 });
      plain.init(train);
      let hits = 0;
      for (let s = 0; s < 20; s++) {
        const out = plain.sample(batch, new Rng(s))!;
        out.items.forEach((it, k) => {
          if (own(batch.users[Math.floor(k / 4)]!).has(it)) hits++;
        });
      }
      expect(hits).toBeGreaterThan(0); // without the option, positives are drawn
      const s = await createComponent(component, { ...params, num: 4, excludePositives: true });
      s.init(train);
      for (let step = 0; step < 20; step++) {
        const out = s.sample(batch, new Rng(step))!;
        expect(out.items.length).toBe(batch.users.length * 4);
        expect(out.shared).toBe(false);
        out.items.forEach((it, k) => {
          expect(own(batch.users[Math.floor(k / 4)]!).has(it)).toBe(false);
        });
      }
      if (component === uniformSampler) {
        const out = s.sample(batch, new Rng(99))!;
        const u = batch.users[0]!;
        expect(out.logQ![0]).toBeCloseTo(-Math.log(nItems - own(u).size), 5);
      }
    }
  });

  it('refuses excludePositives with shared negatives', async () => {
    await expect(createComponent(uniformSampler, { shared: true, excludePositives: true })).rejects.toThrow(
      /excludePositives/,
    );
  });
});
