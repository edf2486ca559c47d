import { addon } from './addon.ts';
import { type Range, rangeProblem } from './ranges.ts';

/** Options of the native Barnes-Hut t-SNE (scikit-learn's TSNE parameter names in brackets). */
export interface TsneBarnesHutOptions {
  /** Perplexity [perplexity]; needs n − 1 ≥ 3·perplexity. Default 30. */
  readonly perplexity?: number | undefined;
  /** Total gradient-descent iterations, early exaggeration included [max_iter]. Default 1000. */
  readonly iterations?: number | undefined;
  /** Barnes-Hut accuracy: a cell is summarised when width / distance < theta [angle]. Default 0.5. */
  readonly theta?: number | undefined;
  /** Early exaggeration factor [early_exaggeration]. Default 12. */
  readonly exaggeration?: number | undefined;
  /** Iterations with exaggeration and momentum 0.5 (sklearn's fixed 250). Default 250. */
  readonly exaggerationIterations?: number | undefined;
  /** Learning rate [learning_rate]; 'auto' = max(n / exaggeration / 4, 50). Default 'auto'. */
  readonly learningRate?: number | 'auto' | undefined;
  /** Initial map [init]: top-2 principal components scaled to std 1e-4, or N(0, 1e-4²). Default 'pca'. */
  readonly init?: 'pca' | 'random' | undefined;
  /** Seed of the random initialisation. Default 1. */
  readonly seed?: number | undefined;
  /** Worker threads for the neighbour search and the forces; results depend on the count. Default 1. */
  readonly threads?: number | undefined;
}

const RANGES: Record<Exclude<keyof TsneBarnesHutOptions, 'init' | 'learningRate'>, Range> = {
  perplexity: [1e-3, 1e6, false],
  iterations: [1, 1e7, true],
  theta: [0, 10, false],
  exaggeration: [1e-3, 1e6, false],
  exaggerationIterations: [0, 1e7, true],
  seed: [0, Number.MAX_SAFE_INTEGER, true],
  threads: [1, 256, true],
};

/**
 * Barnes-Hut t-SNE (van der Maaten 2014) in native code, as scikit-learn's method="barnes_hut":
 * sparse input similarities over the ⌊3·perplexity⌋ + 1 exact nearest neighbours, a quadtree for the
 * repulsive forces, early exaggeration, momentum and gains. `points` is [n, dim] row-major; returns the
 * map [n, 2] row-major. Deterministic for given inputs, seed and thread count.
 * Throws a RangeError naming the argument when sizes or options are out of range.
 */
export function tsneBarnesHut(
  points: Float32Array,
  dim: number,
  options: TsneBarnesHutOptions = {},
): Float64Array {
  const problems: string[] = [];
  if (!(points instanceof Float32Array)) problems.push('points: expected a Float32Array');
  if (!Number.isInteger(dim) || dim < 1) problems.push(`dim: expected an integer >= 1, got ${String(dim)}`);
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === 'init') {
      if (value !== 'pca' && value !== 'random')
        problems.push(`options.init: expected 'pca' or 'random', got ${String(value)}`);
      continue;
    }
    if (key === 'learningRate') {
      if (value !== 'auto' && !(typeof value === 'number' && Number.isFinite(value) && value > 0))
        problems.push(`options.learningRate: expected 'auto' or a number > 0, got ${String(value)}`);
      continue;
    }
    const range = RANGES[key as keyof typeof RANGES];
    if (range === undefined) {
      problems.push(
        `options.${key}: unknown option (expected one of ${[...Object.keys(RANGES), 'init', 'learningRate'].join(', ')})`,
      );
      continue;
    }
    const problem = rangeProblem(key, value, range);
    if (problem) problems.push(problem);
  }
  if (problems.length === 0) {
    const perplexity = options.perplexity ?? 30;
    if (points.length % dim !== 0) {
      problems.push(`points: length ${points.length} is not a multiple of dim ${dim}`);
    } else {
      const n = points.length / dim;
      if (n - 1 < 3 * perplexity)
        problems.push(
          `points: t-SNE with perplexity ${perplexity} needs at least ${Math.ceil(3 * perplexity) + 1} points, got ${n}`,
        );
    }
  }
  if (problems.length > 0) throw new RangeError(`tsneBarnesHut: ${problems.join('; ')}`);
  const { learningRate, ...rest } = options;
  // the addon checks that every entry is finite
  return addon().tsneBarnesHut(points, dim, {
    ...rest,
    ...(typeof learningRate === 'number' ? { learningRate } : {}),
  }) as Float64Array;
}
