import { describe, expect, it } from 'vitest';
// the analysis package's measure (test-only import: eval depends on native, not the other way round)
import { trustworthiness } from '../../eval/src/analysis/trustworthiness.ts';
import { nativeAvailable } from '../src/addon.ts';
import { tsneBarnesHut } from '../src/tsne.ts';
import { rng } from './helpers.ts';

/** Two Gaussian clusters in `dim` dimensions, centres 20 apart, unit spread; point i is in cluster i % 2. */
function twoClusters(seed: number, n: number, dim: number): Float32Array {
  const rand = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dim; j++) x[i * dim + j] = (j === 0 ? (i % 2) * 20 : 0) + normal();
  return x;
}

/** Smallest distance between points of different clusters, and the largest within one cluster. */
function separation(y: Float64Array): { between: number; within: number } {
  const n = y.length / 2;
  let between = Infinity;
  let within = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const d = Math.hypot(y[2 * i]! - y[2 * j]!, y[2 * i + 1]! - y[2 * j + 1]!);
      if (i % 2 !== j % 2) between = Math.min(between, d);
      else within = Math.max(within, d);
    }
  return { between, within };
}

// In CI a missing addon is a failure, not a skip.
describe.skipIf(!nativeAvailable() && !process.env.CI)('tsneBarnesHut', () => {
  const n = 300;
  const dim = 10;
  const x = twoClusters(3, n, dim);

  it('keeps two well-separated Gaussian clusters apart, with trustworthiness >= 0.9', () => {
    for (const init of ['pca', 'random'] as const) {
      const y = tsneBarnesHut(x, dim, { perplexity: 20, iterations: 500, init, seed: 5, threads: 2 });
      expect(y).toBeInstanceOf(Float64Array);
      expect(y.length).toBe(2 * n);
      expect(y.every(Number.isFinite)).toBe(true);
      const { between, within } = separation(y);
      // no point of one cluster lies among the other's: the gap exceeds a tenth of a cluster's diameter
      expect(between).toBeGreaterThan(within / 10);
      // every point's nearest map neighbour is from its own cluster
      for (let i = 0; i < n; i++) {
        let best = -1;
        let bd = Infinity;
        for (let j = 0; j < n; j++) {
          if (j === i) continue;
          const d = Math.hypot(y[2 * i]! - y[2 * j]!, y[2 * i + 1]! - y[2 * j + 1]!);
          if (d < bd) {
            bd = d;
            best = j;
          }
        }
        expect(best % 2).toBe(i % 2);
      }
      expect(trustworthiness(x, dim, y, 2, 5)).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('is deterministic for a seed with one thread, and the seed matters for a random init', () => {
    const opts = { perplexity: 10, iterations: 300, init: 'random', seed: 9, threads: 1 } as const;
    const a = tsneBarnesHut(x, dim, opts);
    const b = tsneBarnesHut(x, dim, opts);
    expect(Array.from(a)).toEqual(Array.from(b));
    const c = tsneBarnesHut(x, dim, { ...opts, seed: 10 });
    expect(Array.from(c)).not.toEqual(Array.from(a));
    // the PCA init does not depend on the seed
    const p1 = tsneBarnesHut(x, dim, { ...opts, init: 'pca', seed: 1 });
    const p2 = tsneBarnesHut(x, dim, { ...opts, init: 'pca', seed: 2 });
    expect(Array.from(p1)).toEqual(Array.from(p2));
  });

  it('gives trustworthy maps with exact repulsion (theta 0) and with theta 0.5', () => {
    const small = x.slice(0, 100 * dim);
    const exact = tsneBarnesHut(small, dim, { perplexity: 10, iterations: 300, theta: 0 });
    const coarse = tsneBarnesHut(small, dim, { perplexity: 10, iterations: 300, theta: 0.5 });
    expect(trustworthiness(small, dim, exact, 2, 5)).toBeGreaterThanOrEqual(0.9);
    expect(trustworthiness(small, dim, coarse, 2, 5)).toBeGreaterThanOrEqual(0.9);
  });

  it('rejects bad input with errors naming the argument', () => {
    expect(() => tsneBarnesHut(new Float32Array(10), 3)).toThrow(
      /points: length 10 is not a multiple of dim 3/,
    );
    expect(() => tsneBarnesHut(new Float32Array(20 * 2), 2)).toThrow(
      /perplexity 30 needs at least 91 points, got 20/,
    );
    expect(() => tsneBarnesHut(x, 0)).toThrow(/dim: expected an integer >= 1, got 0/);
    expect(() => tsneBarnesHut([1, 2] as unknown as Float32Array, 1)).toThrow(
      /points: expected a Float32Array/,
    );
    expect(() => tsneBarnesHut(x, dim, { perplexity: -1 })).toThrow(/options\.perplexity: expected a number/);
    expect(() => tsneBarnesHut(x, dim, { theta: Number.NaN })).toThrow(/options\.theta/);
    expect(() => tsneBarnesHut(x, dim, { iterations: 1.5 })).toThrow(
      /options\.iterations: expected an integer/,
    );
    expect(() => tsneBarnesHut(x, dim, { threads: 0 })).toThrow(/options\.threads/);
    expect(() => tsneBarnesHut(x, dim, { learningRate: 0 })).toThrow(/options\.learningRate/);
    expect(() => tsneBarnesHut(x, dim, { init: 'spectral' as 'pca' })).toThrow(
      /options\.init: expected 'pca' or 'random', got spectral/,
    );
    expect(() => tsneBarnesHut(x, dim, { perplexty: 5 } as never)).toThrow(
      /options\.perplexty: unknown option/,
    );
    const bad = x.slice();
    bad[dim * 7 + 2] = Number.NaN;
    expect(() => tsneBarnesHut(bad, dim)).toThrow(/points: entry 72 \(row 7\) is not finite/);
  });
});
