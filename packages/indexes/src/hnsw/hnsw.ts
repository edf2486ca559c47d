import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrialContext } from '@embrec/core';
import { addon, getThreads, nativeAvailable } from '@embrec/native';
import type { HierarchicalNSW, SpaceName } from 'hnswlib-node';
import hnswlib from 'hnswlib-node';
import type { z } from 'zod';
import { BaseIndex } from '../common/base.ts';
import type { Metric } from '../common/metric.ts';
import { ExactIndex } from '../exact/exact.ts';
import type { hnswSchema } from './component.ts';

/** The configured parameters: the component schema's output (one definition, hnsw/component.ts). */
export type HnswParams = Omit<z.output<typeof hnswSchema>, 'metric'>;

/** The hnsw* functions of @embrec/native: hnswlib's headers bound with typed arrays and threads. */
interface NativeHnsw {
  hnswCreate(
    space: SpaceName,
    dim: number,
    maxElements: number,
    M: number,
    efc: number,
    seed: number,
  ): unknown;
  hnswAdd(h: unknown, vectors: Float32Array, n: number, threads: number): void;
  hnswSearch(
    h: unknown,
    queries: Float32Array,
    nq: number,
    k: number,
    ef: number,
    threads: number,
  ): { ids: Int32Array; distances: Float32Array };
  hnswSave(h: unknown, file: string): void;
  hnswLoad(space: SpaceName, dim: number, file: string): unknown;
  hnswCount(h: unknown): number;
}

let nativeHnsw: NativeHnsw | null | undefined;
/** @embrec/native's hnswlib binding, or null (no addon, built without hnswlib, EMBREC_NO_NATIVE=1). */
function native(): NativeHnsw | null {
  if (nativeHnsw === undefined) {
    const ok =
      process.env.EMBREC_NO_NATIVE !== '1' &&
      nativeAvailable() &&
      typeof (addon() as Record<string, unknown>).hnswCreate === 'function';
    nativeHnsw = ok ? (addon() as unknown as NativeHnsw) : null;
  }
  return nativeHnsw;
}

/**
 * HNSW graph index on hnswlib. hnswlib's spaces map to embrec's metrics (`ip` → 1 − q·x,
 * `cosine` → 1 − cos, `l2` → ‖q − x‖²); scores are converted back so that higher is better.
 * With the native addon it runs hnswlib's headers through @embrec/native (typed arrays, a batch per
 * call, builds on getThreads().omp threads, searches on the call's threads); otherwise through
 * hnswlib-node, which takes a number[] per point and per query, one call per query, single-threaded
 * (docs/indexes.md "hnswlib-node notes"). Both write hnswlib's own file format, so either loads the
 * other's index. efSearch is raised to k when smaller (hnswlib needs ef ≥ k).
 */
export class HnswIndex extends BaseIndex {
  /** The recall reference the runner compares this approximate index with. */
  exactReference(): ExactIndex {
    return new ExactIndex(this.metric);
  }

  readonly type = 'hnsw';
  protected readonly searchParams: readonly string[] = ['efSearch'];
  readonly #p: HnswParams;
  #index: HierarchicalNSW | undefined;
  #graph: unknown;

  constructor(metric: Metric, p: HnswParams) {
    super(metric);
    this.#p = p;
  }

  protected params(): Record<string, string | number | boolean> {
    return { M: this.#p.M, efConstruction: this.#p.efConstruction, efSearch: this.#p.efSearch };
  }

  #space(): SpaceName {
    return this.metric === 'cosine' ? 'ip' : this.metric; // vectors are normalised already for cosine
  }

  protected async buildBackend(vectors: Float32Array, dim: number, ctx?: TrialContext): Promise<void> {
    const n = vectors.length / dim;
    const nat = native();
    if (nat !== null) {
      const g = nat.hnswCreate(this.#space(), dim, n, this.#p.M, this.#p.efConstruction, this.#p.seed);
      const threads = Math.max(1, getThreads().omp);
      const progress = ctx?.progress('hnsw build', n);
      const step = 50_000; // chunks: progress and abort between them
      for (let i = 0; i < n; i += step) {
        const m = Math.min(step, n - i);
        nat.hnswAdd(g, vectors.subarray(i * dim, (i + m) * dim), m, threads);
        progress?.tick(m);
        if (ctx?.signal.aborted) throw new Error('hnsw build aborted');
      }
      progress?.done();
      this.#graph = g;
      return;
    }
    const index = new hnswlib.HierarchicalNSW(this.#space(), dim);
    index.initIndex({
      maxElements: n,
      m: this.#p.M,
      efConstruction: this.#p.efConstruction,
      randomSeed: this.#p.seed,
    });
    const progress = ctx?.progress('hnsw build', n);
    const row = new Array<number>(dim);
    for (let i = 0; i < n; i++) {
      for (let j = 0, o = i * dim; j < dim; j++) row[j] = vectors[o + j] as number;
      index.addPoint(row, i);
      if (progress && (i + 1) % 10_000 === 0) progress.tick(10_000);
      if (ctx?.signal.aborted) throw new Error('hnsw build aborted');
    }
    progress?.done();
    index.setEf(this.#p.efSearch);
    this.#index = index;
  }

  protected rawSearch(
    queries: Float32Array,
    kk: number,
    params: Readonly<Record<string, number>>,
    threads: number,
  ): { ids: Int32Array; scores: Float32Array } {
    const toScore = this.metric === 'l2' ? (d: number) => -d : (d: number) => 1 - d;
    const nat = native();
    if (nat !== null && this.#graph !== undefined) {
      const nq = queries.length / this.dim;
      const ef = params.efSearch ?? this.#p.efSearch;
      const r = nat.hnswSearch(this.#graph, queries, nq, kk, Math.max(kk, ef), Math.max(1, threads));
      const scores = new Float32Array(r.distances.length);
      for (let i = 0; i < scores.length; i++) {
        scores[i] = (r.ids[i] as number) < 0 ? Number.NEGATIVE_INFINITY : toScore(r.distances[i] as number);
      }
      return { ids: r.ids, scores };
    }
    const index = this.#index;
    if (index === undefined) throw new Error('hnsw index: not built');
    const dim = this.dim;
    const nq = queries.length / dim;
    const count = index.getCurrentCount();
    const k = Math.min(kk, count);
    index.setEf(Math.max(k, params.efSearch ?? this.#p.efSearch));
    const ids = new Int32Array(nq * kk).fill(-1);
    const scores = new Float32Array(nq * kk).fill(Number.NEGATIVE_INFINITY);
    const q = new Array<number>(dim);
    for (let r = 0; r < nq; r++) {
      for (let j = 0, o = r * dim; j < dim; j++) q[j] = queries[o + j] as number;
      const res = index.searchKnn(q, k);
      // hnswlib returns nearest first
      for (let j = 0; j < res.neighbors.length; j++) {
        ids[r * kk + j] = res.neighbors[j] as number;
        scores[r * kk + j] = toScore(res.distances[j] as number);
      }
    }
    return { ids, scores };
  }

  protected async saveBackend(dir: string): Promise<void> {
    const nat = native();
    if (nat !== null && this.#graph !== undefined) {
      nat.hnswSave(this.#graph, join(dir, 'index.hnsw'));
      return;
    }
    if (this.#index === undefined) throw new Error('hnsw index: not built');
    await this.#index.writeIndex(join(dir, 'index.hnsw'));
  }

  protected async loadBackend(dir: string, _vectors: Float32Array, dim: number): Promise<void> {
    const nat = native();
    if (nat !== null) {
      this.#graph = nat.hnswLoad(this.#space(), dim, join(dir, 'index.hnsw'));
      return;
    }
    const index = new hnswlib.HierarchicalNSW(this.#space(), dim);
    await index.readIndex(join(dir, 'index.hnsw'));
    index.setEf(this.#p.efSearch);
    this.#index = index;
  }

  protected backendBytes(): number {
    const nat = native();
    const n =
      nat !== null && this.#graph !== undefined
        ? nat.hnswCount(this.#graph)
        : (this.#index?.getCurrentCount() ?? 0);
    // hnswlib: level-0 links (2M ids) + label + vector per element, plus upper levels (~1/M of them)
    const level0 = n * (this.#p.M * 2 * 4 + 4 + 8 + this.dim * 4);
    return Math.round(level0 + (n / this.#p.M) * this.#p.M * 4);
  }

  /** Size of the serialized graph in bytes (written to a temp file): the exact memory figure. */
  async serializedBytes(): Promise<number> {
    if (this.#index === undefined && this.#graph === undefined) return 0;
    const dir = await mkdtemp(join(tmpdir(), 'embrec-hnsw-'));
    try {
      const f = join(dir, 'g.hnsw');
      if (this.#graph !== undefined) (native() as NativeHnsw).hnswSave(this.#graph, f);
      else await (this.#index as HierarchicalNSW).writeIndex(f);
      const { stat } = await import('node:fs/promises');
      return (await stat(f)).size;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  override dispose(): void {
    this.#index = undefined;
    this.#graph = undefined; // the addon frees the graph when the handle is collected
    super.dispose();
  }
}
