import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { bpr, infonce, sampledSoftmax, triplet } from '../src/index.ts';

beforeAll(async () => {
  await tf.ready();
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
