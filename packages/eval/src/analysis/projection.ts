import type { Rng } from '@embrec/core';
import { UsageError } from '@embrec/core';
import { tsneBarnesHut } from '@embrec/native';
import { TSNE } from '@keckelt/tsne';
import { UMAP } from 'umap-js';

/** A 2-D map of n points, row-major [n, 2]. */
export type Map2d = Float64Array;

export interface TsneOptions {
  readonly perplexity: number;
  readonly iterations: number;
  /**
   * 'barnes-hut' (default): the native Barnes-Hut t-SNE of @embrec/native (sklearn's method, PCA
   * init, θ 0.5, one thread); 'exact': @keckelt/tsne's exact O(n²) gradients in JavaScript.
   */
  readonly method?: 'barnes-hut' | 'exact';
  /**
   * Learning rate; default sklearn's "auto", max(n / exaggeration / 4, 50): exaggeration 12 for
   * 'barnes-hut', 4 (this library's) for 'exact'.
   */
  readonly learningRate?: number;
  readonly rng: Rng;
}

/**
 * The most points-per-perplexity rule of t-SNE implementations (bhtsne, openTSNE): n − 1 ≥ 3·perplexity.
 * `option` is how the user sets the perplexity (`--perplexity`, or `analysis.perplexity:` in a file).
 */
export function checkPerplexity(n: number, perplexity: number, what: string, option = '--perplexity'): void {
  if (n - 1 < 3 * perplexity)
    throw new UsageError(
      `t-SNE with perplexity ${perplexity} needs at least ${3 * perplexity + 1} ${what}; there are ${n}. ` +
        `Lower the perplexity (${option} ${Math.max(1, Math.floor((n - 1) / 3))} fits) or analyse more ${what}`,
    );
}

/**
 * t-SNE. By default the native Barnes-Hut version (O(n log n) per iteration, PCA init, seeded from
 * `rng`); `method: 'exact'` uses @keckelt/tsne (Karpathy's tsnejs in TypeScript): exact gradients,
 * O(n²) time and memory per iteration, seeded through `rng` (the library's own draws use Math.random).
 */
export function tsne(vectors: Float32Array, dim: number, opts: TsneOptions): Map2d {
  const n = vectors.length / dim;
  checkPerplexity(n, opts.perplexity, 'points');
  if ((opts.method ?? 'barnes-hut') === 'barnes-hut') {
    return tsneBarnesHut(vectors, dim, {
      perplexity: opts.perplexity,
      iterations: opts.iterations,
      learningRate: opts.learningRate ?? 'auto',
      seed: opts.rng.int(2 ** 31),
      threads: 1,
    });
  }
  const model = new TSNE({
    dim: 2,
    perplexity: opts.perplexity,
    epsilon: opts.learningRate ?? Math.max(n / 16, 50),
  });
  // the initial solution is drawn through gaussRandom: route it through the seeded stream
  model.gaussRandom = () => opts.rng.normal();
  model.initDataRaw(rowsOf(vectors, dim));
  for (let it = 0; it < opts.iterations; it++) model.step();
  return flatten(model.getSolution() as number[][]);
}

export interface UmapOptions {
  readonly neighbors: number;
  readonly minDist: number;
  readonly epochs?: number;
  readonly rng: Rng;
}

/** UMAP with umap-js (PAIR's port of McInnes' umap-learn), seeded through `rng`. */
export function umap(vectors: Float32Array, dim: number, opts: UmapOptions): Map2d {
  const n = vectors.length / dim;
  if (n <= opts.neighbors)
    throw new UsageError(
      `UMAP with ${opts.neighbors} neighbours needs more than ${opts.neighbors} points; there are ${n}`,
    );
  const model = new UMAP({
    nComponents: 2,
    nNeighbors: opts.neighbors,
    minDist: opts.minDist,
    random: () => opts.rng.next(),
    ...(opts.epochs ? { nEpochs: opts.epochs } : {}),
  });
  return flatten(model.fit(rowsOf(vectors, dim)));
}

function rowsOf(v: Float32Array, dim: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < v.length / dim; i++) out.push(Array.from(v.subarray(i * dim, (i + 1) * dim)));
  return out;
}

function flatten(rows: number[][]): Map2d {
  const out = new Float64Array(rows.length * 2);
  rows.forEach((r, i) => {
    out[i * 2] = r[0]!;
    out[i * 2 + 1] = r[1]!;
  });
  return out;
}
