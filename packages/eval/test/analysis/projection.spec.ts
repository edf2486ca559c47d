import { Rng } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import { checkPerplexity, tsne, umap } from '../../src/analysis/projection.ts';
import { trustworthiness } from '../../src/analysis/trustworthiness.ts';

function clusters(n: number, d: number): Float32Array {
  const rng = new Rng(2);
  return Float32Array.from(
    { length: n * d },
    (_, p) => rng.normal() * 0.5 + (p % d === Math.floor(p / d) % 4 ? 6 : 0),
  );
}

describe('2-D maps', () => {
  it('t-SNE keeps neighbourhoods of clustered data and is reproducible from the seed', () => {
    const v = clusters(80, 6);
    const a = tsne(v, 6, { perplexity: 10, iterations: 300, rng: new Rng(1) });
    expect(a.length).toBe(160);
    expect(a.every(Number.isFinite)).toBe(true);
    expect(trustworthiness(v, 6, a, 2, 5)).toBeGreaterThan(0.9);
    expect(Array.from(tsne(v, 6, { perplexity: 10, iterations: 300, rng: new Rng(1) }))).toEqual(
      Array.from(a),
    );
  });

  it('t-SNE by the native Barnes-Hut default and by the exact JS method both keep neighbourhoods', () => {
    const v = clusters(120, 6);
    const bh = tsne(v, 6, { perplexity: 10, iterations: 300, rng: new Rng(1) });
    const exact = tsne(v, 6, { perplexity: 10, iterations: 300, method: 'exact', rng: new Rng(1) });
    expect(Array.from(bh)).not.toEqual(Array.from(exact));
    expect(
      Array.from(tsne(v, 6, { perplexity: 10, iterations: 300, method: 'barnes-hut', rng: new Rng(1) })),
    ).toEqual(Array.from(bh));
    expect(trustworthiness(v, 6, bh, 2, 5)).toBeGreaterThan(0.9);
    expect(trustworthiness(v, 6, exact, 2, 5)).toBeGreaterThan(0.9);
  });

  it('UMAP keeps neighbourhoods of clustered data and is reproducible from the seed', () => {
    const v = clusters(80, 6);
    const a = umap(v, 6, { neighbors: 10, minDist: 0.1, rng: new Rng(1) });
    expect(trustworthiness(v, 6, a, 2, 5)).toBeGreaterThan(0.9);
    expect(Array.from(umap(v, 6, { neighbors: 10, minDist: 0.1, rng: new Rng(1) }))).toEqual(Array.from(a));
  });

  it('says how many points a perplexity needs', () => {
    expect(() => checkPerplexity(50, 30, 'items')).toThrow(
      't-SNE with perplexity 30 needs at least 91 items; there are 50. Lower the perplexity (--perplexity 16 fits) or analyse more items',
    );
    expect(() => checkPerplexity(91, 30, 'items')).not.toThrow();
  });
});
