import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LossComponent, LossInputs } from '../plugin/kinds-training.ts';
import { Rng } from '../util/rng.ts';

export interface DescribeLossOptions {
  make(): LossComponent | Promise<LossComponent>;
  /** Shape of explicit negatives to pass: per-row [B, N, D], shared [N, D], or none. */
  negatives?: 'per-row' | 'shared' | 'none';
}

const B = 4;
const N = 3;
const D = 5;

function rand(rng: Rng, n: number, scale = 0.5): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

interface Raw {
  q: Float32Array;
  p: Float32Array;
  n?: Float32Array;
  nShape?: number[];
}

function rawInputs(seed: number, mode: 'per-row' | 'shared' | 'none'): Raw {
  const rng = new Rng(seed);
  const raw: Raw = { q: rand(rng, B * D), p: rand(rng, B * D) };
  if (mode === 'per-row') {
    raw.n = rand(rng, B * N * D);
    raw.nShape = [B, N, D];
  } else if (mode === 'shared') {
    raw.n = rand(rng, N * D);
    raw.nShape = [N, D];
  }
  return raw;
}

function inputs(raw: Raw, q: tf.Tensor2D, p: tf.Tensor2D, n?: tf.Tensor): LossInputs {
  const ids = Int32Array.from({ length: B }, (_, i) => i);
  const out: { -readonly [K in keyof LossInputs]: LossInputs[K] } = {
    query: q,
    positive: p,
    positiveIds: ids,
  };
  if (n && raw.nShape) {
    out.negatives = n;
    out.negativeIds = Int32Array.from({ length: raw.nShape.length === 3 ? B * N : N }, (_, i) => 100 + i);
  }
  return out;
}

function lossAt(loss: LossComponent, raw: Raw, q: Float32Array): number {
  return tf.tidy(() => {
    const n = raw.n && raw.nShape ? tf.tensor(raw.n, raw.nShape) : undefined;
    return loss.compute(inputs(raw, tf.tensor2d(q, [B, D]), tf.tensor2d(raw.p, [B, D]), n)).dataSync()[0]!;
  });
}

/**
 * The conformance suite every loss plugin passes: a finite scalar, an analytic gradient that
 * matches central finite differences on tiny inputs, descent lowers the loss, no tensor leaks.
 */
export function describeLoss(name: string, opts: DescribeLossOptions): void {
  const mode = opts.negatives ?? 'none';
  describe(`loss conformance: ${name}`, () => {
    beforeAll(async () => {
      // tfjs-core's Node entry registers no gradients: @embrec/native's ensureGradients does (here,
      // not at import, so that @embrec/core/testing loads without the addon's package for other suites)
      await (await import('@embrec/native')).ensureGradients();
      await tf.ready();
    });

    it('returns a finite scalar', async () => {
      const loss = await opts.make();
      const v = lossAt(loss, rawInputs(1, mode), rawInputs(1, mode).q);
      expect(Number.isFinite(v)).toBe(true);
      loss.dispose?.();
    });

    it('has gradients matching finite differences', async () => {
      const loss = await opts.make();
      const raw = rawInputs(2, mode);
      const grad = tf.tidy(() => {
        const n = raw.n && raw.nShape ? tf.tensor(raw.n, raw.nShape) : undefined;
        const p = tf.tensor2d(raw.p, [B, D]);
        const g = tf.grad((q: tf.Tensor) => loss.compute(inputs(raw, q as tf.Tensor2D, p, n)));
        return g(tf.tensor2d(raw.q, [B, D])).dataSync() as Float32Array;
      });
      const eps = 1e-2;
      let worst = 0;
      for (let k = 0; k < raw.q.length; k++) {
        const plus = Float32Array.from(raw.q);
        const minus = Float32Array.from(raw.q);
        plus[k]! += eps;
        minus[k]! -= eps;
        const num = (lossAt(loss, raw, plus) - lossAt(loss, raw, minus)) / (2 * eps);
        worst = Math.max(
          worst,
          Math.abs(num - grad[k]!) / Math.max(1e-2, Math.abs(num) + Math.abs(grad[k]!)),
        );
      }
      expect(worst).toBeLessThan(5e-2);
      expect(grad.some((x) => x !== 0)).toBe(true);
      loss.dispose?.();
    });

    it('decreases under gradient descent on the queries', async () => {
      const loss = await opts.make();
      const raw = rawInputs(3, mode);
      const first = lossAt(loss, raw, raw.q);
      let q = Float32Array.from(raw.q);
      for (let s = 0; s < 30; s++) {
        const g = tf.tidy(() => {
          const n = raw.n && raw.nShape ? tf.tensor(raw.n, raw.nShape) : undefined;
          const p = tf.tensor2d(raw.p, [B, D]);
          return tf
            .grad((x: tf.Tensor) => loss.compute(inputs(raw, x as tf.Tensor2D, p, n)))(tf.tensor2d(q, [B, D]))
            .dataSync() as Float32Array;
        });
        q = q.map((x, i) => x - 0.1 * g[i]!);
      }
      expect(lossAt(loss, raw, q)).toBeLessThan(first);
      loss.dispose?.();
    });

    it('leaks no tensors', async () => {
      const before = tf.memory().numTensors;
      const loss = await opts.make();
      const raw = rawInputs(4, mode);
      const q = tf.tensor2d(raw.q, [B, D]);
      const p = tf.tensor2d(raw.p, [B, D]);
      const n = raw.n && raw.nShape ? tf.tensor(raw.n, raw.nShape) : undefined;
      const v = loss.compute(inputs(raw, q, p, n));
      v.dispose();
      q.dispose();
      p.dispose();
      n?.dispose();
      loss.dispose?.();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
