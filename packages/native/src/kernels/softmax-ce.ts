import * as tf from '@tensorflow/tfjs-core';
import { addon, nativeAvailable } from '../addon.ts';
import type { CpuBackend } from './util.ts';

/** Options of the in-batch softmax cross-entropy. */
export interface InBatchSoftmaxOptions {
  /** Softmax temperature τ (default 1). A number: a learnable τ needs the pure-tfjs path. */
  temperature?: number;
  /** log sampling probability of each column's item, [N]: subtracted after the temperature. */
  logQ?: Float32Array;
  /** Item id of each column, [N]: a column holding the same item as the row's positive is masked. */
  ids?: Int32Array;
  /** Column of each row's positive, [B] (default: row i's positive is column i). */
  labels?: Int32Array;
  /** 'auto' (default): native when tfjs runs the cpu backend and the addon loads; else tfjs. */
  impl?: 'auto' | 'native' | 'tfjs';
}

function checkOpts(B: number, N: number, o: InBatchSoftmaxOptions): Int32Array {
  const labels = o.labels ?? Int32Array.from({ length: B }, (_, i) => i);
  if (labels.length !== B)
    throw new RangeError(`inBatchSoftmax: labels has ${labels.length} entries, logits have ${B} rows`);
  if (!o.labels && N < B) throw new RangeError(`inBatchSoftmax: logits [${B}, ${N}] need labels when N < B`);
  if (o.logQ && o.logQ.length !== N)
    throw new RangeError(`inBatchSoftmax: logQ has ${o.logQ.length} entries, logits have ${N} columns`);
  if (o.ids && o.ids.length !== N)
    throw new RangeError(`inBatchSoftmax: ids has ${o.ids.length} entries, logits have ${N} columns`);
  const t = o.temperature ?? 1;
  if (!(t > 0)) throw new RangeError(`inBatchSoftmax: temperature must be > 0, got ${t}`);
  return labels;
}

/**
 * In-batch softmax cross-entropy (sampled softmax over the batch, InfoNCE), mean over rows:
 *
 *   z_ij = s_ij / τ − logQ_j,  z_ij = −∞ where ids_j = ids_{l_i} and j ≠ l_i (accidental hits)
 *   loss = (1/B) Σ_i [ logΣ_j exp z_ij − z_{i,l_i} ]
 *
 * (Yi et al., "Sampling-bias-corrected neural modeling for large corpus item recommendations",
 * RecSys 2019, for the logQ correction.) `logits` is [B, N] (s = q·pᵀ, usually N = B), `l_i` is
 * `labels[i]` (default i). On the native backend it is one fused op (one pass forward, the
 * gradient (softmax − onehot)/(τB) kept for the backward pass) registered through tf.customGrad;
 * elsewhere it is the same formula in tfjs ops. Both give the same values and gradients.
 */
export function inBatchSoftmaxCrossEntropy(logits: tf.Tensor2D, opts: InBatchSoftmaxOptions = {}): tf.Scalar {
  const impl = opts.impl ?? 'auto';
  const useNative = impl === 'native' || (impl === 'auto' && tf.getBackend() === 'cpu' && nativeAvailable());
  if (!useNative) return inBatchSoftmaxCrossEntropyTfjs(logits, opts);
  if (tf.getBackend() !== 'cpu') throw new Error("inBatchSoftmax: impl 'native' needs tfjs's cpu backend");
  const [B, N] = logits.shape;
  const labels = checkOpts(B, N, opts);
  const invT = 1 / (opts.temperature ?? 1);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const be = tf.backend() as unknown as CpuBackend;
    const raw = be.data.get(x.dataId).values;
    const s = raw instanceof Float32Array ? raw : Float32Array.from(x.dataSync() as ArrayLike<number>);
    const grad = new Float32Array(B * N);
    const loss = addon().inBatchSoftmaxCE(
      s,
      B,
      N,
      invT,
      opts.logQ ?? null,
      opts.ids ?? null,
      labels,
      grad,
    ) as number;
    const g = tf.tensor2d(grad, [B, N]);
    save([g]);
    return {
      value: tf.scalar(loss),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const d = dy as tf.Tensor;
        const g0 = saved[0] as tf.Tensor;
        // The usual upstream gradient of a loss is exactly 1: skip a [B, N] multiply.
        return d.size === 1 && d.dataSync()[0] === 1 ? tf.clone(g0) : tf.mul(g0, d);
      },
    };
  });
  return f(logits) as tf.Scalar;
}

/** The same loss in tfjs ops (any backend, learnable temperature allowed when passed as a tensor). */
export function inBatchSoftmaxCrossEntropyTfjs(
  logits: tf.Tensor2D,
  opts: Omit<InBatchSoftmaxOptions, 'temperature'> & { temperature?: number | tf.Scalar } = {},
): tf.Scalar {
  const [B, N] = logits.shape;
  const labels = checkOpts(B, N, {
    ...opts,
    temperature: typeof opts.temperature === 'number' ? opts.temperature : 1,
  });
  return tf.tidy(() => {
    let z: tf.Tensor2D = tf.div(logits, opts.temperature ?? 1);
    if (opts.logQ) z = tf.sub(z, tf.tensor1d(opts.logQ));
    const oh = new Float32Array(B * N);
    for (let i = 0; i < B; i++) oh[i * N + (labels[i] as number)] = 1;
    const onehot = tf.tensor2d(oh, [B, N]);
    if (opts.ids) {
      const ids = opts.ids;
      const mask = new Float32Array(B * N);
      for (let i = 0; i < B; i++) {
        const pid = ids[labels[i] as number];
        for (let j = 0; j < N; j++) if (j !== labels[i] && ids[j] === pid) mask[i * N + j] = 1;
      }
      z = tf.sub(z, tf.mul(tf.tensor2d(mask, [B, N]), 1e9));
    }
    const lse = tf.logSumExp(z, 1);
    const pos = tf.sum(tf.mul(z, onehot), 1);
    return tf.mean(tf.sub(lse, pos)) as tf.Scalar;
  });
}

/**
 * `inBatchSoftmaxCrossEntropy(query · positiveᵀ)`: query is [B, D], positive [N, D]. On the native
 * backend the logits never become a tensor: one sgemm fills a [B, N] buffer, the loss pass turns it
 * into dloss/dlogits in place, and the backward pass is two sgemms (dq = G·p, dp = Gᵀ·q).
 */
export function inBatchSoftmaxLoss(
  query: tf.Tensor2D,
  positive: tf.Tensor2D,
  opts: InBatchSoftmaxOptions = {},
): tf.Scalar {
  const impl = opts.impl ?? 'auto';
  const useNative =
    impl === 'native' ||
    (impl === 'auto' &&
      tf.getBackend() === 'cpu' &&
      nativeAvailable() &&
      query.dtype === 'float32' &&
      positive.dtype === 'float32');
  if (!useNative) {
    return tf.tidy(() =>
      inBatchSoftmaxCrossEntropyTfjs(tf.matMul(query, positive, false, true) as tf.Tensor2D, opts),
    );
  }
  const [B, D] = query.shape;
  const [N, D2] = positive.shape;
  if (D !== D2)
    throw new RangeError(`inBatchSoftmaxLoss: query is [${B}, ${D}] but positive is [${N}, ${D2}]`);
  const labels = checkOpts(B, N, opts);
  const invT = 1 / (opts.temperature ?? 1);
  const n = addon();
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [qt, pt] = args as [tf.Tensor, tf.Tensor];
    const save = args[2] as tf.GradSaveFunc;
    const be = tf.backend() as unknown as CpuBackend;
    const q = f32(be, qt);
    const p = f32(be, pt);
    // logits, then dloss/dlogits; private to this op, so the buffer is recycled after the backward pass
    let G = spare !== undefined && spare.length === B * N ? spare : new Float32Array(B * N);
    if (G === spare) spare = undefined;
    n.sgemm(false, true, B, N, D, 1, q, 0, D, p, 0, D, 0, G, 0, N);
    const loss = n.inBatchSoftmaxCE(G, B, N, invT, opts.logQ ?? null, opts.ids ?? null, labels, G) as number;
    save([qt, pt]);
    return {
      value: tf.scalar(loss),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const scale = (dy as tf.Tensor).dataSync()[0] as number;
        const be2 = tf.backend() as unknown as CpuBackend;
        const sq = f32(be2, saved[0] as tf.Tensor);
        const sp = f32(be2, saved[1] as tf.Tensor);
        const dq = new Float32Array(B * D);
        const dp = new Float32Array(N * D);
        n.sgemm(false, false, B, D, N, scale, G, 0, N, sp, 0, D, 0, dq, 0, D); // [B,N]·[N,D]
        n.sgemm(true, false, N, D, B, scale, G, 0, N, sq, 0, D, 0, dp, 0, D); // [B,N]ᵀ·[B,D]
        spare = G;
        G = new Float32Array(0); // a second backward through the same tape must not read a recycled buffer
        return [tf.tensor2d(dq, [B, D]), tf.tensor2d(dp, [N, D])];
      },
    };
  });
  return f(query, positive) as tf.Scalar;
}

/** The [B, N] work buffer of the last finished inBatchSoftmaxLoss backward pass, for the next call. */
let spare: Float32Array | undefined;

function f32(be: CpuBackend, t: tf.Tensor): Float32Array {
  const v = be.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : Float32Array.from(t.dataSync() as ArrayLike<number>);
}
