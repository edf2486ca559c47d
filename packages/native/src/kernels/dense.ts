import * as tf from '@tensorflow/tfjs-core';
import { addon, nativeAvailable } from '../addon.ts';
import type { CpuBackend } from './util.ts';

function f32(be: CpuBackend, t: tf.Tensor): Float32Array {
  const v = be.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : Float32Array.from(t.dataSync() as ArrayLike<number>);
}

/**
 * A dense layer `y = act(x · w + b)`, x [M, K], w [K, N], b [N], act 'linear' or 'relu'. On the
 * native backend it is one op with its own gradient: forward is one sgemm plus an in-place bias and
 * ReLU pass; backward masks dy by y > 0 once and runs two sgemms and a column sum (dx = g·wᵀ,
 * dw = xᵀ·g, db = Σ_rows g), instead of tf.fused.matMul's Step, Multiply, two BatchMatMul and Sum
 * kernels with their intermediate tensors. Elsewhere it is `tf.fused.matMul` (same values).
 */
export function dense(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b?: tf.Tensor1D,
  activation: 'linear' | 'relu' = 'linear',
  impl: 'auto' | 'native' | 'tfjs' = 'auto',
): tf.Tensor2D {
  const [M, K] = x.shape;
  const [K2, N] = w.shape;
  if (K !== K2) throw new RangeError(`dense: x is [${M}, ${K}] but w is [${K2}, ${N}]`);
  if (b && b.size !== N) throw new RangeError(`dense: b has ${b.size} values, w has ${N} columns`);
  const useNative =
    impl === 'native' ||
    (impl === 'auto' &&
      tf.getBackend() === 'cpu' &&
      nativeAvailable() &&
      x.dtype === 'float32' &&
      w.dtype === 'float32');
  if (!useNative)
    return tf.fused.matMul({ a: x, b: w, ...(b ? { bias: b } : {}), activation }) as tf.Tensor2D;
  const n = addon();
  const relu = activation === 'relu';
  const forward = (xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor | undefined, save: tf.GradSaveFunc) => {
    const be = tf.backend() as unknown as CpuBackend;
    const xv = f32(be, xt);
    const wv = f32(be, wt);
    const y = new Float32Array(M * N);
    n.sgemm(false, false, M, N, K, 1, xv, 0, K, wv, 0, N, 0, y, 0, N);
    if (bt) n.binary(0, y, f32(be, bt), y, Int32Array.of(M, N), Int32Array.of(N, 1), Int32Array.of(0, 1));
    if (relu) n.unary(6, y, y, 0);
    save([xt, wt]);
    return {
      value: tf.tensor2d(y, [M, N]),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const be2 = tf.backend() as unknown as CpuBackend;
        let g = f32(be2, dy as tf.Tensor);
        if (relu) {
          const masked = new Float32Array(M * N);
          n.reluGrad(g, y, masked);
          g = masked;
        }
        const dx = new Float32Array(M * K);
        const dw = new Float32Array(K * N);
        n.sgemm(false, true, M, K, N, 1, g, 0, N, f32(be2, saved[1] as tf.Tensor), 0, N, 0, dx, 0, K);
        n.sgemm(true, false, K, N, M, 1, f32(be2, saved[0] as tf.Tensor), 0, K, g, 0, N, 0, dw, 0, N);
        const grads = [tf.tensor2d(dx, [M, K]), tf.tensor2d(dw, [K, N])];
        if (bt) {
          const db = new Float32Array(N);
          if (M > 0) n.reduce(0, g, db, 1, M, N);
          grads.push(tf.tensor1d(db) as unknown as tf.Tensor2D);
        }
        return grads;
      },
    };
  };
  if (b) {
    const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) =>
      forward(args[0] as tf.Tensor, args[1] as tf.Tensor, args[2] as tf.Tensor, args[3] as tf.GradSaveFunc),
    );
    return f(x, w, b) as tf.Tensor2D;
  }
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) =>
    forward(args[0] as tf.Tensor, args[1] as tf.Tensor, undefined, args[2] as tf.GradSaveFunc),
  );
  return f(x, w) as tf.Tensor2D;
}
