import type { CandidateSet, RankInput, RerankerComponent } from '@embrec/core';
import {
  createComponent,
  describeReranker,
  makeTestContext,
  tinyPipelineFixture,
} from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { calibratedComponent } from '../src/rerankers/calibrated.ts';
import { fairnessComponent } from '../src/rerankers/fairness.ts';
import { mmrComponent } from '../src/rerankers/mmr.ts';
import { rulesComponent } from '../src/rerankers/rules.ts';

describeReranker('mmr over an attribute', {
  make: (ctx) => createComponent(mmrComponent, { attribute: 'tags', lambda: 0.5 }, {}, ctx),
});
describeReranker('mmr k = 5', {
  make: (ctx) => createComponent(mmrComponent, { attribute: 'genre', k: 5 }, {}, ctx),
  outputK: 5,
});
describeReranker('calibrated', {
  make: (ctx) => createComponent(calibratedComponent, { attribute: 'tags', lambda: 0.7 }, {}, ctx),
});
describeReranker('rules', {
  make: (ctx) =>
    createComponent(
      rulesComponent,
      {
        deny: { genre: ['g1'] },
        boost: [{ attribute: 'tags', values: ['t0'], by: 0.5 }],
        freshness: { attribute: 'year', halfLife: 5 },
      },
      {},
      ctx,
    ),
  filters: true,
});
describeReranker('fairness', {
  make: (ctx) => createComponent(fairnessComponent, { maxShare: 0.3, k: 6 }, {}, ctx),
  outputK: 6,
});

/** A third party's re-ranker, written only against @embrec/core's types: reverses each list. */
const reverse: RerankerComponent = {
  async rerank({ candidates: c }: RankInput): Promise<CandidateSet> {
    const items = new Int32Array(c.items.length).fill(-1);
    const scores = new Float32Array(c.items.length).fill(Number.NEGATIVE_INFINITY);
    for (let q = 0; q < c.users.length; q++) {
      const row = Array.from(c.items.subarray(q * c.k, (q + 1) * c.k))
        .filter((x) => x >= 0)
        .reverse();
      row.forEach((it, j) => {
        items[q * c.k + j] = it;
        scores[q * c.k + j] = -j;
      });
    }
    return { ...c, items, scores };
  },
};
describeReranker('a third-party re-ranker (reverse)', { make: () => reverse });

async function run(rr: RerankerComponent, k?: number) {
  const fx = tinyPipelineFixture(k !== undefined ? { k } : {});
  const out = await rr.rerank({
    candidates: fx.candidates,
    dataset: fx.dataset,
    splits: fx.splits,
    ctx: makeTestContext(),
  });
  return { fx, out };
}

describe('re-rankers', () => {
  it('an unknown attribute names the attribute and those that exist', async () => {
    for (const rr of [
      await createComponent(mmrComponent, { attribute: 'genres' }),
      await createComponent(calibratedComponent, { attribute: 'genres' }),
      await createComponent(rulesComponent, { deny: { genres: ['x'] } }),
    ]) {
      await expect(run(rr)).rejects.toThrow(
        /unknown .*item attribute "genres" in dataset "tiny-clustered" \(item attributes: genre, tags, year\)/,
      );
    }
    await expect(
      run(await createComponent(rulesComponent, { freshness: { attribute: 'genre', halfLife: 1 } })),
    ).rejects.toThrow(/"genre" is not a numeric item attribute/);
    await expect(run(await createComponent(rulesComponent, { allow: { genre: ['g9'] } }))).rejects.toThrow(
      /"g9" is not a value of item attribute "genre" \(values: g0, g1, g2, g3\)/,
    );
  });

  it('N < K is an error naming both', async () => {
    await expect(run(await createComponent(mmrComponent, { attribute: 'genre', k: 20 }), 10)).rejects.toThrow(
      /k = 20 but the candidate lists hold only 10 items \(N < K\)/,
    );
  });

  it('mmr with λ = 1 keeps the order; a small λ spreads genres', async () => {
    const keep = await run(await createComponent(mmrComponent, { attribute: 'genre', lambda: 1 }));
    expect(Array.from(keep.out.items)).toEqual(Array.from(keep.fx.candidates.items));
    const div = await run(await createComponent(mmrComponent, { attribute: 'genre', lambda: 0.1, k: 4 }));
    const genre = div.fx.dataset.itemFeatures!.categorical.genre!.values;
    const distinct = (c: CandidateSet, q: number, k: number) =>
      new Set(Array.from(c.items.subarray(q * c.k, q * c.k + k), (i) => genre[i])).size;
    let before = 0;
    let after = 0;
    for (let q = 0; q < div.out.users.length; q++) {
      before += distinct(div.fx.candidates, q, 4);
      after += distinct(div.out, q, 4);
    }
    expect(after).toBeGreaterThan(before);
  });

  it('mmr over embeddings needs them and says which attributes could be used instead', async () => {
    await expect(run(await createComponent(mmrComponent, {}))).rejects.toThrow(
      /no item embeddings .* set attribute to one of: genre, tags, year/,
    );
    const fx = tinyPipelineFixture();
    const n = fx.dataset.interactions.itemIds.size;
    const genre = fx.dataset.itemFeatures!.categorical.genre!.values;
    const vectors = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) vectors[i * 4 + genre[i]!] = 1; // one axis per genre
    const rr = await createComponent(mmrComponent, { lambda: 0.1, k: 4 });
    const out = await rr.rerank({
      candidates: fx.candidates,
      dataset: fx.dataset,
      splits: fx.splits,
      ctx: makeTestContext(),
      itemEmbeddings: { ids: fx.dataset.interactions.itemIds, dim: 4, vectors },
    });
    const g = new Set(Array.from(out.items.subarray(0, 4), (i) => genre[i]));
    expect(g.size).toBe(4);
  });

  it('calibration with λ = 0 keeps the order and with λ > 0 moves the list towards the history', async () => {
    const keep = await run(await createComponent(calibratedComponent, { attribute: 'genre', lambda: 0 }));
    expect(Array.from(keep.out.items)).toEqual(Array.from(keep.fx.candidates.items));
  });

  it('rules drop denied and seen items and bury by a rule', async () => {
    const fx = tinyPipelineFixture();
    const genre = fx.dataset.itemFeatures!.categorical.genre!.values;
    const { out } = await run(await createComponent(rulesComponent, { deny: { genre: ['g0'] } }));
    for (const i of out.items) if (i >= 0) expect(genre[i]).not.toBe(0);
    const bury = await run(
      await createComponent(rulesComponent, { boost: [{ attribute: 'genre', values: ['g1'], by: -10 }] }),
    );
    for (let q = 0; q < bury.out.users.length; q++) {
      const row = Array.from(bury.out.items.subarray(q * bury.out.k, (q + 1) * bury.out.k)).filter(
        (i) => i >= 0,
      );
      const firstBuried = row.findIndex((i) => genre[i] === 1);
      if (firstBuried >= 0) for (const i of row.slice(firstBuried)) expect(genre[i]).toBe(1);
    }
  });

  it('fairness caps the popular share of each list', async () => {
    const { out, fx } = await run(
      await createComponent(fairnessComponent, { head: 0.2, maxShare: 0.2, k: 5 }),
    );
    const counts = new Float64Array(fx.dataset.interactions.itemIds.size);
    for (const i of fx.splits.train.items) counts[i]!++;
    const order = Array.from(counts.keys()).sort((a, b) => counts[b]! - counts[a]! || a - b);
    const head = new Set(order.slice(0, Math.ceil(0.2 * counts.length)));
    for (let q = 0; q < out.users.length; q++) {
      const row = Array.from(out.items.subarray(q * 5, q * 5 + 5));
      const nonHeadInput = Array.from(fx.candidates.items.subarray(q * 10, q * 10 + 10)).filter(
        (i) => i >= 0 && !head.has(i),
      ).length;
      if (nonHeadInput >= 4) expect(row.filter((i) => head.has(i)).length).toBeLessThanOrEqual(1);
    }
  });
});
