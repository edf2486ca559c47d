import { Rng } from '@embrec/core';
import { nativeAvailable } from '@embrec/native';
import { describe, expect, it } from 'vitest';
import { Optimizer, type OptimizerConfig } from '../src/training/optimizer.ts';
import type { Param, TableParam } from '../src/training/params.ts';

const run = nativeAvailable() || !!process.env.CI; // in CI a missing addon fails, it does not skip

function rand(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

function table(r: () => number, rows: number, dim: number): TableParam {
  return {
    kind: 'table',
    name: 't',
    rows,
    dim,
    data: Float32Array.from({ length: rows * dim }, () => r() - 0.5),
  };
}

function copy<P extends Param>(p: P): P {
  return { ...p, data: Float32Array.from(p.data) };
}

const bits = (a: Float32Array | undefined) => Array.from(new Uint32Array(Float32Array.from(a ?? []).buffer));

describe.skipIf(!run)('Optimizer: the native update is the JavaScript update, bit for bit', () => {
  const cases: [string, OptimizerConfig, number][] = [
    ['adam', { type: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }, 5],
    ['adam + weight decay', { type: 'adam', beta1: 0.8, beta2: 0.99, eps: 1e-7, weightDecay: 1e-4 }, 5],
    [
      'adagrad + weight decay',
      { type: 'adagrad', beta1: 0.9, beta2: 0.999, eps: 1e-10, weightDecay: 1e-3 },
      5,
    ],
    // 19 columns: two eight-lane blocks and a scalar tail of the float32 kernel
    [
      'adam float32',
      { type: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, precision: 'float32' },
      19,
    ],
    [
      'adam float32 + weight decay',
      { type: 'adam', beta1: 0.8, beta2: 0.99, eps: 1e-7, weightDecay: 1e-4, precision: 'float32' },
      19,
    ],
  ];
  for (const [name, cfg, dim] of cases) {
    it(name, () => {
      const r = rand(7);
      const js = table(r, 40, dim);
      const nat = copy(js);
      const dense = { ...table(r, 1, 12), kind: 'dense' as const, shape: [3, 4] } as unknown as Param;
      const denseNat = copy(dense);
      const a = new Optimizer(cfg, { native: false });
      const b = new Optimizer(cfg, { native: true });
      for (let step = 0; step < 30; step++) {
        a.begin();
        b.begin();
        // a row twice in one call: applied in order, as the loop does
        const rows = Int32Array.from({ length: 9 }, () => Math.floor(r() * 40));
        // gradients over many scales, down to values whose squares are float32 denormals
        const grad = Float32Array.from({ length: rows.length * dim }, () => (r() - 0.5) * 10 ** (-r() * 25));
        a.updateRows(js, rows, grad, 0.01);
        b.updateRows(nat, rows, grad, 0.01);
        const g = Float32Array.from({ length: 12 }, () => r() - 0.5);
        a.updateDense(dense as never, g, 0.003);
        b.updateDense(denseNat as never, g, 0.003);
      }
      expect(bits(nat.data)).toEqual(bits(js.data));
      expect(bits(nat.m)).toEqual(bits(js.m));
      expect(bits(nat.v)).toEqual(bits(js.v));
      expect(bits(denseNat.data)).toEqual(bits(dense.data));
      expect(bits(denseNat.v)).toEqual(bits(dense.v));
      // the updates did something (a test that can fail)
      expect(bits(js.data)).not.toEqual(bits(table(rand(7), 40, dim).data));
    });
  }

  it('float32 is a different computation from float64 (same data, other bits)', () => {
    const mk = (precision: 'float32' | 'float64') => {
      const r = rand(3);
      const t = table(r, 20, 8);
      const o = new Optimizer({
        type: 'adam',
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
        precision,
      });
      for (let step = 0; step < 20; step++) {
        o.begin();
        const rows = Int32Array.from({ length: 6 }, (_, i) => (step * 7 + i * 3) % 20);
        o.updateRows(
          t,
          rows,
          Float32Array.from({ length: 48 }, () => r() - 0.5),
          0.01,
        );
      }
      return t.data;
    };
    const a = mk('float32');
    const b = mk('float64');
    expect(bits(a)).not.toEqual(bits(b));
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5);
  });

  it('refuses a row outside the table', () => {
    const o = new Optimizer(cases[0]![1], { native: true });
    o.begin();
    const t = table(rand(1), 4, 2);
    expect(() => o.updateRows(t, Int32Array.of(4), new Float32Array(2), 0.1)).toThrow(
      /row 4 is not in \[0, 4\)/,
    );
    expect(() => o.updateRows(t, Int32Array.of(1, 2), new Float32Array(2), 0.1)).toThrow(
      /grad has 2 elements, needs 4/,
    );
  });
});
