import { Rng } from '@embrec/core';
import { generateSyntheticHoldings, syntheticHoldingsSchema } from '@embrec/data';
import { describe, expect, it } from 'vitest';
import { finiteMean, labelPurity, purityChance } from '../../src/finance/measures.ts';
import { linearProbe } from '../../src/finance/probe.ts';
import { clientMatching, pairedSummary, similarSecurities } from '../../src/finance/report.ts';
import { pairedTTest } from '../../src/stats/index.ts';

/**
 * The protocol of the finance measures: what chance scores, that the probe cannot score by
 * memorising, and that the paired comparison favours a representation that knows the truth.
 */
describe('finance measure protocol', () => {
  it('purity chance: Σ n_s(n_s − 1) / (n(n − 1)), what random neighbour lists score', () => {
    // counts 2 and 3 (the -1 row left out): (2·1 + 3·2) / (5·4) = 0.4
    expect(purityChance(Int32Array.of(0, 0, 1, 1, 1, -1))).toBeCloseTo(0.4, 12);
    expect(purityChance(Int32Array.of(0))).toBeNaN();
    // random neighbour lists (self excluded) over 8 unequal sectors score the chance level
    const rng = new Rng(1);
    const n = 2000;
    const k = 10;
    const labels = Int32Array.from({ length: n }, () => Math.min(7, Math.floor(rng.next() * 9)));
    const nb = new Int32Array(n * k);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < k; j++) {
        let c = rng.int(n - 1);
        if (c >= i) c++;
        nb[i * k + j] = c;
      }
    const chance = purityChance(labels);
    expect(chance).toBeGreaterThan(1 / 8); // one sector holds twice as many: above 1/8
    expect(finiteMean(labelPurity(nb, k, labels))).toBeCloseTo(chance, 2);
  });

  it('probe: out of fold, wide noise features do not explain noise targets', () => {
    // 200 rows, 150 columns: an in-sample least-squares fit would reach R² near 0.75
    const rng = new Rng(2);
    const n = 200;
    const dim = 150;
    const X = Float32Array.from({ length: n * dim }, () => rng.normal());
    const Y = Float64Array.from({ length: n }, () => rng.normal());
    const r = linearProbe(X, dim, Y, 1);
    expect(r.meanR2).toBeLessThan(0.05);
    expect(r.lambdas.length).toBe(5);
  });

  it('paired summary: the t-test and a bootstrap interval around the mean difference', () => {
    const a = Float64Array.from({ length: 50 }, (_, i) => (i % 5) / 10 + 0.2);
    const b = Float64Array.from({ length: 50 }, (_, i) => (i % 7) / 10);
    const s = pairedSummary({ a, b });
    expect(s.test).toEqual(pairedTTest(a, b));
    expect(s.ci.low).toBeLessThan(s.test.meanDiff);
    expect(s.ci.high).toBeGreaterThan(s.test.meanDiff);
  });

  const world = generateSyntheticHoldings(
    syntheticHoldingsSchema.parse({ securities: 240, portfolios: 150, seed: 3 }),
  );
  const { dataset } = world;
  const { factors: K, securities: N, sectors: S } = world.world.params;
  const splits = { train: dataset.interactions, test: dataset.interactions };
  const users = { ids: dataset.interactions.userIds, dim: 2, vectors: new Float32Array(2 * 150).fill(1) };

  it('similar securities: the true loadings beat co-holding, random vectors score chance', () => {
    // the truth: loadings and a sector one-hot
    const dim = K + S;
    const truth = new Float32Array(N * dim);
    for (let i = 0; i < N; i++) {
      for (let k = 0; k < K; k++) truth[i * dim + k] = world.world.loadings[i * K + k]!;
      truth[i * dim + K + world.world.sector[i]!] = 3;
    }
    const ids = dataset.interactions.itemIds;
    const [base, model] = similarSecurities({
      dataset,
      splits,
      users,
      items: { ids, dim, vectors: truth },
    });
    expect(base!.chance!['SectorPurity@10']).toBeCloseTo(1 / 8, 1);
    expect(model!.values['SectorPurity@10']).toBeGreaterThan(base!.values['SectorPurity@10']! + 0.3);
    expect(model!.values['Loading R²']).toBeGreaterThan(0.95);
    expect(model!.tests!['SectorPurity@10']!.p).toBeLessThan(1e-6);
    expect(model!.ci!['Loading R²']!.low).toBeGreaterThan(0);
    const rng = new Rng(4);
    const noise = Float32Array.from({ length: N * 8 }, () => rng.normal());
    const [, random] = similarSecurities({
      dataset,
      splits,
      users,
      items: { ids, dim: 8, vectors: noise },
    });
    expect(Math.abs(random!.values['SectorPurity@10']! - base!.chance!['SectorPurity@10']!)).toBeLessThan(
      0.04,
    );
    expect(random!.values['Loading R²']).toBeLessThan(0.05);
    expect(random!.ci!['SectorPurity@10']!.high).toBeLessThan(0);
  });

  it('client matching: the true tilts beat raw holdings on same-style peers', () => {
    const truth = Float32Array.from(world.world.tilts);
    const [base, model] = clientMatching({
      dataset,
      splits,
      items: { ids: dataset.interactions.itemIds, dim: 1, vectors: new Float32Array(N) },
      users: { ids: dataset.interactions.userIds, dim: K, vectors: truth },
    });
    expect(base!.chance!['SameStyle@10']).toBeCloseTo(1 / 4, 1);
    expect(model!.values['SameStyle@10']).toBeGreaterThan(base!.chance!['SameStyle@10']! + 0.3);
    expect(model!.pairs!['SameStyle@10']!.a.length).toBe(model!.values.clients);
  });
});
