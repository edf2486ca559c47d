import { Rng } from '@embrec/core';
import { Matrix, solve } from 'ml-matrix';

/** Out-of-fold linear-probe results. */
export interface ProbeResult {
  /** R² per target column (1 − SSE / SST over out-of-fold predictions). */
  readonly r2: readonly number[];
  /** Mean of r2. */
  readonly meanR2: number;
  /** Per-row squared error summed over targets. */
  readonly rowError: Float64Array;
  /**
   * Per-row share of the unexplained variance, Σ_t e²_it / SST_t · n / targets: its mean is
   * 1 − meanR², so the paired difference of two representations' rowLoss has mean ΔmeanR² (the
   * paired test is on the measure reported, each target weighted as in the mean R²).
   */
  readonly rowLoss: Float64Array;
  /** The ridge λ chosen in each fold. */
  readonly lambdas: readonly number[];
}

const LAMBDAS = [1e-3, 1e-2, 1e-1, 1, 10, 100];

/** Ridge fit with intercept: W = (XcᵀXc + λI)⁻¹ XcᵀYc on centred data (ml-matrix `solve`). */
function ridge(X: Matrix, Y: Matrix, lambda: number): (Z: Matrix) => Matrix {
  const mx = X.mean('column');
  const my = Y.mean('column');
  const Xc = X.clone().subRowVector(mx);
  const Yc = Y.clone().subRowVector(my);
  const A = Xc.transpose().mmul(Xc);
  for (let j = 0; j < A.rows; j++) A.set(j, j, A.get(j, j) + lambda);
  const W = solve(A, Xc.transpose().mmul(Yc));
  return (Z) => Z.clone().subRowVector(mx).mmul(W).addRowVector(my);
}

function sse(P: Matrix, Y: Matrix): number {
  let s = 0;
  for (let i = 0; i < Y.rows; i++) for (let j = 0; j < Y.columns; j++) s += (P.get(i, j) - Y.get(i, j)) ** 2;
  return s;
}

/**
 * How linearly an embedding encodes known targets (planted factor loadings): `folds`-fold
 * cross-validated ridge regression from the rows of `X` ([n, dim], here L2-normalised as every
 * cosine measure) to `Y` ([n, t]); λ is chosen per fold on an inner 80/20 split of its training rows.
 * Out-of-fold predictions, so a wide representation (400 holders) cannot score by memorising.
 */
export function linearProbe(
  X: Float32Array,
  dim: number,
  Y: Float64Array,
  targets: number,
  opts: { folds?: number; seed?: number } = {},
): ProbeResult {
  const n = X.length / dim;
  const folds = Math.min(opts.folds ?? 5, n);
  const rows = (idx: readonly number[], src: ArrayLike<number>, w: number) =>
    new Matrix(idx.map((i) => Array.from({ length: w }, (_, j) => src[i * w + j]!)));
  const order = Array.from({ length: n }, (_, i) => i);
  new Rng(opts.seed ?? 0).shuffle(order);
  const pred = new Matrix(n, targets);
  const lambdas: number[] = [];
  for (let f = 0; f < folds; f++) {
    const test = order.filter((_, r) => r % folds === f);
    const train = order.filter((_, r) => r % folds !== f);
    const cut = Math.max(1, Math.floor(train.length * 0.8));
    const inner = train.slice(0, cut);
    const held = train.slice(cut);
    let lambda = LAMBDAS[0]!;
    if (held.length > 0) {
      let bestErr = Number.POSITIVE_INFINITY;
      const Xi = rows(inner, X, dim);
      const Yi = rows(inner, Y, targets);
      const Xh = rows(held, X, dim);
      const Yh = rows(held, Y, targets);
      for (const l of LAMBDAS) {
        const err = sse(ridge(Xi, Yi, l)(Xh), Yh);
        if (err < bestErr) {
          bestErr = err;
          lambda = l;
        }
      }
    }
    lambdas.push(lambda);
    const P = ridge(rows(train, X, dim), rows(train, Y, targets), lambda)(rows(test, X, dim));
    test.forEach((i, r) => {
      for (let j = 0; j < targets; j++) pred.set(i, j, P.get(r, j));
    });
  }
  const rowError = new Float64Array(n);
  const rowLoss = new Float64Array(n);
  const r2: number[] = [];
  for (let j = 0; j < targets; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += Y[i * targets + j]!;
    mean /= n;
    let res = 0;
    let tot = 0;
    for (let i = 0; i < n; i++) {
      const e = (pred.get(i, j) - Y[i * targets + j]!) ** 2;
      rowError[i]! += e;
      res += e;
      tot += (Y[i * targets + j]! - mean) ** 2;
    }
    r2.push(tot > 0 ? 1 - res / tot : Number.NaN);
    if (tot > 0)
      for (let i = 0; i < n; i++)
        rowLoss[i]! += ((pred.get(i, j) - Y[i * targets + j]!) ** 2 / tot) * (n / targets);
  }
  return { r2, meanR2: r2.reduce((s, v) => s + v, 0) / r2.length, rowError, rowLoss, lambdas };
}
