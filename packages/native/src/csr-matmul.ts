import type * as tfc from '@tensorflow/tfjs-core';
import { type CsrMatrix, spmm, spmmT } from './ops.ts';

/**
 * A·X as a tfjs op with a gradient, for graph propagation (LightGCN): A is a constant CSR matrix
 * [rows, cols], X a float32 tensor [cols, d]. Forward A·X and backward dX = Aᵀ·dY run natively.
 * `tf` is the caller's tfjs instance, so the op joins the caller's tape and backend.
 */
export function csrMatMul(
  tf: typeof tfc,
  csr: CsrMatrix,
  x: tfc.Tensor2D,
  options: { threads?: number } = {},
): tfc.Tensor2D {
  if (x.rank !== 2 || x.shape[0] !== csr.cols) {
    throw new RangeError(
      `csrMatMul: x must be [${csr.cols}, d] (the matrix has ${csr.cols} columns), got [${x.shape.join(', ')}]`,
    );
  }
  if (x.dtype !== 'float32') throw new TypeError(`csrMatMul: x must be float32, got ${x.dtype}`);
  const d = x.shape[1];
  const op = tf.customGrad<tfc.Tensor2D>((...inputs) => {
    const input = inputs[0] as tfc.Tensor2D;
    const value = tf.tensor2d(spmm(csr, input.dataSync() as Float32Array, d, options), [csr.rows, d]);
    const gradFunc = (dy: tfc.Tensor2D): tfc.Tensor =>
      tf.tensor2d(spmmT(csr, dy.dataSync() as Float32Array, d, options), [csr.cols, d]);
    return { value, gradFunc };
  });
  return op(x);
}
