import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  EmbeddingTable,
  IndexComponent,
  IndexStats,
  SearchOptions,
  SearchResult,
  TrialContext,
} from '@embrec/core';
import { DataError, IdMap, UsageError } from '@embrec/core';
import { filteredSearch } from './filter.ts';
import { type Metric, normalizeRows, squaredNorms } from './metric.ts';
import { ExactScorer } from './scan.ts';
import { readF32, readJson, writeF32, writeFolderAtomic } from './store.ts';
import { checkLists, checkSearchArgs, checkTable } from './validate.ts';

/** What every index folder holds besides the backend's own file. */
interface IndexMeta {
  format: 1;
  type: string;
  dim: number;
  size: number;
  metric: Metric;
  buildMs: number;
  params: Record<string, string | number | boolean>;
}

/**
 * The shared half of every index: argument checks, metric handling (cosine by normalisation),
 * exclude / allow filtering by over-fetch and refill, the ID map, stats and atomic save / load.
 * The folder layout is `meta.json`, `ids.json`, `vectors.f32` (the indexed vectors: exact scoring
 * for filtered queries with few valid items, and the reference for recall) and the backend's files.
 * A backend implements `buildBackend`, `rawSearch` (unfiltered, [nq, kk] best first) and its files.
 */
export abstract class BaseIndex implements IndexComponent {
  abstract readonly type: string;
  protected readonly metric: Metric;
  protected dim = 0;
  protected idMap: IdMap = new IdMap();
  protected scorer: ExactScorer | undefined;
  protected buildMs = 0;

  constructor(metric: Metric) {
    this.metric = metric;
  }

  /** Backend parameters reported in stats() and saved with the index. */
  protected abstract params(): Record<string, string | number | boolean>;
  /** Builds the backend from [n, dim] vectors (already normalised for cosine). */
  protected abstract buildBackend(vectors: Float32Array, dim: number, ctx?: TrialContext): Promise<void>;
  /** Unfiltered search: kk ≤ n results per query, best first, -1 padded, higher score = better. */
  protected abstract rawSearch(
    queries: Float32Array,
    kk: number,
    params: Readonly<Record<string, number>>,
    threads: number,
  ): { ids: Int32Array; scores: Float32Array };
  protected abstract saveBackend(dir: string): Promise<void>;
  protected abstract loadBackend(dir: string, vectors: Float32Array, dim: number): Promise<void>;
  /** Bytes held by the backend (the stored vectors are counted by the base). */
  protected abstract backendBytes(): number;
  /** Per-call parameter names this backend accepts. */
  protected abstract readonly searchParams: readonly string[];
  /** Whether rawSearch honours exclude/allow itself (the exact index does). */
  protected get nativeFilters(): boolean {
    return false;
  }

  async build(table: EmbeddingTable, ctx?: TrialContext): Promise<void> {
    checkTable(this.type, table.dim, table.vectors, table.ids.size);
    const t0 = performance.now();
    const vectors = this.metric === 'cosine' ? normalizeRows(table.vectors, table.dim) : table.vectors;
    this.dim = table.dim;
    this.idMap = table.ids;
    this.scorer = this.#makeScorer(vectors, table.dim);
    await this.buildBackend(vectors, table.dim, ctx);
    this.buildMs = performance.now() - t0;
    ctx?.log.info(
      `index ${this.type}: built over ${table.ids.size} × ${table.dim} in ${this.buildMs.toFixed(0)} ms`,
    );
  }

  search(queries: Float32Array, k: number, opts: SearchOptions = {}): SearchResult {
    const nq = checkSearchArgs(this.type, queries, this.dim, k, this.scorer !== undefined, this.scorer?.n);
    const scorer = this.scorer as ExactScorer;
    const n = scorer.n;
    checkLists(this.type, 'exclude', opts.exclude, nq, n);
    checkLists(this.type, 'allow', opts.allow, nq, n);
    const params = opts.params ?? {};
    for (const key of Object.keys(params)) {
      if (!this.searchParams.includes(key)) {
        throw new UsageError(
          `index "${this.type}": unknown search parameter "${key}" (accepted: ${this.searchParams.join(', ') || 'none'})`,
        );
      }
    }
    const threads = opts.threads ?? 1;
    const q = this.metric === 'cosine' ? normalizeRows(queries, this.dim) : queries;
    const raw = (x: Float32Array, kk: number) => this.rawSearch(x, kk, params, threads);
    if (opts.exclude === undefined && opts.allow === undefined) {
      return pad(raw(q, Math.min(k, n)), nq, Math.min(k, n), k);
    }
    if (this.nativeFilters) return this.filteredRaw(q, k, opts, params, threads);
    const r = filteredSearch(raw, scorer, q, k, opts.exclude, opts.allow);
    return { k, ids: r.ids, scores: r.scores };
  }

  /** Filtered search done by the backend itself (only when nativeFilters is true). */
  protected filteredRaw(
    _queries: Float32Array,
    _k: number,
    _opts: SearchOptions,
    _params: Readonly<Record<string, number>>,
    _threads: number,
  ): SearchResult {
    throw new Error(`index "${this.type}" declares native filters but does not implement them`);
  }

  async save(dir: string): Promise<void> {
    const scorer = this.#built('save');
    const meta: IndexMeta = {
      format: 1,
      type: this.type,
      dim: this.dim,
      size: scorer.n,
      metric: this.metric,
      buildMs: this.buildMs,
      params: this.params(),
    };
    await writeFolderAtomic(dir, async (tmp) => {
      await writeFile(join(tmp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
      await writeFile(join(tmp, 'ids.json'), JSON.stringify(this.idMap.toJSON()));
      await writeF32(join(tmp, 'vectors.f32'), scorer.vectors);
      await this.saveBackend(tmp);
    });
  }

  async load(dir: string): Promise<void> {
    const meta = (await readJson(join(dir, 'meta.json'))) as Partial<IndexMeta>;
    if (meta.type !== this.type) {
      throw new DataError(
        `${join(dir, 'meta.json')}: field "type" is "${String(meta.type)}", but this is a "${this.type}" index`,
      );
    }
    if (meta.metric !== this.metric) {
      throw new DataError(
        `${join(dir, 'meta.json')}: field "metric" is "${String(meta.metric)}", but this index was configured with "${this.metric}"`,
      );
    }
    const dim = Number(meta.dim);
    const size = Number(meta.size);
    const ids = IdMap.fromJSON(await readJson(join(dir, 'ids.json')));
    if (ids.size !== size) {
      throw new DataError(
        `${join(dir, 'ids.json')}: expected ${size} ids (meta.json "size"), found ${ids.size}`,
      );
    }
    const vectors = await readF32(join(dir, 'vectors.f32'), size * dim);
    this.dim = dim;
    this.idMap = ids;
    this.buildMs = Number(meta.buildMs ?? 0);
    this.scorer = this.#makeScorer(vectors, dim);
    await this.loadBackend(dir, vectors, dim);
  }

  stats(): IndexStats {
    const n = this.scorer?.n ?? 0;
    return {
      type: this.type,
      size: n,
      dim: this.dim,
      memoryBytes: this.backendBytes() + n * this.dim * 4,
      buildMs: this.buildMs,
      params: { metric: this.metric, ...this.params() },
    };
  }

  ids(): IdMap {
    return this.idMap;
  }

  dispose(): void {
    this.scorer = undefined;
  }

  #built(what: string): ExactScorer {
    if (this.scorer === undefined) {
      throw new UsageError(`index "${this.type}": ${what}() was called before build() or load()`);
    }
    return this.scorer;
  }

  #makeScorer(vectors: Float32Array, dim: number): ExactScorer {
    return new ExactScorer(
      vectors,
      dim,
      this.metric,
      this.metric === 'l2' ? squaredNorms(vectors, dim) : undefined,
    );
  }
}

/** Widens [nq, have] results to [nq, k] with -1 / -Infinity padding. */
function pad(
  r: { ids: Int32Array; scores: Float32Array },
  nq: number,
  have: number,
  k: number,
): SearchResult {
  if (have === k) return { k, ids: r.ids, scores: r.scores };
  const ids = new Int32Array(nq * k).fill(-1);
  const scores = new Float32Array(nq * k).fill(Number.NEGATIVE_INFINITY);
  for (let q = 0; q < nq; q++) {
    ids.set(r.ids.subarray(q * have, (q + 1) * have), q * k);
    scores.set(r.scores.subarray(q * have, (q + 1) * have), q * k);
  }
  return { k, ids, scores };
}
