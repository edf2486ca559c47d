import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestContext, makeTestCreateContext } from '@embrec/core/testing';
import {
  generateSyntheticHoldings,
  holdingsDataset,
  syntheticHoldingsSchema,
  writeHoldingsCsv,
} from '@embrec/data';
import { describe, expect, it } from 'vitest';
import { cosineNeighbours, finiteMean, kmeansLabels, labelPurity, nmi } from '../../src/finance/measures.ts';
import { topicOracleModel } from '../../src/finance/models.ts';

const small = syntheticHoldingsSchema.parse({
  securities: 300,
  portfolios: 120,
  notes: 300,
  events: 80,
  seed: 4,
});

describe('synthetic-holdings', () => {
  it('is deterministic in its seed', () => {
    const a = generateSyntheticHoldings(small);
    const b = generateSyntheticHoldings(small);
    const c = generateSyntheticHoldings({ ...small, seed: 5 });
    expect(a.dataset.interactions.items).toEqual(b.dataset.interactions.items);
    expect(a.dataset.interactions.weights).toEqual(b.dataset.interactions.weights);
    expect(a.dataset.itemFeatures).toEqual(b.dataset.itemFeatures);
    expect(a.corpus.noteText).toEqual(b.corpus.noteText);
    expect(c.dataset.interactions.items).not.toEqual(a.dataset.interactions.items);
  });

  it('plants structure the oracle recovers: sectors in loadings, styles in tilts, holdings follow tilt·loading', () => {
    const { world: w } = generateSyntheticHoldings(small);
    const { securities: N, portfolios: P, factors: K, sectors: S, styles: Z } = w.params;
    // neighbours by the true loadings share the sector far above chance (1/S)
    const beta = Float32Array.from(w.loadings);
    const purity = finiteMean(labelPurity(cosineNeighbours(beta, K, 10), 10, w.sector));
    expect(purity).toBeGreaterThan(3 / S);
    // k-means of the true tilts finds the styles
    expect(nmi(kmeansLabels(Float32Array.from(w.tilts), K, Z), w.style)).toBeGreaterThan(0.6);
    // held securities have a larger tilt·loading than the average security
    const score = (q: number, i: number) => {
      let s = 0;
      for (let k = 0; k < K; k++) s += w.tilts[q * K + k]! * w.loadings[i * K + k]!;
      return s;
    };
    let held = 0;
    let all = 0;
    for (const h of w.holdings) held += score(h.portfolio, h.security);
    for (let q = 0; q < P; q++) for (let i = 0; i < N; i++) all += score(q, i);
    expect(held / w.holdings.length).toBeGreaterThan(all / (P * N) + 1);
    // new listings: only at the last date, 1–3 holders
    const holders = new Map<number, Set<number>>();
    for (const h of w.holdings)
      if (w.isNew[h.security]) {
        expect(h.date).toBe(w.params.dates - 1);
        holders.set(h.security, (holders.get(h.security) ?? new Set()).add(h.portfolio));
      }
    expect(holders.size).toBe(Math.round(w.params.coldStart * N));
    for (const s of holders.values()) {
      expect(s.size).toBeGreaterThanOrEqual(1);
      expect(s.size).toBeLessThanOrEqual(3);
    }
  });

  it("notes: the generator's topic oracle retrieves every linked note; notes name securities of their sector", async () => {
    const g = generateSyntheticHoldings({ ...small, view: 'notes' });
    const d = g.dataset;
    const oracle = await topicOracleModel.create(
      topicOracleModel.schema.parse({}),
      {} as never,
      makeTestCreateContext(),
    );
    await oracle.fit({ dataset: d, splits: d.givenSplits!, ctx: makeTestContext() });
    const s = oracle.scorer();
    if (s.kind !== 'embeddings') throw new Error('expected embeddings');
    const dim = s.items.dim;
    g.corpus.links.forEach((notes, e) => {
      const linked = new Set(notes);
      for (let n = 0; n < g.corpus.noteText.length; n++) {
        let dot = 0;
        for (let j = 0; j < dim; j++) dot += s.users.vectors[e * dim + j]! * s.items.vectors[n * dim + j]!;
        expect(dot).toBe(linked.has(n) ? 1 : 0);
      }
    });
    g.corpus.noteSecurities.forEach((secs, n) => {
      const sector = g.corpus.noteTopic[n]! >> 1;
      for (const i of secs) expect(g.world.sector[i]).toBe(Math.floor(sector / small.factors));
    });
  });

  it('writes CSV tables that the holdings loader reads back (round trip)', async () => {
    const g = generateSyntheticHoldings(small);
    const dir = mkdtempSync(join(tmpdir(), 'embrec-synth-csv-'));
    writeHoldingsCsv(g.world, dir);
    const params = holdingsDataset.schema.parse({
      path: 'holdings.csv',
      columns: { date: 'date' },
      securities: {
        path: 'securities.csv',
        id: 'security',
        factors: ['value', 'growth', 'momentum', 'quality'],
      },
      clients: { path: 'clients.csv', id: 'client' },
      transactions: { path: 'transactions.csv', use: 'none' },
    });
    const comp = await holdingsDataset.create(params, {} as never, makeTestCreateContext({ configDir: dir }));
    const back = await comp.load(makeTestContext({ configDir: dir }));
    const x = g.dataset.interactions;
    const y = back.interactions;
    expect(y.users.length).toBe(x.users.length);
    // the same (portfolio, security, date) rows, in date order
    const rows = (z: typeof x) =>
      Array.from(
        z.users,
        (u, r) => `${z.userIds.external(u)} ${z.itemIds.external(z.items[r]!)} ${z.timestamps![r]}`,
      ).sort();
    expect(rows(y)).toEqual(rows(x));
    for (let r = 1; r < y.users.length; r++)
      expect(y.timestamps![r]!).toBeGreaterThanOrEqual(y.timestamps![r - 1]!);
    // features agree by ID
    const sec = back.itemFeatures!.categorical.sector!;
    const sec0 = g.dataset.itemFeatures!.categorical.sector!;
    for (let i = 0; i < y.itemIds.size; i++) {
      const orig = x.itemIds.get(y.itemIds.external(i))!;
      expect(sec.vocab[sec.values[i]!]).toBe(sec0.vocab[sec0.values[orig]!]);
      expect(back.itemFeatures!.numeric.value![i]).toBeCloseTo(
        g.dataset.itemFeatures!.numeric.value![orig]!,
        4,
      );
    }
    const st = back.userFeatures!.categorical.style!;
    const st0 = g.dataset.userFeatures!.categorical.style!;
    for (let u = 0; u < y.userIds.size; u++)
      expect(st.vocab[st.values[u]!]).toBe(st0.vocab[st0.values[x.userIds.get(y.userIds.external(u))!]!]);
  });
});
