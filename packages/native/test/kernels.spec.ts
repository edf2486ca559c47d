// Property tests of the native tfjs kernel overrides: every op runs twice on the same random inputs,
// once with the overrides registered and once with tfjs's own cpu kernels, and the results (or the
// errors) must agree.
import { Rng } from '@embrec/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupNativeBackend } from '../src/backend.ts';
import {
  nativeKernelNames,
  registerNativeKernels,
  unregisterNativeKernels,
} from '../src/kernels/register.ts';

const rng = new Rng(7);

function rand(shape: number[], dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) v[i] = dtype === 'float32' ? rng.normal() : rng.int(20) - 10;
  return tf.tensor(v, shape, dtype);
}

interface Outcome {
  shape?: number[];
  dtype?: string;
  values?: Float32Array | Int32Array;
  error?: string;
}

function run(f: () => tf.Tensor): Outcome {
  try {
    const t = tf.tidy(f);
    const out = { shape: t.shape, dtype: t.dtype, values: t.dataSync() as Float32Array | Int32Array };
    t.dispose();
    return out;
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Runs f with the overrides and with tfjs's kernels; returns both outcomes. */
function both(f: () => tf.Tensor): { native: Outcome; ref: Outcome } {
  registerNativeKernels();
  const native = run(f);
  unregisterNativeKernels();
  const ref = run(f);
  registerNativeKernels();
  return { native, ref };
}

function expectSame(f: () => tf.Tensor, label: string, rtol = 1e-5): void {
  const { native, ref } = both(f);
  if (ref.error !== undefined || native.error !== undefined) {
    expect(native.error, `${label}: error`).toBe(ref.error);
    return;
  }
  expect(native.shape, `${label}: shape`).toEqual(ref.shape);
  expect(native.dtype, `${label}: dtype`).toBe(ref.dtype);
  const a = native.values as Float32Array;
  const b = ref.values as Float32Array;
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (Number.isNaN(y)) {
      expect(Number.isNaN(x), `${label}: [${i}] NaN`).toBe(true);
    } else if (!Number.isFinite(y)) {
      expect(x, `${label}: [${i}]`).toBe(y);
    } else if (Math.abs(x - y) > rtol * (1 + Math.abs(y))) {
      expect.fail(`${label}: element ${i}: native ${x} vs tfjs ${y}`);
    }
  }
}

beforeAll(async () => {
  await setupNativeBackend();
});
afterAll(() => {
  registerNativeKernels();
});

describe('native kernel registration', () => {
  it('overrides the hot kernels and can restore tfjs', () => {
    const names = registerNativeKernels();
    for (const k of ['BatchMatMul', '_FusedMatMul', 'GatherV2', 'UnsortedSegmentSum', 'Add', 'Sum']) {
      expect(names).toContain(k);
    }
    unregisterNativeKernels();
    expect(nativeKernelNames()).toEqual([]);
    registerNativeKernels();
    expect(registerNativeKernels()).toEqual(names); // idempotent
  });
});

describe('BatchMatMul', () => {
  const batches: [number[], number[]][] = [
    [[], []],
    [[3], [3]],
    [[1], [4]],
    [[4], [1]],
    [[2, 3], [3]],
    [[3], [2, 3]],
    [[], [3]],
    [[2], []],
  ];
  it('matches tfjs on random shapes, every transpose and batch broadcasting', () => {
    for (let trial = 0; trial < 40; trial++) {
      const [ba, bb] = batches[trial % batches.length] as [number[], number[]];
      const M = trial % 7 === 0 ? 1 : 1 + rng.int(9);
      const K = trial % 11 === 0 ? 1 : 1 + rng.int(9);
      const N = 1 + rng.int(9);
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = rand([...ba, ...(ta ? [K, M] : [M, K])]);
          const b = rand([...bb, ...(tb ? [N, K] : [K, N])]);
          expectSame(() => tf.matMul(a, b, ta, tb), `matMul ${a.shape}x${b.shape} ${ta} ${tb}`);
          a.dispose();
          b.dispose();
        }
      }
    }
  });
  it('handles empty and one-row matrices and reports bad inner shapes like tfjs', () => {
    const cases: [number[], number[]][] = [
      [
        [0, 4],
        [4, 3],
      ],
      [
        [2, 0],
        [0, 3],
      ],
      [
        [1, 5],
        [5, 1],
      ],
      [
        [3, 4],
        [5, 2],
      ],
    ];
    for (const [sa, sb] of cases) {
      const a = rand(sa);
      const b = rand(sb);
      expectSame(() => tf.matMul(a, b), `matMul ${sa}x${sb}`);
    }
  });
  it('broadcasts [2,1] x [1,3] batch dims (numpy rules) correctly', () => {
    const a = rand([2, 1, 3, 4]);
    const b = rand([1, 3, 4, 5]);
    const c = tf.matMul(a, b);
    expect(c.shape).toEqual([2, 3, 3, 5]);
    const cv = c.arraySync() as number[][][][];
    const av = a.arraySync() as number[][][][];
    const bv = b.arraySync() as number[][][][];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) {
        const ref = tf.matMul(tf.tensor(av[i]?.[0] as number[][]), tf.tensor(bv[0]?.[j] as number[][]));
        const got = cv[i]?.[j] as number[][];
        const rv = ref.arraySync() as number[][];
        for (let r = 0; r < 3; r++)
          for (let q = 0; q < 5; q++) expect(got[r]?.[q]).toBeCloseTo(rv[r]?.[q] as number, 4);
      }
  });
});

describe('_FusedMatMul', () => {
  it('matches tfjs for bias and activations, falling back for prelu/elu', () => {
    const acts = ['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu', 'prelu'] as const;
    for (let trial = 0; trial < 28; trial++) {
      const act = acts[trial % acts.length] as (typeof acts)[number];
      const ta = trial % 2 === 1;
      const tb = trial % 4 >= 2;
      const M = 1 + rng.int(6);
      const K = 1 + rng.int(6);
      const N = 1 + rng.int(6);
      const batch = trial % 3 === 0 ? [2] : [];
      const a = rand([...batch, ...(ta ? [K, M] : [M, K])]);
      const b = rand([...batch, ...(tb ? [N, K] : [K, N])]);
      const biasShapes = [[N], [M, N], [1], [M, 1]];
      const bias = trial % 5 === 4 ? undefined : rand(biasShapes[trial % 4] as number[]);
      const alpha = act === 'prelu' ? rand([N]) : undefined;
      expectSame(
        () =>
          tf.fused.matMul({
            a,
            b,
            transposeA: ta,
            transposeB: tb,
            ...(bias ? { bias } : {}),
            activation: act,
            ...(alpha ? { preluActivationWeights: alpha } : {}),
            leakyreluAlpha: 0.1,
          }),
        `fused ${act} ${a.shape} ${b.shape} bias ${bias?.shape}`,
      );
    }
  });
});

describe('GatherV2', () => {
  it('matches tfjs on random shapes, axes, batch dims and dtypes', () => {
    for (let trial = 0; trial < 40; trial++) {
      const rank = 1 + rng.int(3);
      const shape = Array.from({ length: rank }, () => 1 + rng.int(5));
      const axis = rng.int(rank);
      const dtype = trial % 4 === 3 ? 'int32' : 'float32';
      const x = rand(shape, dtype);
      const dim = shape[axis] as number;
      const nIdx = trial % 9 === 0 ? 0 : 1 + rng.int(7);
      const idx = tf.tensor1d(
        Array.from({ length: nIdx }, () => rng.int(dim)),
        'int32',
      );
      expectSame(() => tf.gather(x, idx, axis), `gather ${shape} axis ${axis} ${dtype}`);
      const idx2 = tf.tensor2d(
        Array.from({ length: 6 }, () => rng.int(dim)),
        [2, 3],
        'int32',
      );
      expectSame(() => tf.gather(x, idx2, axis), `gather2d ${shape} axis ${axis}`);
    }
    // batchDims = 1
    const x = rand([3, 5, 2]);
    const idx = tf.tensor2d([0, 4, 1, 2, 3, 3], [3, 2], 'int32');
    expectSame(() => tf.gather(x, idx, 1, 1), 'gather batchDims 1');
  });
  it('rejects an out-of-range index with the same error as tfjs', () => {
    const x = rand([4, 3]);
    for (const bad of [4, -1, 100]) {
      const idx = tf.tensor1d([0, bad, 1], 'int32');
      const { native, ref } = both(() => tf.gather(x, idx));
      expect(ref.error).toMatch(/not in \[0, 3\]/);
      expect(native.error).toBe(ref.error);
    }
  });
});

describe('UnsortedSegmentSum', () => {
  it('matches tfjs, including empty input, repeated and out-of-range ids', () => {
    for (let trial = 0; trial < 25; trial++) {
      const n = trial % 8 === 0 ? 0 : 1 + rng.int(12);
      const tail = [[], [3], [2, 3]][trial % 3] as number[];
      const numSegments = 1 + rng.int(6);
      const x = rand([n, ...tail]);
      const ids = tf.tensor1d(
        Array.from({ length: n }, () => rng.int(numSegments + 2) - 1),
        'int32',
      );
      expectSame(() => tf.unsortedSegmentSum(x, ids, numSegments), `segsum n=${n} ${tail} ${numSegments}`);
    }
  });
  it('is the gradient of gather (embedding rows)', () => {
    const table = rand([30, 4]);
    const ids = tf.tensor1d([1, 5, 5, 29, 0, 1], 'int32');
    const w = rand([6, 4]);
    expectSame(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), w)))(table), 'gather grad');
  });
});

describe('element-wise ops', () => {
  const pairs: [number[], number[]][] = [
    [
      [5, 7],
      [5, 7],
    ],
    [[], [5, 7]],
    [[5, 7], []],
    [[5, 7], [7]],
    [
      [5, 7],
      [5, 1],
    ],
    [
      [1, 7],
      [5, 1],
    ],
    [
      [2, 1, 4],
      [3, 1],
    ],
    [
      [2, 3, 4],
      [2, 1, 4],
    ],
    [[0, 3], [3]],
    [[1], [1]],
    [
      [3, 4],
      [2, 4],
    ], // does not broadcast: same error
  ];
  it('binary ops match tfjs for same shape, scalar, row, column and general broadcasts', () => {
    const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
      ['add', tf.add],
      ['sub', tf.sub],
      ['mul', tf.mul],
      ['div', tf.div],
      ['maximum', tf.maximum],
      ['minimum', tf.minimum],
      ['squaredDifference', tf.squaredDifference],
    ];
    for (const [sa, sb] of pairs) {
      const a = rand(sa);
      const b = rand(sb);
      for (const [name, op] of ops) expectSame(() => op(a, b), `${name} ${sa} ${sb}`);
    }
    // division by zero and NaN propagate alike
    const z = tf.tensor1d([0, 1, Number.NaN, -2]);
    const y = tf.tensor1d([0, 0, 1, Number.NaN]);
    for (const [name, op] of ops) expectSame(() => op(z, y), `${name} special values`);
    // a float32 tensor backed by another array (Cast from bool keeps the Uint8Array)
    const ma = rand([4, 5]);
    const mb = rand([4, 5]);
    expectSame(() => tf.mul(tf.cast(tf.greater(ma, mb), 'float32'), mb), 'mul of cast bool');
    expectSame(() => tf.sum(tf.cast(tf.greater(ma, mb), 'float32'), 1), 'sum of cast bool');
    // int32 falls back to tfjs
    const ia = rand([3, 4], 'int32');
    const ib = rand([4], 'int32');
    expectSame(() => tf.add(ia, ib), 'int32 add');
  });
  it('unary ops match tfjs', () => {
    const x = tf.concat([
      rand([200]),
      tf.tensor1d([0, Number.NaN, 7, -7, 90, -90, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]),
    ]);
    const ops: [string, (t: tf.Tensor) => tf.Tensor][] = [
      ['exp', tf.exp],
      ['log', tf.log],
      ['sqrt', tf.sqrt],
      ['rsqrt', tf.rsqrt],
      ['neg', tf.neg],
      ['square', tf.square],
      ['relu', tf.relu],
      ['sigmoid', tf.sigmoid],
      ['tanh', tf.tanh],
      ['abs', tf.abs],
      ['leakyRelu', (t) => tf.leakyRelu(t, 0.1)],
      ['relu6', tf.relu6],
      ['step', (t) => tf.step(t, 0.3)],
    ];
    for (const [name, op] of ops) expectSame(() => op(x), name, 2e-6);
    expectSame(() => tf.exp(tf.zeros([0, 3])), 'exp empty');
  });
});

describe('Transpose', () => {
  it('matches tfjs for identity-like and 2-D swaps, and falls back for others', () => {
    const cases: [number[], number[]][] = [
      [
        [6, 5],
        [0, 1],
      ],
      [
        [6, 5],
        [1, 0],
      ],
      [
        [1, 7],
        [1, 0],
      ],
      [
        [4, 1, 3],
        [2, 1, 0],
      ],
      [
        [4, 1, 3],
        [0, 2, 1],
      ],
      [
        [2, 3, 4],
        [0, 2, 1],
      ], // general: tfjs
      [
        [2, 3, 4],
        [2, 0, 1],
      ],
      [
        [0, 3],
        [1, 0],
      ],
      [
        [33, 65],
        [1, 0],
      ],
    ];
    for (const [shape, perm] of cases) {
      const x = rand(shape);
      expectSame(() => tf.transpose(x, perm), `transpose ${shape} ${perm}`);
      const xi = rand(shape, 'int32');
      expectSame(() => tf.transpose(xi, perm), `transpose int32 ${shape} ${perm}`);
    }
  });
});

describe('reductions and softmax', () => {
  it('Sum/Max/Min/Mean/Prod match tfjs over contiguous and other axis sets', () => {
    const shapes = [[7], [4, 6], [3, 4, 5], [1, 5], [0, 3]];
    const ops: [string, (t: tf.Tensor, axis?: number | number[], keep?: boolean) => tf.Tensor][] = [
      ['sum', tf.sum],
      ['max', tf.max],
      ['min', tf.min],
      ['mean', tf.mean],
      ['prod', tf.prod],
    ];
    for (const shape of shapes) {
      const x = tf.mul(rand(shape), 0.7);
      const axes: (number | number[] | undefined)[] = [undefined, 0, -1];
      if (shape.length === 3) axes.push([1, 2], [0, 1], [0, 2], 1);
      for (const [name, op] of ops) {
        for (const axis of axes) {
          for (const keep of [false, true]) {
            if (shape.includes(0) && name !== 'sum') continue; // empty max/min/mean: tfjs decides
            expectSame(() => op(x, axis, keep), `${name} ${shape} axis ${axis} keep ${keep}`, 1e-5);
          }
        }
      }
    }
  });
  it('softmax and logSoftmax match tfjs', () => {
    for (const shape of [[5], [3, 8], [2, 3, 4], [1, 1]]) {
      const x = tf.mul(rand(shape), 3);
      expectSame(() => tf.softmax(x), `softmax ${shape}`);
      expectSame(() => tf.logSoftmax(x), `logSoftmax ${shape}`);
    }
  });
});
