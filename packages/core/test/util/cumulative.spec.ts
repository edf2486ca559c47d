import { describe, expect, it } from 'vitest';
import { cumulativeIndex, Rng } from '../../src/index.ts';

describe('cumulativeIndex', () => {
  const cum = Float64Array.from([1, 1, 3, 6]); // weights 1, 0, 2, 3

  it('finds the first running sum above x; a zero-weight entry is never drawn', () => {
    expect(cumulativeIndex(cum, 0)).toBe(0);
    expect(cumulativeIndex(cum, 0.999)).toBe(0);
    expect(cumulativeIndex(cum, 1)).toBe(2);
    expect(cumulativeIndex(cum, 2.5)).toBe(2);
    expect(cumulativeIndex(cum, 3)).toBe(3);
    expect(cumulativeIndex(cum, 5.9)).toBe(3);
  });

  it('clamps a draw that rounds up to the total, and searches a slice [lo, hi)', () => {
    expect(cumulativeIndex(cum, 6)).toBe(3);
    expect(cumulativeIndex(cum, 100)).toBe(3);
    expect(cumulativeIndex(cum, 100, 0, 2)).toBe(1);
    expect(cumulativeIndex(cum, 2, 2, 4)).toBe(2);
  });

  it('draws in proportion to the weights', () => {
    const rng = new Rng(3);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 60_000; i++) counts[cumulativeIndex(cum, rng.next() * 6)]!++;
    expect(counts[1]).toBe(0);
    expect(counts[0]! / 60_000).toBeCloseTo(1 / 6, 2);
    expect(counts[2]! / 60_000).toBeCloseTo(2 / 6, 2);
    expect(counts[3]! / 60_000).toBeCloseTo(3 / 6, 2);
  });
});
