// The fused in-batch softmax cross-entropy and the row-sparse optimisers against tfjs.
import { Rng } from '@embrec/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupNativeBackend } from '../src/backend.ts';
import { nativeAdam } from '../src/kernels/adam.ts';
import { dense } from '../src/kernels/dense.ts';
import { registerGatherGradient, unregisterGatherGradient } from '../src/kernels/gradients.ts';
import { l2Normalize } from '../src/kernels/l2-normalize.ts';
import { layerNorm } from '../src/kernels/layer-norm.ts';
import {
  inBatchSoftmaxCrossEntropy,
  inBatchSoftmaxCrossEntropyTfjs,
  inBatchSoftmaxLoss,
} from '../src/kernels/softmax-ce.ts';
import { dedupRows, gatherRows, SparseRowOptimizer } from '../src/kernels/sparse-optim.ts';

const rng = new Rng(11);
function randn(n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}
function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, label: string): void {
  expect(a.length, label).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (Math.abs(x - y) > tol * (1 + Math.abs(y))) expect.fail(`${label}[${i}]: ${x} vs ${y}`);
  }
}

/** Reference in float64: loss and dloss/dlogits. */
function reference(
  s: Float32Array,
  B: number,
  N: number,
  t: number,
  logQ?: Float32Array,
  ids?: Int32Array,
  labels?: Int32Array,
): { loss: number; grad: Float64Array } {
  const grad = new Float64Array(B * N);
  let total = 0;
  for (let i = 0; i < B; i++) {
    const l = labels ? (labels[i] as number) : i;
    const z: number[] = [];
    for (let j = 0; j < N; j++) {
      const masked = ids !== undefined && j !== l && ids[j] === ids[l];
      z.push(
        masked ? Number.NEGATIVE_INFINITY : (s[i * N + j] as number) / t - (logQ ? (logQ[j] as number) : 0),
      );
    }
    const m = Math.max(...z);
    const sum = z.reduce((a, v) => a + Math.exp(v - m), 0);
    total += m + Math.log(sum) - (z[l] as number);
    for (let j = 0; j < N; j++)
      grad[i * N + j] = (Math.exp((z[j] as number) - m) / sum - (j === l ? 1 : 0)) / (t * B);
  }
  return { loss: total / B, grad };
}

beforeAll(async () => {
  await setupNativeBackend();
});

describe('inBatchSoftmaxCrossEntropy', () => {
  it('native and tfjs paths match a float64 reference (value and gradient)', () => {
    for (let trial = 0; trial < 12; trial++) {
      const B = 1 + rng.int(9);
      const square = trial % 3 !== 2;
      const N = square ? B : B + rng.int(5);
      const t = [1, 0.1, 0.05, 2][trial % 4] as number;
      const s = randn(B * N);
      const logQ = trial % 2 === 0 ? randn(N, 0.5) : undefined;
      const ids = trial % 4 < 2 ? Int32Array.from({ length: N }, () => rng.int(4)) : undefined;
      const labels = square && trial % 5 !== 0 ? undefined : Int32Array.from({ length: B }, () => rng.int(N));
      const opts = {
        temperature: t,
        ...(logQ ? { logQ } : {}),
        ...(ids ? { ids } : {}),
        ...(labels ? { labels } : {}),
      };
      const ref = reference(s, B, N, t, logQ, ids, labels);
      const x = tf.tensor2d(s, [B, N]);
      for (const impl of ['native', 'tfjs'] as const) {
        const { value, grad } = tf.valueAndGrad((l: tf.Tensor) =>
          inBatchSoftmaxCrossEntropy(l as tf.Tensor2D, { ...opts, impl }),
        )(x);
        close([value.dataSync()[0] as number], [ref.loss], 1e-5, `${impl} loss (trial ${trial})`);
        close(grad.dataSync(), ref.grad, 1e-5, `${impl} grad (trial ${trial})`);
        tf.dispose([value, grad]);
      }
      x.dispose();
    }
  });
  it('inBatchSoftmaxLoss (fused q·pᵀ + CE) matches tfjs in value and gradients, without leaks', () => {
    for (const [B, N, D] of [
      [8, 8, 4],
      [5, 9, 3],
      [1, 1, 2],
    ] as const) {
      const q = tf.tensor2d(randn(B * D), [B, D]);
      const p = tf.tensor2d(randn(N * D), [N, D]);
      const opts = {
        temperature: 0.2,
        logQ: randn(N, 0.3),
        ids: Int32Array.from({ length: N }, () => rng.int(3)),
        ...(N !== B ? { labels: Int32Array.from({ length: B }, () => rng.int(N)) } : {}),
      };
      const w = tf.scalar(1.7); // upstream gradient other than 1
      const before = tf.memory().numTensors;
      const got = tf.tidy(() => {
        const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
          tf.mul(inBatchSoftmaxLoss(a as tf.Tensor2D, b as tf.Tensor2D, { ...opts, impl: 'native' }), w),
        )([q, p]);
        return [value, ...grads].map((t) => t.dataSync().slice() as Float32Array);
      });
      expect(tf.memory().numTensors).toBe(before);
      const ref = tf.tidy(() => {
        const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
          tf.mul(inBatchSoftmaxCrossEntropyTfjs(tf.matMul(a, b, false, true) as tf.Tensor2D, opts), w),
        )([q, p]);
        return [value, ...grads].map((t) => t.dataSync().slice() as Float32Array);
      });
      for (let k = 0; k < 3; k++)
        close(got[k] as Float32Array, ref[k] as Float32Array, 1e-4, `fused loss ${B}x${N} out ${k}`);
      tf.dispose([q, p, w]);
    }
  });
  it('rejects inconsistent option lengths', () => {
    const x = tf.zeros([3, 3]) as tf.Tensor2D;
    expect(() => inBatchSoftmaxCrossEntropy(x, { logQ: new Float32Array(2) })).toThrow(/logQ has 2 entries/);
    expect(() => inBatchSoftmaxCrossEntropy(x, { temperature: 0 })).toThrow(/temperature/);
  });
});

describe('SparseRowOptimizer', () => {
  function denseRun(
    kind: 'adam' | 'adagrad',
    table: Float32Array,
    dim: number,
    batches: { ids: Int32Array; g: Float32Array }[],
  ): Float32Array {
    const rows = table.length / dim;
    const v = tf.variable(tf.tensor2d(table.slice(), [rows, dim]));
    const opt = kind === 'adam' ? tf.train.adam(0.01) : tf.train.adagrad(0.05, 0.1);
    for (const b of batches) {
      const idx = tf.tensor1d(b.ids, 'int32');
      const gRows = tf.tensor2d(b.g, [b.ids.length, dim]);
      const dense = tf.unsortedSegmentSum(gRows, idx, rows);
      opt.applyGradients([{ name: v.name, tensor: dense }]);
      tf.dispose([idx, gRows, dense]);
    }
    const out = v.dataSync().slice() as Float32Array;
    opt.dispose();
    v.dispose();
    return out;
  }
  for (const kind of ['adam', 'adagrad'] as const) {
    it(`${kind}: equals tf.train.${kind} when the same rows get gradients every step`, () => {
      const dim = 5;
      const rows = 12;
      const table = randn(rows * dim);
      const touched = [3, 7, 7, 0, 11]; // a repeated id: its gradients are summed
      const batches = Array.from({ length: 6 }, () => ({
        ids: Int32Array.from(touched),
        g: randn(touched.length * dim),
      }));
      const ref = denseRun(kind, table, dim, batches);
      const mine = table.slice();
      const opt = new SparseRowOptimizer(
        mine,
        dim,
        kind === 'adam' ? { lr: 0.01 } : { kind, lr: 0.05, eps: 1e-7 },
      );
      for (const b of batches) opt.apply(b.ids, b.g);
      close(mine, ref, kind === 'adam' ? 1e-5 : 1e-4, kind);
      // untouched rows did not move
      for (let j = 0; j < dim; j++) expect(mine[1 * dim + j]).toBe(table[1 * dim + j]);
    });
  }
  it('gatherRows/dedupRows and bad ids', () => {
    const t = Float32Array.from({ length: 12 }, (_, i) => i);
    expect(Array.from(gatherRows(t, 3, Int32Array.of(2, 0)))).toEqual([6, 7, 8, 0, 1, 2]);
    expect(() => gatherRows(t, 3, Int32Array.of(4))).toThrow(/not in \[0, 4\)/);
    const d = dedupRows(Int32Array.of(5, 2, 5, 9), 10);
    expect(Array.from(d.unique)).toEqual([5, 2, 9]);
    expect(Array.from(d.inverse)).toEqual([0, 1, 0, 2]);
    const opt = new SparseRowOptimizer(new Float32Array(12), 3);
    expect(() => opt.apply(Int32Array.of(1), new Float32Array(2))).toThrow(/expected 1 x 3/);
    expect(() => opt.apply(Int32Array.of(7), new Float32Array(3))).toThrow(/not in \[0, 4\)/);
  });
});

describe('NativeAdamOptimizer', () => {
  it('follows tf.train.adam step for step and leaves shared tensors alone', () => {
    const init = randn(40);
    const grads = Array.from({ length: 8 }, () => randn(40));
    const runWith = (native: boolean): { out: Float32Array; snap: Float32Array } => {
      const v = tf.variable(tf.tensor2d(init, [8, 5]));
      const snapshot = tf.clone(v); // shares v's storage: must not change
      const opt = native ? nativeAdam(0.05) : tf.train.adam(0.05);
      for (const g of grads) {
        const gt = tf.tensor2d(g, [8, 5]);
        opt.applyGradients([{ name: v.name, tensor: gt }]);
        gt.dispose();
      }
      const out = v.dataSync().slice() as Float32Array;
      const snap = snapshot.dataSync().slice() as Float32Array;
      tf.dispose([v, snapshot]);
      opt.dispose();
      return { out, snap };
    };
    const ref = runWith(false);
    const got = runWith(true);
    close(got.out, ref.out, 1e-5, 'adam params');
    close(got.snap, init, 0, 'snapshot');
    expect(got.out[0]).not.toBe(init[0]);
  });
});

describe('layerNorm', () => {
  it('native fused op matches the tfjs formula in value and gradients', () => {
    for (const shape of [
      [7, 5],
      [1, 16],
      [2, 3, 4],
      [0, 4],
    ]) {
      const D = shape[shape.length - 1] as number;
      const n = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor(randn(n, 2), shape);
      const g = tf.tensor1d(randn(D));
      const b = tf.tensor1d(randn(D));
      const w = tf.tensor(randn(n), shape); // a random upstream gradient
      const run = (impl: 'native' | 'tfjs') =>
        tf.tidy(() => {
          const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
            tf.sum(tf.mul(layerNorm(xx, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-5, impl), w));
          const y = layerNorm(x, g, b, 1e-5, impl);
          const grads = tf.grads(f)([x, g, b]);
          return [y, ...grads].map((t) => t.dataSync().slice() as Float32Array);
        });
      const before = tf.memory().numTensors;
      const nat = run('native');
      expect(tf.memory().numTensors).toBe(before);
      const ref = run('tfjs');
      for (let k = 0; k < 4; k++)
        close(nat[k] as Float32Array, ref[k] as Float32Array, 2e-4, `layerNorm ${shape} output ${k}`);
      tf.dispose([x, g, b, w]);
    }
  });
});

describe('l2Normalize', () => {
  it('the fused op gives the bits of the tfjs chain on the native kernels, values and gradients', () => {
    const cases: [string, number, number, (i: number) => number][] = [
      ['unit scale', 257, 64, () => rng.normal()],
      ['wide', 33, 256, () => rng.normal() * 0.05],
      ['large', 9, 7, () => rng.normal() * 1e4],
      ['tiny and zero rows', 6, 5, (i) => (i < 10 ? 0 : rng.normal() * 1e-21)],
      ['empty', 0, 8, () => 0],
    ];
    for (const [label, R, D, gen] of cases) {
      const x = tf.tensor2d(
        Float32Array.from({ length: R * D }, (_, i) => gen(i)),
        [R, D],
      );
      const w = tf.tensor2d(randn(R * D), [R, D]); // a random upstream gradient
      const run = (impl: 'native' | 'tfjs') =>
        tf.tidy(() => {
          const y = l2Normalize(x, impl);
          const [dx] = tf.grads((xx: tf.Tensor) => tf.sum(tf.mul(l2Normalize(xx as tf.Tensor2D, impl), w)))([
            x,
          ]);
          return [y, dx!].map((t) => t.dataSync().slice() as Float32Array);
        });
      const before = tf.memory().numTensors;
      const nat = run('native');
      expect(tf.memory().numTensors, label).toBe(before);
      const ref = run('tfjs');
      for (let k = 0; k < 2; k++) {
        const a = new Uint32Array((nat[k] as Float32Array).buffer);
        const b = new Uint32Array((ref[k] as Float32Array).buffer);
        expect(a.length, label).toBe(b.length);
        for (let i = 0; i < a.length; i++)
          if (a[i] !== b[i]) expect.fail(`${label} output ${k}[${i}]: ${nat[k]![i]} vs ${ref[k]![i]}`);
      }
      for (const v of nat[1]!) expect(Number.isFinite(v), label).toBe(true);
      tf.dispose([x, w]);
    }
  });

  it('rows come out with unit norm and the gradient is orthogonal to them', () => {
    const R = 5;
    const D = 12;
    const x = tf.tensor2d(randn(R * D, 3), [R, D]);
    const w = tf.tensor2d(randn(R * D), [R, D]);
    const y = l2Normalize(x, 'native').dataSync();
    const [dx] = tf.grads((xx: tf.Tensor) => tf.sum(tf.mul(l2Normalize(xx as tf.Tensor2D, 'native'), w)))([
      x,
    ]);
    const g = dx!.dataSync();
    const xv = x.dataSync();
    for (let i = 0; i < R; i++) {
      let n = 0;
      let dot = 0;
      for (let j = 0; j < D; j++) {
        n += y[i * D + j]! ** 2;
        dot += g[i * D + j]! * xv[i * D + j]!; // d‖x‖-invariant: dx ⟂ x
      }
      expect(n).toBeCloseTo(1, 5);
      expect(Math.abs(dot)).toBeLessThan(1e-5);
    }
    tf.dispose([x, w, dx!]);
  });
});

describe('GatherV2 gradient', () => {
  it('the short axis-0 gradient equals tfjs own, and other axes still work', () => {
    const x = tf.tensor2d(randn(7 * 3), [7, 3]);
    const idx = tf.tensor2d([0, 6, 6, 2, 1, 0], [3, 2], 'int32');
    const w = tf.tensor(randn(3 * 2 * 3), [3, 2, 3]);
    const idx1 = tf.tensor2d([0, 2, 2, 1, 1, 0], [3, 2], 'int32');
    const w1 = tf.tensor(randn(7 * 3 * 2), [7, 3, 2]);
    const grads = () => [
      tf
        .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx), w)))(x)
        .dataSync()
        .slice(),
      tf
        .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx1, 1), w1)))(x)
        .dataSync()
        .slice(),
    ];
    registerGatherGradient();
    const mine = grads();
    unregisterGatherGradient();
    const ref = grads();
    registerGatherGradient();
    close(mine[0] as Float32Array, ref[0] as Float32Array, 1e-6, 'axis 0');
    close(mine[1] as Float32Array, ref[1] as Float32Array, 1e-6, 'axis 1');
    tf.dispose([x, idx, idx1, w, w1]);
  });
});

describe('dense', () => {
  it('native fused layer matches tf.fused.matMul in value and gradients (relu/linear, bias or not)', () => {
    for (const [M, K, N] of [
      [9, 4, 6],
      [1, 3, 2],
      [0, 3, 2],
    ] as const) {
      for (const act of ['relu', 'linear'] as const) {
        for (const withBias of [true, false]) {
          const x = tf.tensor2d(randn(M * K), [M, K]);
          const w = tf.tensor2d(randn(K * N), [K, N]);
          const b = tf.tensor1d(randn(N));
          const up = tf.tensor2d(randn(M * N), [M, N]);
          const run = (impl: 'native' | 'tfjs') =>
            tf.tidy(() => {
              const args = withBias ? [x, w, b] : [x, w];
              const f = (...t: tf.Tensor[]) =>
                tf.sum(
                  tf.mul(
                    dense(
                      t[0] as tf.Tensor2D,
                      t[1] as tf.Tensor2D,
                      t[2] as tf.Tensor1D | undefined,
                      act,
                      impl,
                    ),
                    up,
                  ),
                );
              const y = dense(x, w, withBias ? b : undefined, act, impl);
              return [y, ...tf.grads(f)(args)].map((t) => t.dataSync().slice() as Float32Array);
            });
          const before = tf.memory().numTensors;
          const got = run('native');
          expect(tf.memory().numTensors).toBe(before);
          const ref = run('tfjs');
          expect(got.length).toBe(ref.length);
          for (let k = 0; k < got.length; k++) {
            close(
              got[k] as Float32Array,
              ref[k] as Float32Array,
              1e-5,
              `dense ${M}x${K}x${N} ${act} bias=${withBias} out ${k}`,
            );
          }
          tf.dispose([x, w, b, up]);
        }
      }
    }
  });
});
