import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrialContext } from '@embrec/core';
import type { HierarchicalNSW, SpaceName } from 'hnswlib-node';
import hnswlib from 'hnswlib-node';
import type { z } from 'zod';
import { BaseIndex } from '../common/base.ts';
import type { Metric } from '../common/metric.ts';
import { ExactIndex } from '../exact/exact.ts';
import type { hnswSchema } from './component.ts';

/** The configured parameters: the component schema's output (one definition, hnsw/component.ts). */
export type HnswParams = Omit<z.output<typeof hnswSchema>, 'metric'>;

/**
 * HNSW graph index on hnswlib-node. hnswlib's spaces map to embrec's metrics (`ip` → 1 − q·x,
 * `cosine` → 1 − cos, `l2` → ‖q − x‖²); scores are converted back so that higher is better.
 * hnswlib-node takes plain number[] per point and per query: the copy is part of every call
 * (measured in docs/indexes.md). efSearch is raised to k when smaller (hnswlib needs ef ≥ k).
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
  ): { ids: Int32Array; scores: Float32Array } {
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
    const toScore = this.metric === 'l2' ? (d: number) => -d : (d: number) => 1 - d;
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
    if (this.#index === undefined) throw new Error('hnsw index: not built');
    await this.#index.writeIndex(join(dir, 'index.hnsw'));
  }

  protected async loadBackend(dir: string, _vectors: Float32Array, dim: number): Promise<void> {
    const index = new hnswlib.HierarchicalNSW(this.#space(), dim);
    await index.readIndex(join(dir, 'index.hnsw'));
    index.setEf(this.#p.efSearch);
    this.#index = index;
  }

  protected backendBytes(): number {
    const n = this.#index?.getCurrentCount() ?? 0;
    // hnswlib: level-0 links (2M ids) + label + vector per element, plus upper levels (~1/M of them)
    const level0 = n * (this.#p.M * 2 * 4 + 4 + 8 + this.dim * 4);
    return Math.round(level0 + (n / this.#p.M) * this.#p.M * 4);
  }

  /** Size of the serialized graph in bytes (written to a temp file): the exact memory figure. */
  async serializedBytes(): Promise<number> {
    if (this.#index === undefined) return 0;
    const dir = await mkdtemp(join(tmpdir(), 'embrec-hnsw-'));
    try {
      const f = join(dir, 'g.hnsw');
      await this.#index.writeIndex(f);
      const { stat } = await import('node:fs/promises');
      return (await stat(f)).size;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  override dispose(): void {
    this.#index = undefined;
    super.dispose();
  }
}
