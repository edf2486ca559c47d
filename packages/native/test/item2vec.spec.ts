import { describe, expect, it } from 'vitest';
import { nativeAvailable } from '../src/addon.ts';
import { item2vecTrain, type Sentences } from '../src/item2vec.ts';
import { rng } from './helpers.ts';

/** Two planted clusters: users of kind c only ever meet items c*half .. c*half + half - 1. */
function plantedCorpus(seed: number, users = 300, half = 10): Sentences {
  const rand = rng(seed);
  const indptr = new Int32Array(users + 1);
  const items: number[] = [];
  for (let u = 0; u < users; u++) {
    const c = u % 2;
    const len = 8 + Math.floor(rand() * 10);
    for (let i = 0; i < len; i++) items.push(c * half + Math.floor(rand() * half));
    indptr[u + 1] = items.length;
  }
  return { indptr, items: Int32Array.from(items) };
}

function cosine(v: Float32Array, d: number, i: number, j: number): number {
  let dot = 0;
  let a = 0;
  let b = 0;
  for (let t = 0; t < d; t++) {
    const x = v[i * d + t] as number;
    const y = v[j * d + t] as number;
    dot += x * y;
    a += x * x;
    b += y * y;
  }
  return dot / Math.sqrt(a * b);
}

/** The share of each item's `k` nearest neighbours (cosine) that lie in its own cluster. */
function clusterPurity(v: Float32Array, d: number, n: number, k: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const others = [...Array(n).keys()].filter((j) => j !== i);
    others.sort((a, b) => cosine(v, d, i, b) - cosine(v, d, i, a));
    for (const j of others.slice(0, k)) if (j < n / 2 === i < n / 2) hits++;
  }
  return hits / (n * k);
}

// In CI a missing addon is a failure, not a skip.
describe.skipIf(!nativeAvailable() && !process.env.CI)('item2vecTrain', () => {
  const corpus = plantedCorpus(7);
  const base = { dim: 16, window: 3, negative: 5, epochs: 15, sample: 0, seed: 11 } as const;

  it('recovers two planted clusters in the nearest neighbours (window and whole-sentence context)', () => {
    for (const window of [3, 0]) {
      const r = item2vecTrain(corpus, 20, { ...base, window });
      expect(r.input).toHaveLength(20 * 16);
      expect(r.output).toHaveLength(20 * 16);
      expect(r.input.every(Number.isFinite)).toBe(true);
      expect(clusterPurity(r.input, 16, 20, 5)).toBeGreaterThan(0.95);
    }
  });

  it('shuffle: sentences as sets still recover the clusters, deterministically, and differ from ordered training', () => {
    const a = item2vecTrain(corpus, 20, { ...base, shuffle: true });
    const b = item2vecTrain(corpus, 20, { ...base, shuffle: true });
    const c = item2vecTrain(corpus, 20, base);
    expect(clusterPurity(a.input, 16, 20, 5)).toBeGreaterThan(0.95);
    expect(Array.from(a.input)).toEqual(Array.from(b.input));
    expect(Array.from(a.input)).not.toEqual(Array.from(c.input));
    expect(() => item2vecTrain(corpus, 20, { ...base, shuffle: 1 as never })).toThrow(
      /options\.shuffle: expected a boolean/,
    );
  });

  it('is deterministic with threads 1 and depends on the seed', () => {
    const a = item2vecTrain(corpus, 20, { ...base, threads: 1, sample: 1e-3 });
    const b = item2vecTrain(corpus, 20, { ...base, threads: 1, sample: 1e-3 });
    const c = item2vecTrain(corpus, 20, { ...base, threads: 1, sample: 1e-3, seed: 12 });
    expect(Array.from(a.input)).toEqual(Array.from(b.input));
    expect(Array.from(a.loss)).toEqual(Array.from(b.loss));
    expect(Array.from(a.input)).not.toEqual(Array.from(c.input));
  });

  it('reports a per-epoch loss that falls from the first epoch, and pair counts', () => {
    const r = item2vecTrain(corpus, 20, { ...base, epochs: 8 });
    expect(r.loss).toHaveLength(8);
    expect(r.loss[7] as number).toBeLessThan(r.loss[0] as number);
    // without subsampling every position is a center: pairs ≥ occurrences (window ≥ 1, sentences ≥ 2)
    expect(r.pairs[0] as number).toBeGreaterThan(corpus.items.length);
    expect(r.kept[0]).toBe(corpus.items.length);
  });

  it('subsampling drops occurrences of frequent items', () => {
    const r = item2vecTrain(corpus, 20, { ...base, sample: 1e-3 });
    expect(r.kept[0] as number).toBeLessThan(corpus.items.length * 0.6);
  });

  it('trains with several Hogwild threads and still finds the clusters', () => {
    const r = item2vecTrain(corpus, 20, { ...base, threads: 2 });
    expect(clusterPurity(r.input, 16, 20, 5)).toBeGreaterThan(0.9);
  });

  it('never updates items absent from the sentences beyond their initial vectors', () => {
    const r = item2vecTrain(corpus, 22, base);
    for (const i of [20, 21]) {
      const row = r.output.subarray(i * 16, (i + 1) * 16);
      expect(row.every((x) => x === 0)).toBe(true); // never drawn as a negative, never a center
    }
  });

  it('rejects bad sizes and options with an error naming the argument', () => {
    const { indptr, items } = corpus;
    expect(() => item2vecTrain(corpus, 5, base)).toThrow(/sentences\.indices\[\d+\] = \d+ is outside 0\.\.4/);
    expect(() => item2vecTrain({ indptr: indptr.slice(0, -1), items }, 20, base)).toThrow(
      /sentences\.indptr: its last entry .* must equal items\.length/,
    );
    const decreasing = Int32Array.from(indptr);
    decreasing[1] = 100;
    expect(() => item2vecTrain({ indptr: decreasing, items }, 20, base)).toThrow(
      /indptr: decreases at row 1/,
    );
    expect(() => item2vecTrain(corpus, 20, { ...base, dim: 0 })).toThrow(
      /options\.dim: expected an integer in \[1, 4096\], got 0/,
    );
    expect(() => item2vecTrain(corpus, 20, { ...base, negative: 2.5 })).toThrow(/options\.negative/);
    expect(() => item2vecTrain(corpus, 20, { ...base, lr: 0.01, minLr: 0.1 })).toThrow(
      /options\.minLr: must not exceed lr/,
    );
    expect(() => item2vecTrain(corpus, 20, { ...base, windw: 3 } as never)).toThrow(
      /options\.windw: unknown option/,
    );
    expect(() => item2vecTrain({ indptr: new Int32Array([0]), items: new Int32Array(0) }, 3, base)).toThrow(
      /hold no items/,
    );
    expect(() =>
      item2vecTrain({ indptr: Array.from(indptr) as unknown as Int32Array, items }, 20, base),
    ).toThrow(/sentences\.indptr: expected an Int32Array/);
  });

  it('the addon itself rejects what the wrapper would have caught (a direct call)', async () => {
    const { addon } = await import('../src/addon.ts');
    expect(() => addon().item2vecTrain(corpus.indptr, corpus.items, 20, { dim: 8, window: -1 })).toThrow(
      /options\.window: expected an integer/,
    );
    expect(() => addon().item2vecTrain(corpus.indptr, new Float32Array(3), 20, { dim: 8 })).toThrow(
      /items: expected an Int32Array/,
    );
  });
});
