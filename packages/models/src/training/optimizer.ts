import { adagradRowsF64, adamRowsF32, adamRowsF64, nativeAvailable } from '@embrec/native';
import type { DenseParam, Param, TableParam } from './params.ts';

export interface OptimizerConfig {
  readonly type: 'adam' | 'adagrad';
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** L2 penalty added to the gradient (g + λw) of every updated value. */
  readonly weightDecay: number;
  /**
   * Arithmetic of the Adam update: 'float64' (default) computes it in double precision and rounds
   * the stored values; 'float32' computes every operation in single precision, as PyTorch's Adam
   * (faster, other bits). Adagrad is always float64.
   */
  readonly precision?: 'float64' | 'float32';
}

/**
 * Adam (Kingma & Ba 2015) and Adagrad (Duchi et al. 2011) on typed arrays. Embedding tables get
 * lazy sparse updates (moments of a row advance only when the row is in the batch, as PyTorch's
 * SparseAdam / TF's LazyAdam); bias correction uses the global step.
 */
export class Optimizer {
  step = 0;
  /** `native: false` keeps the JavaScript loops even when the addon loads (tests compare the two). */
  constructor(
    readonly cfg: OptimizerConfig,
    opts: { readonly native?: boolean } = {},
  ) {
    this.#useNative = opts.native;
  }

  /** Starts a new step: call once per batch before the updates. */
  begin(): void {
    this.step++;
  }

  #state(p: Param): { m: Float32Array; v: Float32Array } {
    if (!p.v) p.v = new Float32Array(p.data.length);
    if (!p.m) p.m = this.cfg.type === 'adam' ? new Float32Array(p.data.length) : new Float32Array(0);
    return { m: p.m, v: p.v };
  }

  #update(p: Param, from: number, grad: Float32Array, gFrom: number, len: number, lr: number): void {
    const { m, v } = this.#state(p);
    const w = p.data;
    const { beta1, beta2, eps, weightDecay } = this.cfg;
    if (this.cfg.type === 'adam' && this.cfg.precision === 'float32') {
      // one float operation at a time (Math.fround after each), as the native float32 kernel
      const f = Math.fround;
      const c1 = 1 - beta1 ** this.step;
      const c2 = 1 - beta2 ** this.step;
      const a = f(lr / c1);
      const b1 = f(beta1);
      const b2 = f(beta2);
      const ob1 = f(1 - beta1);
      const ob2 = f(1 - beta2);
      const sc = f(1 / Math.sqrt(c2));
      const e = f(eps);
      const wd = f(weightDecay);
      for (let k = 0; k < len; k++) {
        const i = from + k;
        const wi = w[i]!;
        const g = f(grad[gFrom + k]! + f(wd * wi));
        const mi = f(f(b1 * m[i]!) + f(ob1 * g));
        const vi = f(f(b2 * v[i]!) + f(f(ob2 * g) * g));
        m[i] = mi;
        v[i] = vi;
        w[i] = f(wi - f(f(a * mi) / f(f(f(Math.sqrt(vi)) * sc) + e)));
      }
    } else if (this.cfg.type === 'adam') {
      const c1 = 1 - beta1 ** this.step;
      const c2 = 1 - beta2 ** this.step;
      const a = lr / c1;
      for (let k = 0; k < len; k++) {
        const i = from + k;
        const g = grad[gFrom + k]! + weightDecay * w[i]!;
        const mi = beta1 * m[i]! + (1 - beta1) * g;
        const vi = beta2 * v[i]! + (1 - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        w[i] = w[i]! - (a * mi) / (Math.sqrt(vi / c2) + eps);
      }
    } else {
      for (let k = 0; k < len; k++) {
        const i = from + k;
        const g = grad[gFrom + k]! + weightDecay * w[i]!;
        const vi = v[i]! + g * g;
        v[i] = vi;
        w[i] = w[i]! - (lr * g) / (Math.sqrt(vi) + eps);
      }
    }
  }

  /** Updates the given rows of a table; grad is [rows.length, dim] aligned with rows (unique). */
  updateRows(p: TableParam, rows: Int32Array, grad: Float32Array, lr: number): void {
    if (this.#native(p, rows, grad, p.dim, lr)) return;
    const d = p.dim;
    for (let r = 0; r < rows.length; r++) this.#update(p, rows[r]! * d, grad, r * d, d, lr);
  }

  updateDense(p: DenseParam, grad: Float32Array, lr: number): void {
    if (this.#native(p, null, grad, p.data.length, lr)) return;
    this.#update(p, 0, grad, 0, p.data.length, lr);
  }

  /**
   * The same update by the native addon when it is loaded: the same operations (double or single
   * precision) in the same order as {@link #update}, so the same bits (test/optimizer.spec.ts
   * compares them), 6–12× faster (AVX2 lanes; most felt on the many item rows a history batch touches).
   */
  #native(p: Param, rows: Int32Array | null, grad: Float32Array, dim: number, lr: number): boolean {
    this.#useNative ??= nativeAvailable();
    if (!this.#useNative) return false;
    const { m, v } = this.#state(p);
    const { beta1, beta2, eps, weightDecay } = this.cfg;
    if (this.cfg.type === 'adam') {
      const c1 = 1 - beta1 ** this.step;
      const c2 = 1 - beta2 ** this.step;
      const adamRows = this.cfg.precision === 'float32' ? adamRowsF32 : adamRowsF64;
      adamRows(p.data, m, v, rows, grad, dim, { a: lr / c1, beta1, beta2, c2, eps, weightDecay });
    } else {
      adagradRowsF64(p.data, v, rows, grad, dim, { lr, eps, weightDecay });
    }
    return true;
  }
  #useNative: boolean | undefined;
}
