import * as tf from '@tensorflow/tfjs-core';
import { addon, nativeAvailable } from '../addon.ts';
import { type CpuBackend, values } from './util.ts';

/** The tfjs op chain {@link l2Normalize} stands for: x · rsqrt(Σ x² + 1e-12) over the last axis of [R, D]. */
export function l2NormalizeTfjs(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))) as tf.Tensor2D);
}

/**
 * Rows scaled to unit L2 norm, `y = x · rsqrt(Σ_j x_j² + 1e-12)`, for a [R, D] float32 tensor. On the
 * native backend it is one fused op each way (a tf.customGrad: the forward pass keeps each row's
 * Σx² + ε and its rsqrt, the backward pass computes dx = dy·r − x·(dy·x)·r³ in one loop) instead of
 * the five forward and about a dozen backward tfjs kernels of {@link l2NormalizeTfjs}; both passes
 * give the same bits as that chain on the native kernels (the same float operations in the same
 * order, test/kernels-fused.spec.ts), so switching changes no result. `impl` forces one path.
 */
export function l2Normalize(x: tf.Tensor2D, impl: 'auto' | 'native' | 'tfjs' = 'auto'): tf.Tensor2D {
  const useNative =
    impl === 'native' ||
    (impl === 'auto' && tf.getBackend() === 'cpu' && nativeAvailable() && x.dtype === 'float32');
  if (!useNative) return l2NormalizeTfjs(x);
  if (x.rank !== 2)
    throw new RangeError(`l2Normalize: expected a [rows, dim] tensor, got shape [${x.shape}]`);
  const [R, D] = x.shape;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xt = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const be = tf.backend() as unknown as CpuBackend;
    const y = new Float32Array(R * D);
    const t = new Float32Array(R);
    const r = new Float32Array(R);
    addon().l2NormalizeFwd(values(be, xt), R, D, y, t, r);
    save([xt, tf.tensor1d(t), tf.tensor1d(r)]);
    return {
      value: tf.tensor2d(y, [R, D]),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, st, sr] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const be2 = tf.backend() as unknown as CpuBackend;
        const dx = new Float32Array(R * D);
        addon().l2NormalizeBwd(
          values(be2, sx),
          values(be2, dy as tf.Tensor),
          values(be2, st),
          values(be2, sr),
          R,
          D,
          dx,
        );
        return [tf.tensor2d(dx, [R, D])];
      },
    };
  });
  return f(x) as tf.Tensor2D;
}
