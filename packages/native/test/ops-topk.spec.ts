import { describe, expect, it } from 'vitest';
import { nativeAvailable } from '../src/addon.ts';
import { type CsrIndex, topkDot, topkRows } from '../src/ops.ts';
import { randomCsr, rng } from './helpers.ts';

/** The obvious reference: sort every row's candidates by (score desc, index asc), keep k. */
function refTopk(
  scores: Float32Array,
  rows: number,
  cols: number,
  k: number,
  ex?: CsrIndex,
  allow?: Int32Array,
) {
  const ids = new Int32Array(rows * k).fill(-1);
  const out = new Float32Array(rows * k).fill(Number.NEGATIVE_INFINITY);
  const allowed = allow ? new Set(allow) : undefined;
  for (let r = 0; r < rows; r++) {
    const banned = new Set<number>();
    if (ex)
      for (let e = ex.indptr[r] as number; e < (ex.indptr[r + 1] as number); e++)
        banned.add(ex.indices[e] as number);
    const cand: number[] = [];
    for (let c = 0; c < cols; c++) {
      const s = scores[r * cols + c] as number;
      if (!banned.has(c) && !Number.isNaN(s) && (!allowed || allowed.has(c))) cand.push(c);
    }
    cand.sort((a, b) => (scores[r * cols + b] as number) - (scores[r * cols + a] as number) || a - b);
    for (let j = 0; j < Math.min(k, cand.length); j++) {
      ids[r * k + j] = cand[j] as number;
      out[r * k + j] = scores[r * cols + (cand[j] as number)] as number;
    }
  }
  return { ids, scores: out };
}

function refDot(q: Float32Array, items: Float32Array, d: number): Float32Array {
  const nq = q.length / d;
  const n = items.length / d;
  const s = new Float32Array(nq * n);
  for (let i = 0; i < nq; i++)
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let t = 0; t < d; t++) acc += (q[i * d + t] as number) * (items[j * d + t] as number);
      s[i * n + j] = acc;
    }
  return s;
}

describe.skipIf(!nativeAvailable())('topkRows', () => {
  it('matches the reference on random scores with ties, NaN, exclusions, k > cols and empty rows', () => {
    const rand = rng(1);
    for (let trial = 0; trial < 40; trial++) {
      const rows = Math.floor(rand() * 20);
      const cols = Math.floor(rand() * 30);
      const k = Math.floor(rand() * 40);
      // Few distinct values, so ties are frequent.
      const scores = Float32Array.from({ length: rows * cols }, () =>
        rand() < 0.05 ? Number.NaN : rand() < 0.05 ? Number.NEGATIVE_INFINITY : Math.floor(rand() * 5),
      );
      const ex = randomCsr(rand, rows, cols, trial % 3 === 0 ? 0.9 : 0.3);
      const threads = 1 + (trial % 3);
      const got = topkRows(scores, rows, cols, k, ex, { threads });
      const want = refTopk(scores, rows, cols, k, ex);
      expect(Array.from(got.ids)).toEqual(Array.from(want.ids));
      expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
      const noEx = topkRows(scores, rows, cols, k);
      expect(Array.from(noEx.ids)).toEqual(Array.from(refTopk(scores, rows, cols, k).ids));
    }
  });

  it('pads a row whose items are all excluded', () => {
    const got = topkRows(new Float32Array([3, 2, 1]), 1, 3, 2, {
      indptr: new Int32Array([0, 3]),
      indices: new Int32Array([0, 1, 2]),
    });
    expect(Array.from(got.ids)).toEqual([-1, -1]);
    expect(Array.from(got.scores)).toEqual([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  it('rejects bad lengths and bad exclusion lists with a RangeError', () => {
    expect(() => topkRows(new Float32Array(5), 2, 3, 1)).toThrow(/scores: expected length 6/);
    expect(() =>
      topkRows(new Float32Array(6), 2, 3, 1, {
        indptr: new Int32Array([0, 1]),
        indices: new Int32Array([0]),
      }),
    ).toThrow(/indptr: expected length rows \+ 1/);
    expect(() =>
      topkRows(new Float32Array(6), 2, 3, 1, {
        indptr: new Int32Array([0, 1, 1]),
        indices: new Int32Array([3]),
      }),
    ).toThrow(/outside 0..2/);
    expect(() =>
      topkRows(new Float32Array(6), 2, 3, 1, {
        indptr: new Int32Array([0, 1, 0]),
        indices: new Int32Array([0]),
      }),
    ).toThrow(/decreases/);
    expect(() => topkRows(new Float32Array(6), 2, 3, -1)).toThrow(/non-negative integer/);
    expect(() => topkRows(new Float64Array(6) as unknown as Float32Array, 2, 3, 1)).toThrow(/Float32Array/);
  });
});

describe.skipIf(!nativeAvailable())('topkDot', () => {
  it('matches sorting the exact inner products, with exclusions and allow lists, across blocks and threads', () => {
    const rand = rng(2);
    for (let trial = 0; trial < 16; trial++) {
      const d = 1 + Math.floor(rand() * 9);
      const nq = Math.floor(rand() * 300); // crosses the 128-query block
      const n = trial === 0 ? 9000 : Math.floor(rand() * 60); // trial 0 crosses the 8192-item block
      const k = Math.floor(rand() * 12);
      // Small integers: dot products are exact in float32, so ties are real ties.
      const q = Float32Array.from({ length: nq * d }, () => Math.floor(rand() * 3) - 1);
      const items = Float32Array.from({ length: n * d }, () => Math.floor(rand() * 3) - 1);
      const ex = randomCsr(rand, nq, n, trial % 4 === 0 ? 0.95 : 0.2);
      const allow =
        trial % 2 === 1
          ? Int32Array.from({ length: Math.floor(n / 2) }, () => Math.floor(rand() * n))
          : undefined;
      const got = topkDot(q, items, d, k, { exclude: ex, allow, threads: 1 + (trial % 2) });
      const want = refTopk(refDot(q, items, d), nq, n, k, ex, allow);
      expect(Array.from(got.ids)).toEqual(Array.from(want.ids));
      expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
    }
  });

  it('agrees with topkRows on float scores', () => {
    const rand = rng(3);
    const d = 16;
    const q = Float32Array.from({ length: 50 * d }, () => rand() - 0.5);
    const items = Float32Array.from({ length: 400 * d }, () => rand() - 0.5);
    const got = topkDot(q, items, d, 10);
    const ref = topkRows(refDot(q, items, d), 50, 400, 10);
    // Different summation order: compare the sets of ids and the scores to float tolerance.
    let same = 0;
    for (let r = 0; r < 50; r++) {
      const a = new Set(got.ids.subarray(r * 10, r * 10 + 10));
      for (const id of ref.ids.subarray(r * 10, r * 10 + 10)) if (a.has(id)) same++;
    }
    expect(same).toBeGreaterThanOrEqual(495);
    for (let i = 0; i < got.scores.length; i++) expect(got.scores[i]).toBeCloseTo(ref.scores[i] as number, 4);
  });

  it('GEMV path (few queries) returns what the GEMM path returns, with exclusions, allow lists and threads', () => {
    const rand = rng(5);
    for (let trial = 0; trial < 12; trial++) {
      const d = [1, 7, 8, 37, 128, 130][trial % 6] as number; // below, at and past the 8/32-float SIMD steps
      const nq = [1, 2, 3, 8, 9, 20][Math.floor(rand() * 6)] as number;
      const n = trial < 3 ? 40000 : Math.floor(rand() * 2000); // 40000 items: several ranges with 2+ threads
      const k = trial === 4 ? 0 : 1 + Math.floor(rand() * 120);
      const q = Float32Array.from({ length: nq * d }, () => Math.floor(rand() * 3) - 1);
      const items = Float32Array.from({ length: n * d }, () => Math.floor(rand() * 3) - 1);
      const ex = trial % 3 === 2 ? undefined : randomCsr(rand, nq, n, trial % 3 === 0 ? 0.9 : 0.01);
      const allow =
        trial % 2 === 1
          ? Int32Array.from({ length: Math.floor(n / 2) }, () => Math.floor(rand() * n))
          : undefined;
      const threads = 1 + (trial % 3);
      const gemv = topkDot(q, items, d, k, { exclude: ex, allow, threads, path: 'gemv' });
      const gemm = topkDot(q, items, d, k, { exclude: ex, allow, threads, path: 'gemm' });
      const auto = topkDot(q, items, d, k, { exclude: ex, allow, threads });
      // small integers: every dot product is exact, so the two paths must agree id for id
      expect(Array.from(gemv.ids)).toEqual(Array.from(gemm.ids));
      expect(Array.from(gemv.scores)).toEqual(Array.from(gemm.scores));
      expect(Array.from(auto.ids)).toEqual(Array.from(gemm.ids));
    }
  });

  it('GEMV path agrees with the GEMM path on float scores (ties tolerated)', () => {
    const rand = rng(6);
    const d = 128;
    const n = 30000;
    const q = Float32Array.from({ length: 3 * d }, () => rand() - 0.5);
    const items = Float32Array.from({ length: n * d }, () => rand() - 0.5);
    const gemv = topkDot(q, items, d, 100, { threads: 2, path: 'gemv' });
    const gemm = topkDot(q, items, d, 100, { path: 'gemm' });
    let same = 0;
    for (let r = 0; r < 3; r++) {
      const a = new Set(gemv.ids.subarray(r * 100, r * 100 + 100));
      for (const id of gemm.ids.subarray(r * 100, r * 100 + 100)) if (a.has(id)) same++;
    }
    expect(same).toBeGreaterThanOrEqual(297);
    for (let i = 0; i < gemv.scores.length; i++)
      expect(gemv.scores[i]).toBeCloseTo(gemm.scores[i] as number, 4);
  });

  it('rejects mismatched shapes and bad allow lists', () => {
    expect(() => topkDot(new Float32Array(5), new Float32Array(4), 2, 1)).toThrow(/whole rows/);
    expect(() =>
      topkDot(new Float32Array(4), new Float32Array(4), 2, 1, { allow: new Int32Array([2]) }),
    ).toThrow(/allow\[0\] = 2 is outside/);
    expect(() =>
      topkDot(new Float32Array(4), new Float32Array(4), 2, 1, {
        exclude: { indptr: new Int32Array([0, 0]), indices: new Int32Array([]) },
      }),
    ).toThrow(/indptr: expected length/);
  });
});
