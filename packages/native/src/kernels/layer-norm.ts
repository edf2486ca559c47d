import * as tf from '@tensorflow/tfjs-core';
import { addon, nativeAvailable } from '../addon.ts';
import type { CpuBackend } from './util.ts';

function f32(be: CpuBackend, t: tf.Tensor): Float32Array {
  const v = be.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : Float32Array.from(t.dataSync() as ArrayLike<number>);
}

/**
 * Layer normalisation over the last axis, `y = (x − mean) / sqrt(var + eps) · gamma + beta`
 * (biased variance, as torch.nn.LayerNorm; Ba et al. 2016). `x` is [..., D], gamma and beta [D].
 * On the native backend it is one fused op each way (a tf.customGrad: forward keeps the per-row
 * mean and 1/std, backward computes dx, dgamma, dbeta in one pass) instead of about twenty tfjs
 * kernels; elsewhere the same formula in tfjs ops. `impl` forces one path.
 */
export function layerNorm(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps = 1e-5,
  impl: 'auto' | 'native' | 'tfjs' = 'auto',
): tf.Tensor {
  const D = x.shape[x.shape.length - 1] as number;
  if (gamma.size !== D || beta.size !== D) {
    throw new RangeError(
      `layerNorm: gamma/beta have ${gamma.size}/${beta.size} values, x's last axis has ${D}`,
    );
  }
  const useNative =
    impl === 'native' ||
    (impl === 'auto' && tf.getBackend() === 'cpu' && nativeAvailable() && x.dtype === 'float32');
  if (!useNative) {
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
    });
  }
  const R = D > 0 ? x.size / D : 0;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xt, g, b] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
    const save = args[3] as tf.GradSaveFunc;
    const be = tf.backend() as unknown as CpuBackend;
    const y = new Float32Array(R * D);
    const mean = new Float32Array(R);
    const rstd = new Float32Array(R);
    addon().layerNormFwd(f32(be, xt), f32(be, g), f32(be, b), R, D, eps, y, mean, rstd);
    save([xt, g, tf.tensor1d(mean), tf.tensor1d(rstd)]);
    return {
      value: tf.tensor(y, xt.shape),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sg, sm, sr] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const be2 = tf.backend() as unknown as CpuBackend;
        const dx = new Float32Array(R * D);
        const dgamma = new Float32Array(D);
        const dbeta = new Float32Array(D);
        addon().layerNormBwd(
          f32(be2, sx),
          f32(be2, sg),
          f32(be2, sm),
          f32(be2, sr),
          f32(be2, dy as tf.Tensor),
          R,
          D,
          dx,
          dgamma,
          dbeta,
        );
        return [tf.tensor(dx, sx.shape), tf.tensor1d(dgamma), tf.tensor1d(dbeta)];
      },
    };
  });
  return f(x, gamma, beta);
}
