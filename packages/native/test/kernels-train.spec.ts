// A small two-tower model trained for 50 Adam steps with tfjs's pure-JS cpu kernels and with the
// native overrides: the losses must agree to 1e-4 relative at every step.
import { Rng, setupBackend } from '@embrec/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { nativeKernelNames } from '../src/kernels/register.ts';

const B = 16;
const D = 8;
const NU = 40;
const NI = 30;
const STEPS = 50;

function init(rng: Rng, shape: number[], scale: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal() * scale;
  return v;
}

function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), gamma), beta);
}

/** Trains the model from a fixed seed and returns the loss of every step. */
function train(): number[] {
  const rng = new Rng(3);
  const v = (name: string, shape: number[], scale: number): tf.Variable =>
    tf.variable(tf.tensor(init(rng, shape, scale), shape), true, `${name}_${Math.random()}`);
  const U = v('U', [NU, D], 0.5);
  const V = v('V', [NI, D], 0.5);
  const towers = [0, 1].map((t) => ({
    w1: v(`w1${t}`, [D, 2 * D], 0.3),
    b1: v(`b1${t}`, [2 * D], 0.1),
    w2: v(`w2${t}`, [2 * D, D], 0.3),
    b2: v(`b2${t}`, [D], 0.1),
    g: tf.variable(tf.ones([D]), true, `g${t}_${Math.random()}`),
    be: tf.variable(tf.zeros([D]), true, `be${t}_${Math.random()}`),
  }));
  const opt = tf.train.adam(0.01);
  const labels = tf.eye(B);
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    const u = tf.tensor1d(
      Array.from({ length: B }, () => rng.int(NU)),
      'int32',
    );
    const i = tf.tensor1d(
      Array.from({ length: B }, () => rng.int(NI)),
      'int32',
    );
    const loss = opt.minimize(() => {
      const tower = (x: tf.Tensor2D, t: (typeof towers)[number]): tf.Tensor2D => {
        const h = tf.fused.matMul({ a: x, b: t.w1 as tf.Tensor2D, bias: t.b1, activation: 'relu' });
        const o = tf.add(tf.matMul(h, t.w2 as tf.Tensor2D), t.b2) as tf.Tensor2D;
        return layerNorm(o, t.g as tf.Tensor1D, t.be as tf.Tensor1D);
      };
      const q = tower(tf.gather(U, u) as tf.Tensor2D, towers[0] as (typeof towers)[number]);
      const p = tower(tf.gather(V, i) as tf.Tensor2D, towers[1] as (typeof towers)[number]);
      const logits = tf.div(tf.matMul(q, p, false, true), 0.1);
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    }, true) as tf.Scalar;
    losses.push(loss.dataSync()[0] as number);
    tf.dispose([loss, u, i]);
  }
  opt.dispose();
  tf.dispose([U, V, labels, ...towers.flatMap((t) => Object.values(t))]);
  return losses;
}

describe('training with native kernels', () => {
  it('gives the same losses as pure tfjs for 50 Adam steps (1e-4 relative)', async () => {
    expect((await setupBackend('cpu')).name).toBe('cpu');
    expect(nativeKernelNames()).toEqual([]);
    const t0 = tf.memory().numTensors;
    const ref = train();
    const cpuLeft = tf.memory().numTensors - t0;
    expect((await setupBackend('native')).name).toBe('native');
    expect(nativeKernelNames()).toContain('BatchMatMul');
    const before = tf.memory().numTensors;
    const got = train();
    // The native kernels leave no more tensors behind than tfjs's own (Adam keeps a few scalars).
    expect(tf.memory().numTensors - before).toBe(cpuLeft);
    expect(got.length).toBe(STEPS);
    expect((got[STEPS - 1] as number) < (got[0] as number)).toBe(true); // it learns
    for (let s = 0; s < STEPS; s++) {
      const r = ref[s] as number;
      const g = got[s] as number;
      expect(Math.abs(g - r) / Math.abs(r), `step ${s}: native ${g} vs cpu ${r}`).toBeLessThan(1e-4);
    }
  });
});
