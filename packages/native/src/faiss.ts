import { addon, type RawAddon } from './addon.ts';

/** Similarity of a FAISS index: inner product (larger is closer) or squared L2 (smaller is closer). */
export type FaissMetric = 'ip' | 'l2';

/** Per-call search parameters; each applies only to indexes with that part, otherwise it is an error. */
export interface FaissSearchParams {
  /** IVF: inverted lists visited per query. */
  readonly nprobe?: number | undefined;
  /** HNSW: size of the dynamic candidate list. */
  readonly efSearch?: number | undefined;
  /** Refine (`...,RFlat`): the base index returns k·kFactor candidates that are re-scored exactly. */
  readonly kFactor?: number | undefined;
}

/**
 * Which ids a search may return (or which ids `removeIds` removes): exactly one of a list of ids
 * (FAISS IDSelectorBatch), a bitmap (bit i of byte i>>3 selects id i) or a half-open range.
 * `invert` selects the complement.
 */
export type FaissSelector = (
  | { readonly ids: BigInt64Array | Int32Array }
  | { readonly bitmap: Uint8Array }
  | { readonly range: readonly [number, number] }
) & { readonly invert?: boolean | undefined };

export interface FaissSearchOptions extends FaissSearchParams {
  /** Restrict the results to these ids (Flat, IVF and HNSW cores, optionally inside IDMap). */
  readonly selector?: FaissSelector | undefined;
}

/** Row q's j-th result is at q*k + j; missing results have label -1 and distance ∓Infinity. */
export interface FaissSearchResult<L extends BigInt64Array | Int32Array = BigInt64Array> {
  readonly distances: Float32Array;
  readonly labels: L;
}

interface RawIndex {
  train(x: Float32Array): void;
  add(x: Float32Array): void;
  addWithIds(x: Float32Array, ids: BigInt64Array): void;
  search(
    x: Float32Array,
    k: number,
    params: FaissSearchParams | undefined,
    selector: FaissSelector | undefined,
    labels32: boolean,
  ): { distances: Float32Array; labels: BigInt64Array | Int32Array };
  setParams(p: FaissSearchParams): void;
  removeIds(sel: FaissSelector): number;
  reconstruct(key: number): Float32Array;
  reset(): void;
  writeFile(path: string): void;
  toBuffer(): Buffer;
  dispose(): void;
  readonly ntotal: number;
  readonly d: number;
  readonly isTrained: boolean;
  readonly metric: FaissMetric | 'other';
  readonly kind: string;
  readonly disposed: boolean;
}

/**
 * The FAISS version the addon was compiled against: Debian's 1.7.3 by default, or the source tree
 * named by EMBREC_FAISS_SRC at build time (docs/indexes.md, "A newer FAISS").
 */
export function faissVersion(): string {
  return addon().faissVersion as string;
}

function rawClass(): RawAddon {
  return addon().FaissIndex as RawAddon;
}

function params(o: FaissSearchParams): FaissSearchParams | undefined {
  const p: { nprobe?: number; efSearch?: number; kFactor?: number } = {};
  if (o.nprobe !== undefined) p.nprobe = o.nprobe;
  if (o.efSearch !== undefined) p.efSearch = o.efSearch;
  if (o.kFactor !== undefined) p.kFactor = o.kFactor;
  return Object.keys(p).length > 0 ? p : undefined;
}

/**
 * A FAISS index (FAISS linked statically: Debian's 1.7.3 unless built from source, see `faissVersion`). Vectors are row-major Float32Arrays whose length
 * is a multiple of `d`; labels are int64 (`BigInt64Array`), or int32 with `searchInt32`.
 * Calls are synchronous. Free the native memory with `dispose()` (or let GC do it).
 */
export class FaissIndex {
  readonly #raw: RawIndex;

  private constructor(raw: RawIndex) {
    this.#raw = raw;
  }

  /** `faiss.index_factory(d, description, metric)`, e.g. "Flat", "IVF256,Flat", "HNSW32", "IDMap2,Flat". */
  static factory(d: number, description: string, metric: FaissMetric = 'ip'): FaissIndex {
    return new FaissIndex(rawClass().factory(d, description, metric) as RawIndex);
  }

  /** Reads an index written by `writeFile` or by Python's `faiss.write_index`. */
  static readFile(path: string): FaissIndex {
    return new FaissIndex(rawClass().readFile(path) as RawIndex);
  }

  /** Alias of `readFile` (FAISS's name). */
  static readIndex(path: string): FaissIndex {
    return FaissIndex.readFile(path);
  }

  /** Reads an index serialised by `toBuffer` (or `faiss.serialize_index`). */
  static fromBuffer(buf: Uint8Array): FaissIndex {
    return new FaissIndex(rawClass().fromBuffer(buf) as RawIndex);
  }

  get d(): number {
    return this.#raw.d;
  }
  get ntotal(): number {
    return this.#raw.ntotal;
  }
  get isTrained(): boolean {
    return this.#raw.isTrained;
  }
  get metric(): FaissMetric | 'other' {
    return this.#raw.metric;
  }
  /** The parts found inside, e.g. "IDMap,IVF", "HNSW", "Flat". */
  get kind(): string {
    return this.#raw.kind;
  }
  get disposed(): boolean {
    return this.#raw.disposed;
  }

  train(x: Float32Array): void {
    this.#raw.train(x);
  }

  /** Adds vectors with sequential ids ntotal, ntotal+1, ... */
  add(x: Float32Array): void {
    this.#raw.add(x);
  }

  /** Adds vectors with the given int64 ids (IVF indexes, or any index wrapped as "IDMap,..."). */
  addWithIds(x: Float32Array, ids: BigInt64Array): void {
    this.#raw.addWithIds(x, ids);
  }

  /** k nearest neighbours of each query row, labels as int64. */
  search(
    queries: Float32Array,
    k: number,
    options: FaissSearchOptions = {},
  ): FaissSearchResult<BigInt64Array> {
    return this.#raw.search(
      queries,
      k,
      params(options),
      options.selector,
      false,
    ) as FaissSearchResult<BigInt64Array>;
  }

  /** Like `search`, with labels as int32 (throws if a label does not fit). */
  searchInt32(
    queries: Float32Array,
    k: number,
    options: FaissSearchOptions = {},
  ): FaissSearchResult<Int32Array> {
    return this.#raw.search(
      queries,
      k,
      params(options),
      options.selector,
      true,
    ) as FaissSearchResult<Int32Array>;
  }

  /** Sets default search parameters (used by later searches that do not pass their own). */
  setParams(p: FaissSearchParams): void {
    const q = params(p);
    if (q) this.#raw.setParams(q);
  }

  /** Removes the selected ids; returns how many were removed (not supported by HNSW). */
  removeIds(selector: FaissSelector | BigInt64Array): number {
    return this.#raw.removeIds(selector instanceof BigInt64Array ? { ids: selector } : selector);
  }

  /** The stored vector of an id (IVF indexes get a direct map on first use; IDMap needs "IDMap2"). */
  reconstruct(id: number | bigint): Float32Array {
    return this.#raw.reconstruct(Number(id));
  }

  /** Removes all vectors (keeps the training). */
  reset(): void {
    this.#raw.reset();
  }

  writeFile(path: string): void {
    this.#raw.writeFile(path);
  }

  /** Alias of `writeFile` (FAISS's name). */
  writeIndex(path: string): void {
    this.#raw.writeFile(path);
  }

  toBuffer(): Buffer {
    return this.#raw.toBuffer();
  }

  /** Frees the native index now; any later call throws. */
  dispose(): void {
    this.#raw.dispose();
  }

  /** OpenMP threads used by FAISS (process-wide; the same pool as `setThreads({ omp })`). */
  static setOmpThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`setOmpThreads: expected an integer >= 1, got ${n}`);
    addon().setOmpThreads(n);
  }
}
