import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeAvailable } from '../src/addon.ts';
import { csrMatMul } from '../src/csr-matmul.ts';
import { csrNormalize, rowNormalize, spmm, spmmT, unitRows, unitRowsGrad } from '../src/ops.ts';
import { randomCsr, rng } from './helpers.ts';

function denseOf(csr: ReturnType<typeof randomCsr>): Float32Array {
  const x = new Float32Array(csr.rows * csr.cols);
  for (let r = 0; r < csr.rows; r++)
    for (let e = csr.indptr[r] as number; e < (csr.indptr[r + 1] as number); e++)
      x[r * csr.cols + (csr.indices[e] as number)] = csr.values ? (csr.values[e] as number) : 1;
  return x;
}

/** Reference (A or Aᵀ)·X with A dense [m, n]. */
function refMul(
  a: Float32Array,
  m: number,
  n: number,
  x: Float32Array,
  d: number,
  transpose: boolean,
): Float64Array {
  const rows = transpose ? n : m;
  const inner = transpose ? m : n;
  const out = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++)
    for (let k = 0; k < inner; k++) {
      const aik = (transpose ? a[k * n + i] : a[i * n + k]) as number;
      if (aik === 0) continue;
      for (let t = 0; t < d; t++)
        out[i * d + t] = (out[i * d + t] as number) + aik * (x[k * d + t] as number);
    }
  return out;
}

describe.skipIf(!nativeAvailable())('spmm / spmmT', () => {
  it('match the dense reference on random matrices (empty rows, empty matrices, threads)', () => {
    const rand = rng(20);
    for (let trial = 0; trial < 30; trial++) {
      const rows = Math.floor(rand() * 25);
      const cols = Math.floor(rand() * 25);
      const d = Math.floor(rand() * 6);
      const a = randomCsr(rand, rows, cols, rand() * 0.5, trial % 2 === 0);
      const dense = denseOf(a);
      const x = Float32Array.from({ length: cols * d }, () => rand() - 0.5);
      const y = Float32Array.from({ length: rows * d }, () => rand() - 0.5);
      const threads = 1 + (trial % 3);
      const ax = spmm(a, x, d, { threads });
      const want = refMul(dense, rows, cols, x, d, false);
      expect(ax.length).toBe(rows * d);
      for (let i = 0; i < ax.length; i++) expect(ax[i]).toBeCloseTo(want[i] as number, 5);
      const aty = spmmT(a, y, d, { threads });
      const wantT = refMul(dense, rows, cols, y, d, true);
      expect(aty.length).toBe(cols * d);
      for (let i = 0; i < aty.length; i++) expect(aty[i]).toBeCloseTo(wantT[i] as number, 5);
    }
  });

  it('give the bits of a float32 loop in CSR order (each product and sum rounded; any SIMD width)', () => {
    const rand = rng(33);
    const f = Math.fround;
    // 40 × 30: spmmT scans the entries; 30 × 40 (more output rows than input): through the transpose
    for (const [R, C] of [
      [40, 30],
      [30, 40],
    ] as const)
      for (const d of [1, 7, 8, 13, 64, 67]) {
        const a = randomCsr(rand, R, C, 0.3, d % 2 === 1);
        const x = Float32Array.from({ length: C * d }, () => (rand() - 0.5) * 10 ** (4 * rand() - 2));
        const y = Float32Array.from({ length: R * d }, () => (rand() - 0.5) * 10 ** (4 * rand() - 2));
        const ax = new Float32Array(R * d);
        const aty = new Float32Array(C * d);
        for (let r = 0; r < R; r++)
          for (let e = a.indptr[r]!; e < a.indptr[r + 1]!; e++) {
            const v = a.values ? a.values[e]! : 1;
            const c = a.indices[e]!;
            for (let t = 0; t < d; t++) {
              ax[r * d + t] = f(ax[r * d + t]! + f(v * x[c * d + t]!));
              aty[c * d + t] = f(aty[c * d + t]! + f(v * y[r * d + t]!));
            }
          }
        const bits = (z: Float32Array) => Array.from(new Uint32Array(z.buffer, z.byteOffset, z.length));
        expect(bits(spmm(a, x, d))).toEqual(bits(ax));
        expect(bits(spmmT(a, y, d))).toEqual(bits(aty));
        expect(bits(spmmT(a, y, d, { threads: 3 }))).toEqual(bits(aty));
      }
  });

  it('reject wrong dense lengths', () => {
    const a = randomCsr(rng(1), 3, 4, 0.5);
    expect(() => spmm(a, new Float32Array(7), 2)).toThrow(/x: expected length 8/);
    expect(() => spmmT(a, new Float32Array(7), 2)).toThrow(/y: expected length 6/);
  });
});

describe.skipIf(!nativeAvailable())('rowNormalize / csrNormalize', () => {
  it('rowNormalize gives unit rows and keeps zero rows', () => {
    const x = new Float32Array([3, 4, 0, 0, 1, 0]);
    expect(Array.from(rowNormalize(x, 3, 2))).toEqual([0.6000000238418579, 0.800000011920929, 0, 0, 1, 0]);
    expect(x[0]).toBe(3);
    rowNormalize(x, 3, 2, { inPlace: true });
    expect(x[1]).toBeCloseTo(0.8, 6);
    expect(() => rowNormalize(x, 4, 2)).toThrow(/expected length 8/);
  });

  it('unitRows and its gradient: the same bits as the JavaScript formula, zero rows stay zero', () => {
    const rand = rng(7);
    const [n, d] = [6, 5];
    const x = Float32Array.from({ length: n * d }, () => (rand() - 0.5) * 8);
    x.fill(0, 2 * d, 3 * d); // an all-zero row (a node without edges)
    const dy = Float32Array.from({ length: n * d }, () => rand() - 0.5);
    const { y, r } = unitRows(x, n, d);
    const yRef = new Float32Array(n * d);
    const rRef = new Float32Array(n);
    const dxRef = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      let ss = 0;
      for (let j = i * d; j < (i + 1) * d; j++) ss += (x[j] as number) * (x[j] as number);
      const f = 1 / Math.sqrt(ss + 1e-24);
      rRef[i] = f;
      for (let j = i * d; j < (i + 1) * d; j++) yRef[j] = (x[j] as number) * f;
      let dot = 0;
      for (let j = i * d; j < (i + 1) * d; j++) dot += (yRef[j] as number) * (dy[j] as number);
      for (let j = i * d; j < (i + 1) * d; j++)
        dxRef[j] = (rRef[i] as number) * ((dy[j] as number) - (yRef[j] as number) * dot);
    }
    expect(Array.from(y)).toEqual(Array.from(yRef));
    expect(Array.from(r)).toEqual(Array.from(rRef));
    expect(Array.from(unitRowsGrad(y, r, dy, n, d))).toEqual(Array.from(dxRef));
    for (let i = 0; i < n; i++) {
      const norm = Math.hypot(...Array.from(y.subarray(i * d, (i + 1) * d)));
      expect(norm).toBeCloseTo(i === 2 ? 0 : 1, 6);
    }
    expect(Array.from(y.subarray(2 * d, 3 * d))).toEqual(new Array(d).fill(0));
    expect(() => unitRows(x, n + 1, d)).toThrow(/x: expected length 35/);
    expect(() => unitRowsGrad(y, r, dy.subarray(1), n, d)).toThrow(/dy: expected length 30/);
  });

  it('csrNormalize row and sym', () => {
    const a = { rows: 2, cols: 2, indptr: new Int32Array([0, 2, 3]), indices: new Int32Array([0, 1, 1]) };
    expect(Array.from(csrNormalize(a, 'row'))).toEqual([0.5, 0.5, 1]);
    const s = csrNormalize(a, 'sym'); // row sums 2, 1; col sums 1, 2
    expect(s[0]).toBeCloseTo(1 / Math.sqrt(2), 6);
    expect(s[1]).toBeCloseTo(1 / 2, 6);
    expect(s[2]).toBeCloseTo(1 / Math.sqrt(2), 6);
  });
});

describe.skipIf(!nativeAvailable())('csrMatMul (tfjs op with gradient)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('forward and gradient equal a dense tf.matMul', () => {
    const rand = rng(30);
    const a = randomCsr(rand, 9, 7, 0.4, true);
    const dense = tf.tensor2d(denseOf(a), [9, 7]);
    const x = tf.tensor2d(
      Float32Array.from({ length: 7 * 3 }, () => rand() - 0.5),
      [7, 3],
    );
    const w = tf.tensor2d(
      Float32Array.from({ length: 9 * 3 }, () => rand() - 0.5),
      [9, 3],
    );
    const before = tf.memory().numTensors;
    const loss = (f: (t: tf.Tensor2D) => tf.Tensor2D) => (t: tf.Tensor) =>
      tf.sum(tf.mul(f(t as tf.Tensor2D), w));
    const gNative = tf.grad(loss((t) => csrMatMul(tf, a, t)))(x);
    const gDense = tf.grad(loss((t) => tf.matMul(dense, t)))(x);
    const yNative = csrMatMul(tf, a, x);
    const yDense = tf.matMul(dense, x);
    const yn = yNative.dataSync();
    const yd = yDense.dataSync();
    for (let i = 0; i < yd.length; i++) expect(yn[i]).toBeCloseTo(yd[i] as number, 5);
    const gn = gNative.dataSync();
    const gd = gDense.dataSync();
    for (let i = 0; i < gd.length; i++) expect(gn[i]).toBeCloseTo(gd[i] as number, 5);
    tf.dispose([gNative, gDense, yNative, yDense]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => csrMatMul(tf, a, tf.zeros([6, 3]) as tf.Tensor2D)).toThrow(/must be \[7, d\]/);
    tf.dispose([dense, x, w]);
  });
});
