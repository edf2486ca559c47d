import type { MetricContext, RankedLists } from '@embrec/core';
import { userCsr } from '@embrec/core';
import { makeTestContext, tinyPipelineFixture } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import {
  calibrationKl,
  catalogCoverage,
  giniExposure,
  intraListDiversity,
  novelty,
} from '../../src/beyond/metrics.ts';
import { FullEvaluator } from '../../src/evaluation/full.ts';
import { builtinMetric } from '../../src/evaluation/metrics.ts';

const fx = tinyPipelineFixture();
const ctx: MetricContext = {
  numItems: fx.dataset.interactions.itemIds.size,
  popularity: (() => {
    const c = new Float64Array(fx.dataset.interactions.itemIds.size);
    for (const i of fx.splits.train.items) c[i]!++;
    return c;
  })(),
  history: userCsr(fx.splits.train),
  itemFeatures: fx.dataset.itemFeatures!,
};
const lists = (rows: number[][], k: number): RankedLists => ({
  users: Int32Array.from(rows, (_, r) => r),
  k,
  ranked: Int32Array.from(rows.flatMap((r) => [...r, ...Array(k - r.length).fill(-1)])),
});

describe('beyond-accuracy metrics', () => {
  it('catalogue coverage and Gini against hand-computed values', () => {
    const l = lists(
      [
        [0, 1],
        [0, 2],
      ],
      2,
    );
    expect(catalogCoverage().aggregate!(l, ctx, 2).value).toBeCloseTo(3 / ctx.numItems);
    // exposure: item 0 twice, items 1 and 2 once, the rest 0 → Gini by the sorted-sum formula
    const n = ctx.numItems;
    const x = [...Array(n - 3).fill(0), 1, 1, 2];
    const w = x.reduce((a, v, i) => a + (2 * (i + 1) - n - 1) * v, 0);
    expect(giniExposure().aggregate!(l, ctx, 2).value).toBeCloseTo(w / (n * 4));
    // equal exposure of every item → 0
    const all = lists(
      Array.from({ length: n }, (_, i) => [i]),
      1,
    );
    expect(giniExposure().aggregate!(all, ctx, 1).value).toBeCloseTo(0);
  });

  it('ILD over an attribute: identical genres → 0, all different → 1', () => {
    const genre = fx.dataset.itemFeatures!.categorical.genre!.values;
    const same = [0, 4, 8].filter((i) => genre[i] === genre[0]);
    expect(intraListDiversity('genre').aggregate!(lists([same], 3), ctx, 3).value).toBeCloseTo(0);
    expect(intraListDiversity('genre').aggregate!(lists([[0, 1, 2, 3]], 4), ctx, 4).value).toBeCloseTo(1);
    expect(() => intraListDiversity('genres').aggregate!(lists([[0]], 1), ctx, 1)).toThrow(
      /unknown categorical or multi-hot item attribute "genres" \(item attributes: genre, tags\)/,
    );
  });

  it('novelty is higher for rarer items', () => {
    const pop = ctx.popularity;
    const order = Array.from(pop.keys()).sort((a, b) => pop[b]! - pop[a]!);
    const head = novelty().aggregate!(lists([order.slice(0, 3)], 3), ctx, 3).value;
    const tail = novelty().aggregate!(lists([order.slice(-3)], 3), ctx, 3).value;
    expect(tail).toBeGreaterThan(head);
  });

  it('calibration KL is 0 for a list with the history’s genre mix and grows away from it', () => {
    const genre = fx.dataset.itemFeatures!.categorical.genre!.values;
    const u = 0;
    const hist = Array.from(ctx.history.indices.subarray(ctx.history.indptr[u]!, ctx.history.indptr[u + 1]!));
    const l = (items: number[]): RankedLists => ({
      users: Int32Array.of(u),
      k: items.length,
      ranked: Int32Array.from(items),
    });
    expect(calibrationKl('genre').aggregate!(l(hist), ctx, hist.length).value).toBeCloseTo(0, 2);
    const other = Array.from({ length: ctx.numItems }, (_, i) => i).filter(
      (i) => !hist.some((h) => genre[h] === genre[i]),
    );
    expect(calibrationKl('genre').aggregate!(l(other.slice(0, 3)), ctx, 3).value).toBeGreaterThan(1);
  });

  it('perUser is refused with a message naming aggregate()', () => {
    expect(() => novelty().perUser(Int32Array.of(1), Int32Array.of(1), 1)).toThrow(
      /needs an evaluator that calls aggregate\(\)/,
    );
  });

  it('the full evaluator reports aggregate metrics over the candidate lists, with per-user values', async () => {
    const ev = new FullEvaluator({
      ks: [5],
      metrics: [builtinMetric('hr'), intraListDiversity('genre'), catalogCoverage(), calibrationKl('genre')],
      batchSize: 64,
      aggregates: false,
    });
    const m = await ev.evaluateCandidates({
      candidates: fx.candidates,
      target: fx.splits.test,
      train: fx.splits.train,
      ctx: makeTestContext(),
      itemFeatures: fx.dataset.itemFeatures!,
    });
    const c = fx.candidates;
    const l: RankedLists = {
      users: c.users,
      k: 5,
      ranked: Int32Array.from(
        { length: c.users.length * 5 },
        (_, p) => c.items[Math.floor(p / 5) * c.k + (p % 5)]!,
      ),
    };
    expect(m.values['ILD@5']).toBeCloseTo(intraListDiversity('genre').aggregate!(l, ctx, 5).value, 5);
    expect(m.values['CatalogCoverage@5']).toBeCloseTo(catalogCoverage().aggregate!(l, ctx, 5).value, 5);
    expect(m.perUser['CalibrationKL@5']!.length).toBe(m.users.length);
    expect(m.values['HR@5']).toBeGreaterThanOrEqual(0);
  });
});
