import { join } from 'node:path';
import type { QueryItemLists, SearchOptions, SearchResult, TrialContext } from '@embrec/core';
import { Rng, TopK, UsageError } from '@embrec/core';
import { FaissIndex as NativeFaiss } from '@embrec/native';
import type { z } from 'zod';
import { BaseIndex } from '../common/base.ts';
import type { Metric } from '../common/metric.ts';
import { ListMask } from '../common/scan.ts';
import { ExactIndex } from '../exact/exact.ts';
import type { faissSchema } from './component.ts';

/** The configured parameters: the component schema's output (one definition, faiss/component.ts). */
export type FaissParams = Omit<z.output<typeof faissSchema>, 'metric'> &
  Partial<Pick<z.output<typeof faissSchema>, 'metric'>>;

/**
 * Any FAISS index (through @embrec/native's static FAISS 1.7.3 binding) behind the index interface.
 * Metric `ip` searches inner product, `cosine` normalises then uses inner product, `l2` searches
 * squared L2 (scores are −distance). Per-call `nprobe`, `efSearch` and `kFactor` (refine) override the
 * configured defaults. FAISS's OpenMP pool is set to the call's `threads`.
 */
export class FaissIndexComponent extends BaseIndex {
  /** The recall reference the runner compares this approximate index with. */
  exactReference(): ExactIndex {
    return new ExactIndex(this.metric);
  }

  readonly type = 'faiss';
  protected readonly searchParams: readonly string[] = ['nprobe', 'efSearch', 'kFactor'];
  readonly #p: FaissParams;
  #index: NativeFaiss | undefined;
  #bytes: number | undefined;
  #threads = 0;

  constructor(metric: Metric, p: FaissParams) {
    super(metric);
    this.#p = p;
  }

  protected override get nativeFilters(): boolean {
    return this.#p.filter === 'selector';
  }

  protected params(): Record<string, string | number | boolean> {
    const out: Record<string, string | number | boolean> = {
      factory: this.#p.factory,
      filter: this.#p.filter,
    };
    if (this.#p.nprobe !== undefined) out.nprobe = this.#p.nprobe;
    if (this.#p.efSearch !== undefined) out.efSearch = this.#p.efSearch;
    if (this.#p.kFactor !== undefined) out.kFactor = this.#p.kFactor;
    return out;
  }

  protected async buildBackend(vectors: Float32Array, dim: number, ctx?: TrialContext): Promise<void> {
    const n = vectors.length / dim;
    let index: NativeFaiss;
    try {
      index = NativeFaiss.factory(dim, this.#p.factory, this.metric === 'l2' ? 'l2' : 'ip');
    } catch (e) {
      throw new UsageError(
        `index "faiss": factory "${this.#p.factory}" was rejected by FAISS: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    if (!index.isTrained) {
      const nlist = Number(/IVF(\d+)/.exec(this.#p.factory)?.[1] ?? 0);
      if (nlist > n) {
        throw new UsageError(
          `index "faiss": "${this.#p.factory}" needs at least ${nlist} vectors to train ${nlist} lists, the table has ${n}`,
        );
      }
      const size =
        this.#p.trainSize > 0 ? Math.min(n, this.#p.trainSize) : Math.min(n, Math.max(64 * nlist, 100_000));
      const t0 = performance.now();
      try {
        index.train(this.#trainSet(vectors, dim, size));
      } catch (e) {
        throw new UsageError(
          `index "faiss": training "${this.#p.factory}" on ${size} vectors failed: ${(e as Error).message}`,
          { cause: e },
        );
      }
      ctx?.log.info(
        `faiss ${this.#p.factory}: trained on ${size} vectors in ${(performance.now() - t0).toFixed(0)} ms`,
      );
    }
    // HNSW gets one add call, as FAISS's own users (and the Python peer) make it: FAISS inserts a
    // batch level by level in parallel, so 64k-row chunks build a different, lower-recall graph
    const chunk = /HNSW/.test(this.#p.factory) ? Math.max(n, 1) : 65_536;
    const progress = ctx?.progress('faiss add', n);
    for (let i = 0; i < n; i += chunk) {
      const end = Math.min(n, i + chunk);
      index.add(vectors.subarray(i * dim, end * dim));
      progress?.tick(end - i);
    }
    progress?.done();
    this.#setDefaults(index);
    this.#index = index;
    this.#bytes = undefined;
  }

  #trainSet(vectors: Float32Array, dim: number, size: number): Float32Array {
    const n = vectors.length / dim;
    if (size >= n || this.#p.trainSampling === 'first') return vectors.subarray(0, size * dim);
    // seeded partial Fisher-Yates over row indices
    const rng = new Rng(this.#p.seed);
    const rows = new Int32Array(n);
    for (let i = 0; i < n; i++) rows[i] = i;
    const out = new Float32Array(size * dim);
    for (let i = 0; i < size; i++) {
      const j = i + rng.int(n - i);
      const r = rows[j] as number;
      rows[j] = rows[i] as number;
      rows[i] = r;
      out.set(vectors.subarray(r * dim, (r + 1) * dim), i * dim);
    }
    return out;
  }

  #setDefaults(index: NativeFaiss): void {
    const p: { nprobe?: number; efSearch?: number; kFactor?: number } = {};
    if (this.#p.nprobe !== undefined && /IVF/.test(index.kind)) p.nprobe = this.#p.nprobe;
    if (this.#p.efSearch !== undefined && /HNSW/.test(index.kind)) p.efSearch = this.#p.efSearch;
    if (this.#p.kFactor !== undefined && /Refine/i.test(index.kind)) p.kFactor = this.#p.kFactor;
    index.setParams(p);
  }

  #search(
    queries: Float32Array,
    kk: number,
    params: Readonly<Record<string, number>>,
    threads: number,
    selector?: { ids: Int32Array; invert?: boolean },
  ): { ids: Int32Array; scores: Float32Array } {
    const index = this.#index;
    if (index === undefined) throw new Error('faiss index: not built');
    // FAISS parallelises over queries: one query gets one thread (a second one would only spin)
    const omp = Math.max(1, Math.min(threads, queries.length / this.dim));
    if (omp !== this.#threads) {
      NativeFaiss.setOmpThreads(omp);
      this.#threads = omp;
    }
    const opts: {
      nprobe?: number;
      efSearch?: number;
      kFactor?: number;
      selector?: { ids: Int32Array; invert?: boolean };
    } = {};
    if (params.nprobe !== undefined) opts.nprobe = params.nprobe;
    if (params.efSearch !== undefined) opts.efSearch = Math.max(params.efSearch, kk);
    else if (this.#p.efSearch !== undefined && /HNSW/.test(index.kind))
      opts.efSearch = Math.max(this.#p.efSearch, kk);
    if (params.kFactor !== undefined) opts.kFactor = params.kFactor;
    if (selector !== undefined) opts.selector = selector;
    const r = index.searchInt32(queries, kk, opts);
    const scores = r.distances;
    if (this.metric === 'l2') {
      for (let i = 0; i < scores.length; i++) scores[i] = -(scores[i] as number);
    }
    for (let i = 0; i < scores.length; i++)
      if ((r.labels[i] as number) < 0) scores[i] = Number.NEGATIVE_INFINITY;
    return { ids: r.labels, scores };
  }

  protected rawSearch(
    queries: Float32Array,
    kk: number,
    params: Readonly<Record<string, number>>,
    threads: number,
  ): { ids: Int32Array; scores: Float32Array } {
    return this.#search(queries, kk, params, threads);
  }

  /** Selector mode: one FAISS call per query with its exclusion / allow list as an ID selector. */
  protected override filteredRaw(
    queries: Float32Array,
    k: number,
    opts: SearchOptions,
    params: Readonly<Record<string, number>>,
    threads: number,
  ): SearchResult {
    const scorer = this.scorer;
    if (scorer === undefined) throw new Error('faiss index: not built');
    const { n, dim } = scorer;
    const nq = queries.length / dim;
    const ids = new Int32Array(nq * k).fill(-1);
    const scores = new Float32Array(nq * k).fill(Number.NEGATIVE_INFINITY);
    const mask = new ListMask(n, opts.exclude, opts.allow);
    const heap = new TopK(k);
    for (let q = 0; q < nq; q++) {
      mask.select(q);
      const valid = mask.validCount();
      const want = Math.min(k, valid);
      let got = 0;
      if (valid > Math.max(4 * k, n / 16)) {
        const sel = selectorFor(q, opts.exclude, opts.allow, mask, n);
        const r = this.#search(queries.subarray(q * dim, (q + 1) * dim), k, params, threads, sel);
        for (let j = 0; j < k; j++) {
          const id = r.ids[j] as number;
          if (id >= 0 && mask.ok(id)) {
            ids[q * k + got] = id;
            scores[q * k + got] = r.scores[j] as number;
            got++;
          }
        }
      }
      if (got < want) {
        const qn = scorer.queryNorm(queries, q);
        mask.forEachValid((i) => {
          const s = scorer.score(queries, q, i, qn);
          if (s >= heap.threshold) heap.push(i, s);
        });
        heap.drain(ids, scores, q * k, k);
      }
    }
    mask.clear();
    return { k, ids, scores };
  }

  protected async saveBackend(dir: string): Promise<void> {
    if (this.#index === undefined) throw new Error('faiss index: not built');
    this.#index.writeFile(join(dir, 'index.faiss'));
  }

  protected async loadBackend(dir: string): Promise<void> {
    const index = NativeFaiss.readFile(join(dir, 'index.faiss'));
    this.#setDefaults(index);
    this.#index = index;
    this.#bytes = undefined;
  }

  protected backendBytes(): number {
    if (this.#index === undefined) return 0;
    const bytes = this.#bytes ?? this.#index.toBuffer().byteLength;
    this.#bytes = bytes;
    return bytes;
  }

  /** The FAISS parts inside ("IVF", "HNSW", "Refine,IVF"…). */
  kind(): string {
    return this.#index?.kind ?? '';
  }

  override dispose(): void {
    this.#index?.dispose();
    this.#index = undefined;
    super.dispose();
  }
}

/** The FAISS selector of query q: its allow-list minus exclusions, or its exclusions inverted. */
function selectorFor(
  q: number,
  exclude: QueryItemLists | undefined,
  allow: QueryItemLists | undefined,
  mask: ListMask,
  _n: number,
): { ids: Int32Array; invert?: boolean } {
  if (allow !== undefined) {
    const out: number[] = [];
    mask.forEachValid((i) => {
      out.push(i);
    });
    return { ids: Int32Array.from(out) };
  }
  const ex = exclude as QueryItemLists;
  return { ids: ex.indices.subarray(ex.indptr[q] as number, ex.indptr[q + 1] as number), invert: true };
}
