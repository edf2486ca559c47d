import { defineComponent, type FitInput, type ModelComponent, type Scorer, UsageError } from '@embrec/core';
import { easeWeights, gramCsr, spmm } from '@embrec/native';
import { z } from 'zod';
import { type BinaryCsr, binaryUserItem, formatBytes, hasNative, selectCsrRows } from './matrix.ts';

export const easeSchema = z.strictObject({
  /** L2 regularisation λ, or a grid chosen on validation data by `selectBy`. */
  lambda: z.union([z.number().positive(), z.array(z.number().positive()).min(1)]).default(500),
  /** Validation metric (display name) that picks λ from a grid. */
  selectBy: z.string().default('NDCG@20'),
  /** Refuse to fit when the dense item × item matrices would need more than this. */
  maxMemoryBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 ** 3),
});

/** The model's parameters, as its schema gives them. */
export type EaseOptions = Readonly<z.output<typeof easeSchema>>;

/**
 * EASE^R (Steck, WWW 2019): B = argmin ‖X − XB‖² + λ‖B‖² s.t. diag(B) = 0, in closed form
 * P = (XᵀX + λI)⁻¹, B_ij = −P_ij / P_jj, B_jj = 0. Scores of a user are x_u B. The Gram matrix and its
 * inverse are dense items × items float32 (LAPACK potrf/potri in @embrec/native); a λ grid keeps the
 * Gram matrix, the current and the best B (3 matrices), a single λ works in place (1 matrix).
 */
export class Ease implements ModelComponent {
  readonly #opts: EaseOptions;
  #x: BinaryCsr | undefined;
  #b: Float32Array | undefined;
  #lambda: number | undefined;

  constructor(opts: EaseOptions) {
    this.#opts = opts;
  }

  /** The λ the model was fitted with (the chosen one for a grid). */
  get lambda(): number | undefined {
    return this.#lambda;
  }

  /** Bytes of dense items × items float32 matrices that fitting needs. */
  static memoryNeeded(items: number, gridSize: number): number {
    return (gridSize > 1 ? 3 : 1) * items * items * 4;
  }

  async fit({ splits, ctx, validate }: FitInput): Promise<void> {
    const lambdas = typeof this.#opts.lambda === 'number' ? [this.#opts.lambda] : [...this.#opts.lambda];
    if (lambdas.length === 0) throw new UsageError('ease: model.lambda is an empty list');
    const x = binaryUserItem(splits.train);
    const n = x.cols;
    const need = Ease.memoryNeeded(n, lambdas.length);
    if (need > this.#opts.maxMemoryBytes) {
      throw new UsageError(
        `ease: ${n} items need ${lambdas.length > 1 ? '3 × ' : ''}items² × 4 bytes = ${formatBytes(need)} of dense ` +
          `matrices, more than model.maxMemoryBytes = ${formatBytes(this.#opts.maxMemoryBytes)} (${this.#opts.maxMemoryBytes} bytes). ` +
          'Raise maxMemoryBytes if the machine has the memory, use a single λ, or filter rare items (k-core).',
      );
    }
    if (lambdas.length > 1 && !validate) {
      throw new UsageError(
        `ease: a λ grid [${lambdas.join(', ')}] is chosen on validation data, but the split has none (use split.valid)`,
      );
    }
    this.#x = x;
    const t0 = performance.now();
    const gram = hasNative() ? gramCsr({ ...x }, { threads: ctx.threads }) : gramJs(x); // [items, items]
    ctx.log.info(`ease: Gram matrix of ${n} items in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (lambdas.length === 1) {
      this.#b = weights(gram, n, lambdas[0]!, true);
      this.#lambda = lambdas[0]!;
      return;
    }
    let best = Number.NEGATIVE_INFINITY;
    let bestB: Float32Array | undefined;
    let bestLambda = lambdas[0]!;
    for (const [step, lambda] of lambdas.entries()) {
      this.#b = weights(gram, n, lambda, false);
      this.#lambda = lambda;
      const res = await validate!();
      const v = res.values[this.#opts.selectBy];
      if (v === undefined) {
        throw new UsageError(
          `ease: model.selectBy "${this.#opts.selectBy}" is not among the validation metrics: ${Object.keys(res.values).join(', ')}`,
        );
      }
      ctx.logMetrics({ lambda, [`valid_${this.#opts.selectBy}`]: v }, step);
      ctx.log.info(`ease: λ = ${lambda}: valid ${this.#opts.selectBy} = ${v.toFixed(4)}`);
      if (v > best) {
        best = v;
        bestB = this.#b;
        bestLambda = lambda;
      }
    }
    this.#b = bestB;
    this.#lambda = bestLambda;
    ctx.log.info(`ease: chose λ = ${this.#lambda} (valid ${this.#opts.selectBy} = ${best.toFixed(4)})`);
  }

  scorer(): Scorer {
    const x = this.#x;
    const b = this.#b;
    if (!x || !b) throw new UsageError('ease: scorer() called before fit()');
    const n = x.cols;
    return {
      kind: 'scores',
      numItems: n,
      scoreUsers: (users) => {
        const rows = selectCsrRows(x, users);
        if (hasNative()) return spmm({ ...rows }, b, n); // [B, items] = X_B · B
        const out = new Float32Array(users.length * n);
        for (let r = 0; r < rows.rows; r++)
          for (let p = rows.indptr[r]!; p < rows.indptr[r + 1]!; p++) {
            const i = rows.indices[p]!;
            for (let j = 0; j < n; j++) out[r * n + j]! += b[i * n + j]!;
          }
        return out;
      },
    };
  }
}

/** B from the Gram matrix: native LAPACK when built, else a float64 JS Cholesky (small n only). */
function weights(gram: Float32Array, n: number, lambda: number, inPlace: boolean): Float32Array {
  if (hasNative()) return easeWeights(gram, n, lambda, { inPlace });
  return easeWeightsJs(gram, n, lambda);
}

/** XᵀX of a binary CSR in plain JS (fallback of the native gramCsr). */
export function gramJs(x: BinaryCsr): Float32Array {
  const n = x.cols;
  const g = new Float32Array(n * n);
  for (let u = 0; u < x.rows; u++)
    for (let p = x.indptr[u]!; p < x.indptr[u + 1]!; p++) {
      const i = x.indices[p]!;
      for (let q = x.indptr[u]!; q < x.indptr[u + 1]!; q++) g[i * n + x.indices[q]!]!++;
    }
  return g;
}

/** EASE weights in float64 JS: P = (G + λI)⁻¹ by Gauss-Jordan (SPD, no pivoting), B = −P / diag(P). */
export function easeWeightsJs(gram: Float32Array, n: number, lambda: number): Float32Array {
  const a = Float64Array.from(gram);
  for (let i = 0; i < n; i++) a[i * n + i]! += lambda;
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    const piv = a[c * n + c]!;
    for (let j = 0; j < n; j++) {
      a[c * n + j]! /= piv;
      inv[c * n + j]! /= piv;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c]!;
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        a[r * n + j]! -= f * a[c * n + j]!;
        inv[r * n + j]! -= f * inv[c * n + j]!;
      }
    }
  }
  const b = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) b[i * n + j] = i === j ? 0 : -inv[i * n + j]! / inv[j * n + j]!;
  return b;
}

export const easeComponent = defineComponent({
  kind: 'model',
  type: 'ease',
  scorer: 'scores',
  description: 'EASE^R closed-form item-item model (Steck 2019); λ or a λ grid chosen on validation',
  schema: easeSchema,
  create: (p) => new Ease(p),
});
