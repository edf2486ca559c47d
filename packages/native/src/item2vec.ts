import { addon } from './addon.ts';
import { type Range, rangeProblem } from './ranges.ts';

/** Item "sentences" in CSR form: sentence s is items[indptr[s] .. indptr[s+1]), in order. */
export interface Sentences {
  readonly indptr: Int32Array; // [sentences + 1]
  readonly items: Int32Array; // [occurrences], each in 0 .. nItems-1
}

/** Hyperparameters of skip-gram with negative sampling (names of word2vec / gensim in brackets). */
export interface SkipGramOptions {
  /** Embedding size [vector_size]. */
  readonly dim: number;
  /** Context radius (reduced at random per position, as word2vec); 0 = the whole sentence. Default 5. */
  readonly window?: number | undefined;
  /** Negative samples per positive pair [negative]. Default 5. */
  readonly negative?: number | undefined;
  /** Negatives are drawn from count^power [ns_exponent]. Default 0.75. */
  readonly power?: number | undefined;
  /** Frequent-item subsampling threshold [sample]; 0 turns it off. Default 1e-3. */
  readonly sample?: number | undefined;
  /** Learning rate at the start [alpha], decayed linearly to `minLr` [min_alpha]. Defaults 0.025, 1e-4. */
  readonly lr?: number | undefined;
  readonly minLr?: number | undefined;
  /** Passes over the sentences [epochs]. Default 5. */
  readonly epochs?: number | undefined;
  /** Hogwild worker threads [workers]; only threads = 1 is reproducible. Default 1. */
  readonly threads?: number | undefined;
  /** Shuffle each sentence anew every epoch (sentences as sets: a window samples the whole set). Default false. */
  readonly shuffle?: boolean | undefined;
  /** Seed of the initial vectors and of every random draw. Default 1. */
  readonly seed?: number | undefined;
}

export interface SkipGramResult {
  /** Input ("word") vectors, [nItems, dim] row-major: the item embeddings. */
  readonly input: Float32Array;
  /** Output ("context") vectors, [nItems, dim]. */
  readonly output: Float32Array;
  /** Per epoch: mean negative-sampling loss per positive pair, −log σ(u·v) − Σ log σ(−u·n). */
  readonly loss: Float64Array;
  /** Per epoch: positive (center, context) pairs trained. */
  readonly pairs: Float64Array;
  /** Per epoch: item occurrences left after subsampling. */
  readonly kept: Float64Array;
}

const RANGES: Record<Exclude<keyof SkipGramOptions, 'shuffle'>, Range> = {
  dim: [1, 4096, true],
  window: [0, 1e6, true],
  negative: [1, 1000, true],
  power: [-10, 10, false],
  sample: [0, 1, false],
  lr: [1e-12, 10, false],
  minLr: [0, 10, false],
  epochs: [1, 100000, true],
  threads: [1, 256, true],
  seed: [0, Number.MAX_SAFE_INTEGER, true],
};

/**
 * Trains skip-gram with negative sampling over item sentences (Item2Vec, Barkan & Koenigstein 2016)
 * in native code: word2vec's training loop with subsampling, unigram^power negatives, linear
 * learning-rate decay and Hogwild threads. Deterministic for a given seed when `threads` is 1.
 * Throws a RangeError naming the argument when sizes or options are out of range.
 */
export function item2vecTrain(
  sentences: Sentences,
  nItems: number,
  options: SkipGramOptions,
): SkipGramResult {
  const problems: string[] = [];
  if (!(sentences.indptr instanceof Int32Array)) problems.push('sentences.indptr: expected an Int32Array');
  if (!(sentences.items instanceof Int32Array)) problems.push('sentences.items: expected an Int32Array');
  if (!Number.isInteger(nItems) || nItems < 1)
    problems.push(`nItems: expected an integer >= 1, got ${nItems}`);
  if (options.dim === undefined) problems.push('options.dim: required');
  for (const [key, value] of Object.entries(options)) {
    if (key === 'shuffle') {
      if (value !== undefined && typeof value !== 'boolean') {
        problems.push(`options.shuffle: expected a boolean, got ${String(value)}`);
      }
      continue;
    }
    const range = RANGES[key as keyof typeof RANGES];
    if (range === undefined) {
      problems.push(
        `options.${key}: unknown option (expected one of ${[...Object.keys(RANGES), 'shuffle'].join(', ')})`,
      );
      continue;
    }
    if (value === undefined) continue;
    const problem = rangeProblem(key, value, range);
    if (problem) problems.push(problem);
  }
  if (options.minLr !== undefined && options.minLr > (options.lr ?? 0.025)) {
    problems.push(`options.minLr: must not exceed lr (${options.lr ?? 0.025}), got ${options.minLr}`);
  }
  if (problems.length === 0) {
    const { indptr, items } = sentences;
    if (indptr.length < 1) problems.push('sentences.indptr: expected length sentences + 1 >= 1, got 0');
    else if (indptr[indptr.length - 1] !== items.length) {
      problems.push(
        `sentences.indptr: its last entry (${indptr[indptr.length - 1]}) must equal items.length (${items.length})`,
      );
    }
  }
  if (problems.length > 0) throw new RangeError(`item2vecTrain: ${problems.join('; ')}`);
  // The addon checks the CSR structure and item ranges entry by entry.
  return addon().item2vecTrain(sentences.indptr, sentences.items, nItems, { ...options }) as SkipGramResult;
}
