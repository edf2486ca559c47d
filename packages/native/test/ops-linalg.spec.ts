import { describe, expect, it } from 'vitest';
import { nativeAvailable } from '../src/addon.ts';
import { easeWeights, gramCsr, symInverse } from '../src/ops.ts';
import { randomCsr, rng } from './helpers.ts';

function matmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k] as number;
      for (let j = 0; j < n; j++) c[i * n + j] = (c[i * n + j] as number) + aik * (b[k * n + j] as number);
    }
  return c;
}

/** A random SPD matrix MᵀM + n·I. */
function randomSpd(rand: () => number, n: number): Float64Array {
  const m = Float64Array.from({ length: n * n }, () => rand() * 2 - 1);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let k = 0; k < n; k++) s += (m[k * n + i] as number) * (m[k * n + j] as number);
      a[i * n + j] = s;
    }
  return a;
}

function denseOf(csr: ReturnType<typeof randomCsr>): Float64Array {
  const x = new Float64Array(csr.rows * csr.cols);
  for (let r = 0; r < csr.rows; r++)
    for (let e = csr.indptr[r] as number; e < (csr.indptr[r + 1] as number); e++)
      x[r * csr.cols + (csr.indices[e] as number)] = csr.values ? (csr.values[e] as number) : 1;
  return x;
}

describe.skipIf(!nativeAvailable())('symInverse', () => {
  it('A · A⁻¹ = I for random SPD matrices in float64 and float32', () => {
    const rand = rng(10);
    for (const n of [0, 1, 2, 7, 33]) {
      const a = randomSpd(rand, n);
      const a0 = Float64Array.from(a);
      const inv = symInverse(a, n);
      expect(inv).toBeInstanceOf(Float64Array);
      const id = matmul(a, inv, n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) expect(id[i * n + j]).toBeCloseTo(i === j ? 1 : 0, 9);
      const inv32 = symInverse(Float32Array.from(a), n);
      expect(inv32).toBeInstanceOf(Float32Array);
      for (let i = 0; i < n * n; i++)
        expect(Math.abs((inv32[i] as number) - (inv[i] as number))).toBeLessThan(1e-4);
      expect(Array.from(a)).toEqual(Array.from(a0)); // input untouched
    }
  });

  it('works in place', () => {
    const a = new Float64Array([4, 2, 2, 3]);
    const out = symInverse(a, 2, { inPlace: true });
    expect(out.buffer).toBe(a.buffer);
    expect(Array.from(a).map((v) => Number(v.toFixed(6)))).toEqual([0.375, -0.25, -0.25, 0.5]);
  });

  it('throws on a non-positive-definite matrix, wrong length, wrong type', () => {
    expect(() => symInverse(new Float64Array([1, 2, 2, 1]), 2)).toThrow(/not positive definite.*order 2/);
    expect(() => symInverse(new Float64Array(5), 2)).toThrow(/expected length 4/);
    expect(() => symInverse(new Int32Array(4) as unknown as Float32Array, 2)).toThrow(
      /Float32Array or Float64Array/,
    );
    expect(() => symInverse(new Float64Array([Number.NaN]), 1)).toThrow(/non-finite/);
  });
});

describe.skipIf(!nativeAvailable())('easeWeights', () => {
  it('matches B = I − P·diag(1/diag(P)) computed from the inverse', () => {
    const rand = rng(11);
    const x = randomCsr(rand, 40, 12, 0.3);
    const g = Float64Array.from(gramCsr(x));
    const lambda = 5;
    const b = easeWeights(g, 12, lambda);
    const shifted = Float64Array.from(g);
    for (let i = 0; i < 12; i++) shifted[i * 12 + i] = (shifted[i * 12 + i] as number) + lambda;
    const p = symInverse(shifted, 12);
    for (let i = 0; i < 12; i++)
      for (let j = 0; j < 12; j++) {
        const want = i === j ? 0 : -(p[i * 12 + j] as number) / (p[j * 12 + j] as number);
        expect(b[i * 12 + j]).toBeCloseTo(want, 10);
      }
    expect(() => easeWeights(g, 12, -1)).toThrow(/lambda/);
  });
});

describe.skipIf(!nativeAvailable())('gramCsr', () => {
  it('equals XᵀX of the dense matrix, sparse and dense paths, with and without values', () => {
    const rand = rng(12);
    for (let trial = 0; trial < 12; trial++) {
      const rows = Math.floor(rand() * 30);
      const cols = 1 + Math.floor(rand() * 20);
      const x = randomCsr(rand, rows, cols, rand(), trial % 2 === 0);
      const dense = denseOf(x);
      const want = new Float64Array(cols * cols);
      for (let r = 0; r < rows; r++)
        for (let i = 0; i < cols; i++)
          for (let j = 0; j < cols; j++)
            want[i * cols + j] =
              (want[i * cols + j] as number) +
              (dense[r * cols + i] as number) * (dense[r * cols + j] as number);
      for (const mode of ['auto', 'sparse', 'dense'] as const) {
        const got = gramCsr(x, { mode, threads: 1 + (trial % 2) });
        for (let i = 0; i < cols * cols; i++) expect(got[i]).toBeCloseTo(want[i] as number, 4);
      }
    }
  });

  it('rejects a broken CSR', () => {
    const bad = { rows: 1, cols: 2, indptr: new Int32Array([0, 2]), indices: new Int32Array([0, 5]) };
    expect(() => gramCsr(bad)).toThrow(/indices\[1\] = 5 is outside 0..1/);
    expect(() => gramCsr({ ...bad, indices: new Int32Array([0, 1]), values: new Float32Array(1) })).toThrow(
      /values: expected length 2/,
    );
  });
});
