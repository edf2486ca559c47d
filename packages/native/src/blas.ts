import { addon } from './addon.ts';

/**
 * Row-major single-precision GEMM on zero-copy Float32Arrays (OpenBLAS `cblas_sgemm`):
 * `C[M,N] = alpha * op(A)[M,K] · op(B)[K,N] + beta * C`. `op(X)` is X or its transpose. Offsets and
 * leading dimensions address sub-matrices inside larger arrays; out-of-bounds spans throw a RangeError.
 */
export interface SgemmArgs {
  transA?: boolean;
  transB?: boolean;
  M: number;
  N: number;
  K: number;
  alpha?: number;
  A: Float32Array;
  aOffset?: number;
  /** Leading dimension of A as stored (default: K, or M when transA). */
  lda?: number;
  B: Float32Array;
  bOffset?: number;
  /** Leading dimension of B as stored (default: N, or K when transB). */
  ldb?: number;
  beta?: number;
  C: Float32Array;
  cOffset?: number;
  ldc?: number;
}

export function sgemm(a: SgemmArgs): void {
  const ta = a.transA ?? false;
  const tb = a.transB ?? false;
  addon().sgemm(
    ta,
    tb,
    a.M,
    a.N,
    a.K,
    a.alpha ?? 1,
    a.A,
    a.aOffset ?? 0,
    a.lda ?? (ta ? a.M : a.K),
    a.B,
    a.bOffset ?? 0,
    a.ldb ?? (tb ? a.K : a.N),
    a.beta ?? 0,
    a.C,
    a.cOffset ?? 0,
    a.ldc ?? a.N,
  );
}

/**
 * Batched GEMM: one `sgemm` per entry of the offset arrays, all with the same M, N, K and leading
 * dimensions. A batch dimension is broadcast by repeating an offset.
 */
export function sgemmBatched(a: {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha?: number;
  A: Float32Array;
  aOffsets: Int32Array;
  lda: number;
  B: Float32Array;
  bOffsets: Int32Array;
  ldb: number;
  beta?: number;
  C: Float32Array;
  cOffsets: Int32Array;
  ldc: number;
}): void {
  addon().sgemmBatched(
    a.transA,
    a.transB,
    a.M,
    a.N,
    a.K,
    a.alpha ?? 1,
    a.A,
    a.aOffsets,
    a.lda,
    a.B,
    a.bOffsets,
    a.ldb,
    a.beta ?? 0,
    a.C,
    a.cOffsets,
    a.ldc,
  );
}

/** `A[M,K] · B[K,N]` (or with transposes) into a new Float32Array of M*N values. */
export function matmul(
  A: Float32Array,
  B: Float32Array,
  M: number,
  K: number,
  N: number,
  opts: { transA?: boolean; transB?: boolean } = {},
): Float32Array {
  const C = new Float32Array(M * N);
  sgemm({ ...opts, M, N, K, A, B, C });
  return C;
}

/** OpenBLAS build configuration string (version, target core, threading model). */
export function blasConfig(): string {
  return addon().blasConfig() as string;
}
