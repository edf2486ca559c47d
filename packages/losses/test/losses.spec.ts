import '@tensorflow/tfjs-backend-cpu';
import { ensureGradients } from '@embrec/native';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { bpr, infonce, sampledSoftmax, triplet } from '../src/index.ts';

beforeAll(async () => {
  await tf.ready();
  await ensureGradients(); // tfjs-core's Node entry registers no gradients (the trainer does this too)
});

const opts = { temperature: 1, learnable: false, logQ: false, maskHits: false };
const logSumExp = (xs: number[]) => Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));

/** Reference InfoNCE row by row, in plain numbers. */
function refInfonce(q: number[][], p: number[][], tau: number, logQ?: number[], ids?: number[]): number {
  const b = q.length;
  let total = 0;
  for (let i = 0; i < b; i++) {
    const row: number[] = [];
    for (let j = 0; j < b; j++) {
      if (ids && j !== i && ids[j] === ids[i]) continue;
      const dot = q[i]!.reduce((s, x, k) => s + x * p[j]![k]!, 0) / tau;
      row.push(dot - (logQ ? logQ[j]! + Math.log(b) : 0));
    }
    const pos = q[i]!.reduce((s, x, k) => s + x * p[i]![k]!, 0) / tau - (logQ ? logQ[i]! + Math.log(b) : 0);
    total += logSumExp(row) - pos;
  }
  return total / b;
}

const q = [
  [1, 0],
  [0.5, 0.5],
  [0, 1],
];
const p = [
  [0.8, 0.1],
  [0.2, 0.9],
  [0.3, 0.3],
];

function run(fn: () => tf.Scalar): number {
  return tf.tidy(() => fn().dataSync()[0]!);
}

describe('infonce', () => {
  it('matches the formula, with temperature', () => {
    const v = run(() => infonce({ query: tf.tensor2d(q), positive: tf.tensor2d(p) }, 0.5, opts));
    expect(v).toBeCloseTo(refInfonce(q, p, 0.5), 5);
  });

  it('subtracts log Q + log B (Yi et al. 2019)', () => {
    const lq = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];
    const v = run(() =>
      infonce({ query: tf.tensor2d(q), positive: tf.tensor2d(p), logQPositive: Float32Array.from(lq) }, 1, {
        ...opts,
        logQ: true,
      }),
    );
    expect(v).toBeCloseTo(refInfonce(q, p, 1, lq), 5);
    const off = run(() => infonce({ query: tf.tensor2d(q), positive: tf.tensor2d(p) }, 1, opts));
    expect(Math.abs(v - off)).toBeGreaterThan(1e-3);
  });

  it('masks accidental hits: the same item twice in the batch', () => {
    const ids = Int32Array.from([7, 7, 3]);
    const v = run(() =>
      infonce({ query: tf.tensor2d(q), positive: tf.tensor2d(p), positiveIds: ids }, 1, {
        ...opts,
        maskHits: true,
      }),
    );
    expect(v).toBeCloseTo(refInfonce(q, p, 1, undefined, [7, 7, 3]), 5);
    const unmasked = run(() =>
      infonce({ query: tf.tensor2d(q), positive: tf.tensor2d(p), positiveIds: ids }, 1, opts),
    );
    expect(unmasked).toBeGreaterThan(v);
  });
});

describe('infonce with negatives shared by the batch (mixed sampling)', () => {
  // the fused path (a number τ) against the tfjs formula (a tensor τ): values and all three gradients
  const b = 6;
  const n = 4;
  const d = 5;
  const rand = (len: number, seed: number) =>
    Float32Array.from({ length: len }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 0.8);
  const base = {
    positiveIds: Int32Array.from([3, 7, 3, 9, 11, 12]), // 3 twice: an in-batch hit
    logQPositive: Float32Array.from([-2, -3, -2, -4, -1.5, -2.5]),
    negativeIds: Int32Array.from([7, 20, 21, 22]), // 7 is row 1's positive: a hit in that row
    logQNegative: Float32Array.from([-3.2, -3.2, -3.2, -3.2]),
  };
  const lossAndGrads = (tau: number | 'tensor', bare: boolean, o: typeof opts) =>
    tf.tidy(() => {
      const f = (qq: tf.Tensor, pp: tf.Tensor, nn: tf.Tensor) =>
        infonce(
          {
            ...(bare ? { positiveIds: base.positiveIds, logQPositive: base.logQPositive } : base),
            query: qq as tf.Tensor2D,
            positive: pp as tf.Tensor2D,
            negatives: nn,
          },
          tau === 'tensor' ? tf.scalar(0.3) : 0.3,
          o,
        );
      const x = [
        tf.tensor2d(rand(b * d, 1), [b, d]),
        tf.tensor2d(rand(b * d, 2), [b, d]),
        tf.tensor2d(rand(n * d, 3), [n, d]),
      ];
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor, c: tf.Tensor, e: tf.Tensor) => f(a, c, e))(x);
      return [value.dataSync()[0]!, ...grads.map((g) => Array.from(g.dataSync()))] as const;
    });
  for (const [name, bare, o] of [
    ['logQ and hits', false, { ...opts, logQ: true, maskHits: true }],
    ['no logQ, no masking', false, opts],
    ['negatives without ids or logQ', true, { ...opts, logQ: true, maskHits: true }],
  ] as const) {
    it(`gives the tfjs formula's value and gradients (${name})`, () => {
      const [v1, ...g1] = lossAndGrads(0.3, bare, o);
      const [v2, ...g2] = lossAndGrads('tensor', bare, o);
      expect(v1).toBeCloseTo(v2, 5);
      for (let k = 0; k < 3; k++)
        g1[k]!.forEach((x, i) => {
          expect(x).toBeCloseTo(g2[k]![i]!, 5);
        });
    });
  }
});

describe('pairwise losses', () => {
  it('bpr = mean softplus(neg − pos)', () => {
    const v = run(() =>
      bpr({
        query: tf.tensor2d([[1, 2]]),
        positive: tf.tensor2d([[1, 0]]),
        negatives: tf.tensor3d([
          [
            [0, 1],
            [1, 1],
          ],
        ]),
      }),
    );
    // pos = 1; negs = 2, 3 → softplus(1), softplus(2)
    const sp = (x: number) => Math.log1p(Math.exp(x));
    expect(v).toBeCloseTo((sp(1) + sp(2)) / 2, 5);
  });

  it('triplet = mean max(0, ‖q−p‖² − ‖q−n‖² + α)', () => {
    const v = run(() =>
      triplet(
        {
          query: tf.tensor2d([[0, 0]]),
          positive: tf.tensor2d([[1, 0]]),
          negatives: tf.tensor2d([
            [2, 0],
            [0, 1],
          ]),
        },
        0.5,
      ),
    );
    // d+ = 1; d− = 4, 1 → max(0, 1 − 4 + .5) = 0, max(0, 1 − 1 + .5) = .5
    expect(v).toBeCloseTo(0.25, 6);
  });

  it('sampled softmax masks a negative equal to the positive and subtracts log(N·Q)', () => {
    const base = {
      query: tf.tensor2d([[1, 0]]),
      positive: tf.tensor2d([[1, 0]]),
      negatives: tf.tensor2d([
        [1, 0],
        [0, 1],
      ]),
      positiveIds: Int32Array.from([4]),
      negativeIds: Int32Array.from([4, 9]),
      logQNegative: Float32Array.from([Math.log(0.25), Math.log(0.25)]),
    };
    const v = run(() => sampledSoftmax(base, 1, { logQ: true, maskHits: true }));
    // logits: pos 1, neg(9) 0 − log(2·0.25); neg(4) masked
    const negLogit = 0 - Math.log(0.5);
    expect(v).toBeCloseTo(logSumExp([1, negLogit]) - 1, 5);
  });
});
