// The BLAS wrappers: sgemm/sgemmBatched against a naive float64 reference, bounds errors, threads.
import { Rng } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import { matmul, sgemm, sgemmBatched } from '../src/blas.ts';
import { getThreads, setThreads } from '../src/threads.ts';

const rng = new Rng(5);
const randn = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());

/** C = alpha op(A) op(B) + beta C on row-major arrays with offsets and leading dimensions, in float64. */
function ref(
  ta: boolean,
  tb: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Float32Array,
  ao: number,
  lda: number,
  B: Float32Array,
  bo: number,
  ldb: number,
  beta: number,
  C: Float32Array,
  co: number,
  ldc: number,
): Float64Array {
  const out = Float64Array.from(C);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const a = A[ao + (ta ? k * lda + i : i * lda + k)] as number;
        const b = B[bo + (tb ? j * ldb + k : k * ldb + j)] as number;
        s += a * b;
      }
      const c = co + i * ldc + j;
      out[c] = alpha * s + (beta === 0 ? 0 : beta * (C[c] as number));
    }
  }
  return out;
}

describe('sgemm', () => {
  it('matches a float64 reference for transposes, offsets, leading dims, alpha and beta', () => {
    for (let trial = 0; trial < 40; trial++) {
      const M = 1 + rng.int(7);
      const N = 1 + rng.int(7);
      const K = trial % 10 === 0 ? 0 : 1 + rng.int(7);
      const ta = trial % 2 === 1;
      const tb = trial % 4 >= 2;
      const pad = rng.int(3);
      const lda = (ta ? M : K) + pad;
      const ldb = (tb ? K : N) + pad;
      const ldc = N + pad;
      const ao = rng.int(4);
      const bo = rng.int(4);
      const co = rng.int(4);
      const A = randn(ao + (ta ? K : M) * lda + 2);
      const B = randn(bo + (tb ? N : K) * ldb + 2);
      const C = randn(co + M * ldc + 2);
      const alpha = [1, 0.5, -2][trial % 3] as number;
      const beta = [0, 1, 0.25][trial % 3] as number;
      const expected = ref(ta, tb, M, N, K, alpha, A, ao, lda, B, bo, ldb, beta, C, co, ldc);
      sgemm({
        transA: ta,
        transB: tb,
        M,
        N,
        K,
        alpha,
        A,
        aOffset: ao,
        lda,
        B,
        bOffset: bo,
        ldb,
        beta,
        C,
        cOffset: co,
        ldc,
      });
      for (let i = 0; i < C.length; i++) {
        expect(Math.abs((C[i] as number) - (expected[i] as number))).toBeLessThan(
          1e-4 * (1 + Math.abs(expected[i] as number)),
        );
      }
    }
  });
  it('matmul allocates the product', () => {
    const c = matmul(Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), 2, 2, 2);
    expect(Array.from(c)).toEqual([19, 22, 43, 50]);
  });
  it('rejects spans outside the arrays and wrong types instead of reading out of bounds', () => {
    const A = new Float32Array(6);
    expect(() => sgemm({ M: 3, N: 2, K: 3, A, B: new Float32Array(6), C: new Float32Array(6) })).toThrow(
      /A needs 9 elements/,
    );
    expect(() => sgemm({ M: 2, N: 2, K: 3, A, B: new Float32Array(6), C: new Float32Array(3) })).toThrow(
      /C needs 4/,
    );
    expect(() =>
      sgemm({ M: 2, N: 2, K: 3, A, lda: 2, B: new Float32Array(6), C: new Float32Array(4) }),
    ).toThrow(/leading dimension/);
    expect(() =>
      sgemm({ M: 1, N: 1, K: 1, A: new Float64Array(1) as unknown as Float32Array, B: A, C: A }),
    ).toThrow(/Float32Array/);
  });
});

describe('sgemmBatched', () => {
  it('runs one GEMM per offset triple, broadcasting by repeated offsets', () => {
    const [M, N, K] = [3, 4, 2];
    const A = randn(2 * M * K);
    const B = randn(K * N); // one B shared by both batches
    const C = new Float32Array(2 * M * N);
    sgemmBatched({
      transA: false,
      transB: false,
      M,
      N,
      K,
      A,
      aOffsets: Int32Array.of(0, M * K),
      lda: K,
      B,
      bOffsets: Int32Array.of(0, 0),
      ldb: N,
      C,
      cOffsets: Int32Array.of(0, M * N),
      ldc: N,
    });
    for (let b = 0; b < 2; b++) {
      const e = ref(false, false, M, N, K, 1, A, b * M * K, K, B, 0, N, 0, new Float32Array(M * N), 0, N);
      for (let i = 0; i < M * N; i++) expect(C[b * M * N + i]).toBeCloseTo(e[i] as number, 4);
    }
    expect(() =>
      sgemmBatched({
        transA: false,
        transB: false,
        M,
        N,
        K,
        A,
        aOffsets: Int32Array.of(0, 100),
        lda: K,
        B,
        bOffsets: Int32Array.of(0, 0),
        ldb: N,
        C,
        cOffsets: Int32Array.of(0, M * N),
        ldc: N,
      }),
    ).toThrow(/A needs/);
  });
});

describe('threads', () => {
  it('sets and reads back the BLAS and OpenMP pools', () => {
    const before = getThreads();
    expect(setThreads(2)).toEqual({ blas: 2, omp: 2 });
    expect(setThreads({ blas: 1 })).toEqual({ blas: 1, omp: 2 });
    expect(() => setThreads(0)).toThrow(/integer >= 1/);
    setThreads(before);
    expect(getThreads()).toEqual(before);
  });
});
