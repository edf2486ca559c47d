import { IdMap, makeInteractions, Rng } from '@embrec/core';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import {
  cosineNeighbours,
  holdingsMatrix,
  kmeansLabels,
  labelPurity,
  nmi,
} from '../../src/finance/measures.ts';
import { linearProbe } from '../../src/finance/probe.ts';
import { coldStartRecall, holderCounts } from '../../src/finance/report.ts';
import {
  inverseDocumentFrequency,
  queryTerms,
  truncatedSvd,
  weightDocuments,
} from '../../src/finance/text.ts';

describe('finance measures on hand-computed cases', () => {
  it('cosine neighbours and label purity', () => {
    // four points: 0 and 1 point east, 2 and 3 north; 1 leans a little north
    const v = Float32Array.of(1, 0, 1, 0.2, 0, 1, 0.1, 1);
    const nb = cosineNeighbours(v, 2, 2);
    expect(Array.from(nb)).toEqual([1, 3, 0, 3, 3, 1, 2, 1]);
    const purity = labelPurity(nb, 2, Int32Array.of(0, 0, 1, -1));
    // row 0: 1 same, 3 not → 0.5; row 1: 0 same → 0.5; row 2: 3 (label -1) and 1 → 0; row 3 has no label
    expect(Array.from(purity.subarray(0, 3))).toEqual([0.5, 0.5, 0]);
    expect(purity[3]).toBeNaN();
  });

  it('NMI (arithmetic normalisation, as scikit-learn)', () => {
    expect(nmi([0, 0, 1, 1], [1, 1, 0, 0])).toBeCloseTo(1, 12);
    expect(nmi([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(0, 12);
    // scikit-learn: normalized_mutual_info_score([0,0,0,1,1,1], [0,0,1,1,2,2]) = 0.5158037429793888
    expect(nmi([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo(0.5158037429793888, 12);
  });

  it('k-means separates two clear groups', () => {
    const rng = new Rng(3);
    const v = new Float32Array(40 * 2);
    const truth: number[] = [];
    for (let i = 0; i < 40; i++) {
      const g = i % 2;
      truth.push(g);
      v[i * 2] = (g === 0 ? 1 : 0) + 0.05 * rng.normal();
      v[i * 2 + 1] = (g === 0 ? 0 : 1) + 0.05 * rng.normal();
    }
    expect(nmi(kmeansLabels(v, 2, 2), truth)).toBeCloseTo(1, 12);
  });

  it('linear probe: R² ≈ 1 for a linear target, ≈ 0 or below for noise', () => {
    const rng = new Rng(5);
    const n = 200;
    const dim = 3;
    const X = Float32Array.from({ length: n * dim }, () => rng.normal());
    const Y = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      Y[i * 2] = 2 * X[i * dim]! - X[i * dim + 2]! + 1;
      Y[i * 2 + 1] = rng.normal();
    }
    const r = linearProbe(X, dim, Y, 2);
    expect(r.r2[0]).toBeGreaterThan(0.999);
    expect(r.r2[1]).toBeLessThan(0.05);
    expect(r.rowError.length).toBe(n);
    // the per-row loss averages to 1 − mean R² (the paired test is on the reported measure)
    const meanLoss = r.rowLoss.reduce((s, v) => s + v, 0) / n;
    expect(meanLoss).toBeCloseTo(1 - r.meanR2, 10);
  });

  it('holdings matrix, holder counts and cold-start Recall@k', () => {
    const x = makeInteractions({
      userIds: new IdMap(['u0', 'u1', 'u2']),
      itemIds: new IdMap(['a', 'b', 'c', 'd']),
      users: Int32Array.of(0, 0, 1, 1, 2, 2),
      items: Int32Array.of(0, 1, 0, 1, 0, 1),
    });
    expect(Array.from(holdingsMatrix(x, 'items').vectors)).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(holderCounts(x))).toEqual([3, 3, 0, 0]);
    const test = makeInteractions({
      userIds: x.userIds,
      itemIds: x.itemIds,
      users: Int32Array.of(0, 1, 1, 2),
      items: Int32Array.of(2, 2, 3, 0),
    });
    // items: a, b (warm), c points along axis 1, d along axis 0; users: u0 and u1 along axis 1
    const items = { ids: x.itemIds, dim: 2, vectors: Float32Array.of(5, 5, 5, 5, 0, 1, 1, 0) };
    const users = { ids: x.userIds, dim: 2, vectors: Float32Array.of(0, 1, 0, 1, 1, 0) };
    const r = coldStartRecall(
      { dataset: { name: 't', interactions: x }, splits: { train: x, test }, items, users },
      { k: 1, maxHolders: 0 },
    );
    // cold items: c, d. u0: top-1 among unseen {c, d} = c → 1/1; u1: c hit, d missed → 1/2; u2's test item a is warm
    expect(r.users).toEqual(['u0', 'u1']);
    expect(Array.from(r.perUser)).toEqual([1, 0.5]);
    expect(r.recall).toBe(0.75);
    expect(r.coldItems).toBe(2);
  });
});

describe('text weighting and truncated SVD', () => {
  // three documents over a vocabulary of four words, counts as values
  const docs = {
    rows: 3,
    cols: 4,
    indptr: Int32Array.of(0, 2, 3, 5),
    indices: Int32Array.of(0, 1, 1, 2, 3),
    values: Float32Array.of(2, 1, 1, 1, 1),
  };

  it('TF-IDF: (1 + ln tf)·(ln((1 + n)/(1 + df)) + 1), rows L2-normalised', () => {
    const idf = inverseDocumentFrequency(docs, 'tfidf');
    expect(idf[1]).toBeCloseTo(Math.log(4 / 3) + 1, 12);
    const w = weightDocuments(docs, idf, 'tfidf', { k1: 1.2, b: 0.75 });
    const a = (1 + Math.log(2)) * (Math.log(4 / 2) + 1);
    const b = Math.log(4 / 3) + 1;
    const norm = Math.hypot(a, b);
    expect(w[0]).toBeCloseTo(a / norm, 6);
    expect(w[1]).toBeCloseTo(b / norm, 6);
    expect(w[2 * 4 + 2]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('BM25: a query scores the sum of the Okapi weights of its terms', () => {
    const idf = inverseDocumentFrequency(docs, 'bm25');
    const w = weightDocuments(docs, idf, 'bm25', { k1: 1.2, b: 0.75 });
    const q = queryTerms({ rows: 1, cols: 4, indptr: Int32Array.of(0, 2), indices: Int32Array.of(0, 1) });
    const avg = 6 / 3; // lengths 3, 1, 2
    const okapi = (tf: number, df: number, len: number) =>
      Math.log(1 + (3 - df + 0.5) / (df + 0.5)) * ((tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * len) / avg)));
    let score0 = 0;
    for (let t = 0; t < 4; t++) score0 += q[t]! * w[t]!;
    expect(score0).toBeCloseTo(okapi(2, 1, 3) + okapi(1, 2, 3), 5);
    expect(inverseDocumentFrequency(docs, 'bm25', 2)[0]).toBe(0); // min_df drops the rare word
  });

  it('randomized truncated SVD finds the singular values of a low-rank matrix', () => {
    const rng = new Rng(9);
    const n = 60;
    const m = 40;
    const L = Matrix.rand(n, 3, { random: () => rng.next() });
    const R = Matrix.rand(3, m, { random: () => rng.next() });
    const M = L.mmul(R); // rank 3
    const a = Float32Array.from(M.to1DArray());
    const exact = new SingularValueDecomposition(M).diagonal.slice(0, 3);
    const approx = truncatedSvd(a, n, m, 3, { seed: 1 }).singularValues;
    for (let i = 0; i < 3; i++) expect(approx[i]).toBeCloseTo(exact[i]!, 2);
  });
});
