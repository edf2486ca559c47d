import { describe, expect, it } from 'vitest';
import { mmrSelect } from '../../src/util/mmr.ts';

describe('mmrSelect', () => {
  // candidates 0 and 1 are near-duplicates; 2 is different
  const sim = (a: number, b: number) => (a + b === 1 ? 0.99 : a === b ? 1 : 0);
  it('λ = 1 keeps the relevance order', () => {
    expect(mmrSelect([0.9, 0.8, 0.1], 3, 1, sim).order).toEqual([0, 1, 2]);
  });
  it('a lower λ pushes the near-duplicate behind the different item, with the MMR values', () => {
    const r = mmrSelect([0.9, 0.8, 0.1], 2, 0.5, sim);
    expect(r.order).toEqual([0, 2]);
    expect(r.values[0]).toBeCloseTo(0.45);
    expect(r.values[1]).toBeCloseTo(0.05);
  });
  it('stops at the candidate count and breaks ties by position', () => {
    expect(mmrSelect([0.5, 0.5], 5, 1, () => 0).order).toEqual([0, 1]);
    expect(mmrSelect([], 3, 0.5, () => 0).order).toEqual([]);
  });
});
