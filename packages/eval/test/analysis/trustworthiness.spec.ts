import { describe, expect, it } from 'vitest';
import { trustworthiness } from '../../src/analysis/trustworthiness.ts';

// The deterministic case of bench/peers/tsne_sklearn.py --check: the numbers on the right were
// computed by sklearn.manifold.trustworthiness (scikit-learn 1.x) on exactly these arrays.
function fixture(): { x: Float32Array; y: Float64Array } {
  const n = 60;
  const d = 8;
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = Math.sin(0.7 * i * (j + 1) + j);
  const y = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    y[i * 2] = x[i * d]! + 0.3 * Math.cos(i);
    y[i * 2 + 1] = x[i * d + 1]! + 0.3 * Math.sin(2 * i);
  }
  return { x, y };
}

describe('trustworthiness', () => {
  it('matches sklearn.manifold.trustworthiness on a small case', () => {
    const { x, y } = fixture();
    expect(trustworthiness(x, 8, y, 2, 3)).toBeCloseTo(0.7186868686868687, 6);
    expect(trustworthiness(x, 8, y, 2, 5)).toBeCloseTo(0.7364102564102564, 6);
    expect(trustworthiness(x, 8, y, 2, 10)).toBeCloseTo(0.7371535580524344, 6);
  });

  it('is 1 for a map that keeps every neighbourhood, and lower for a scrambled one', () => {
    const n = 50;
    const x = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) x[i * 3] = i * i * 0.01;
    const same = Float64Array.from({ length: n * 2 }, (_, p) => (p % 2 === 0 ? x[(p / 2) * 3]! : 0));
    expect(trustworthiness(x, 3, same, 2, 5)).toBe(1);
    const scrambled = Float64Array.from({ length: n * 2 }, (_, p) => (p % 2 === 0 ? ((p / 2) * 37) % n : 0));
    expect(trustworthiness(x, 3, scrambled, 2, 5)).toBeLessThan(0.8);
  });

  it('refuses k ≥ n/2', () => {
    expect(() => trustworthiness(new Float32Array(10), 1, new Float64Array(20), 2, 5)).toThrow(/below n\/2/);
  });
});
