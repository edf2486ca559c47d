import { join } from 'node:path';
import { DataError, mmrSelect, type QueryItemLists, type Registry, UsageError } from '@embrec/core';
import type { Bundle, ItemInfo } from './bundle.ts';
import {
  type BundleRanker,
  type BundleReranker,
  type FoldInModel,
  loadFoldInModel,
  loadRanker,
  loadRerankers,
  type RankerSpec,
  RerankContext,
} from './pipeline.ts';

/** One recommended item: which stage put it at this place, with that stage's score. */
export interface Scored {
  readonly id: string;
  readonly name?: string;
  readonly score: number;
  readonly stage: string;
}

export interface RecommendOptions {
  readonly k: number;
  readonly excludeSeen?: boolean;
  /** attribute → accepted value(s): an item passes when each attribute matches one of its values. */
  readonly filters?: Readonly<Record<string, string | number | readonly (string | number)[]>>;
  /** Re-rankers to apply: true = the bundle's served re-rankers, false = none, or a list of their types. */
  readonly rerank?: boolean | readonly string[];
  /** Rank the candidates with the bundle's ranker (default: true when the bundle serves one). */
  readonly rank?: boolean;
  readonly exclude?: readonly string[];
}

export interface Recommendation {
  readonly source: 'model' | 'fold-in' | 'popularity';
  readonly items: readonly Scored[];
  /** Milliseconds per stage. */
  readonly stages: Readonly<Record<string, number>>;
  /** Why a requested stage did not run (e.g. the ranker cannot score a new user). */
  readonly note?: string;
}

/** The served pipeline's components besides retrieval (built by `Engine.create`). */
export interface EngineStages {
  readonly ranker?: BundleRanker | undefined;
  /** Re-rankers served through their components (MMR is the engine's own). */
  readonly rerankers?: readonly BundleReranker[];
  /** The retrieval model whose foldIn makes new users' vectors (pipeline.foldIn.method "model"). */
  readonly foldIn?: FoldInModel | undefined;
}

export class NotFound extends Error {}
export class BadRequest extends Error {}

/** Retrieval → re-ranking over one loaded bundle. Immutable: hot reload swaps whole engines. */
export class Engine {
  readonly bundle: Bundle;
  readonly #popular: Int32Array;
  readonly #attr = new Map<string, Map<string, number[]>>();
  readonly #nameLower: string[];
  /** Scratch marks of excluded item rows (set and cleared within one synchronous search). */
  readonly #mark: Uint8Array;

  readonly #ranker: BundleRanker | undefined;
  readonly #foldModel: FoldInModel | undefined;
  readonly #components: ReadonlyMap<string, BundleReranker>;
  #rerankCtx: RerankContext | undefined;

  /**
   * An engine with the bundle's ranker and re-rankers built through `registry` (the CLI passes the
   * built-in plugins). Without a registry only retrieval and MMR can be served: a bundle whose
   * pipeline serves more is refused with a message saying so.
   */
  static async create(bundle: Bundle, registry?: Registry): Promise<Engine> {
    const p = bundle.pipeline;
    const ranker = p.ranker?.served ? (p.ranker as RankerSpec) : undefined;
    // the engine's own MMR is the component's default (embedding cosine, k of the request); an MMR
    // block with an attribute (Jaccard of categories) or its own k goes through the component
    const others = p.rerankers.filter(
      (r) => r.served && (r.type !== 'mmr' || r.attribute !== undefined || r.k !== undefined),
    );
    // without plugins, a model whose fold-in is a pooling rule (MF, towers) folds in by that rule
    const model = p.foldIn.method === 'model' && (registry !== undefined || p.foldIn.pooling === undefined);
    if (!registry) {
      if (ranker || others.length > 0 || model)
        throw new UsageError(
          `${bundle.dir}: the bundle's pipeline serves ${[ranker ? `ranker ${ranker.type}` : '', ...others.map((r) => `re-ranker ${r.type}`), model ? `the ${bundle.manifest.source.model} model's fold-in` : ''].filter(Boolean).join(', ')}: pass a plugin registry to build them (embrec serve does)`,
        );
      return new Engine(bundle);
    }
    let foldIn: FoldInModel | undefined;
    if (model) {
      foldIn = await loadFoldInModel(
        join(bundle.dir, 'model'),
        p.foldIn.block ?? {},
        p.foldIn.sections ?? {},
        registry,
        join(bundle.dir, 'pipeline.json'),
      );
      const v = foldIn.foldIn([]);
      if (v.length !== bundle.items.dim)
        throw new DataError(
          `${join(bundle.dir, 'model')}: the model's fold-in vectors have dim ${v.length}, the bundle's embeddings ${bundle.items.dim}`,
        );
    }
    return new Engine(bundle, {
      ranker: ranker ? await loadRanker(bundle.dir, ranker, bundle, registry) : undefined,
      rerankers: await loadRerankers(bundle.dir, others, registry),
      foldIn,
    });
  }

  constructor(bundle: Bundle, stages: EngineStages = {}) {
    this.bundle = bundle;
    this.#ranker = stages.ranker;
    this.#foldModel = stages.foldIn;
    this.#components = new Map((stages.rerankers ?? []).map((r) => [r.spec.type, r]));
    this.#mark = new Uint8Array(bundle.items.ids.size);
    const counts = new Float64Array(bundle.items.ids.size);
    for (const i of bundle.history.indices) counts[i]!++;
    this.#popular = Int32Array.from(counts.keys()).sort((a, b) => counts[b]! - counts[a]! || a - b);
    bundle.itemInfo.forEach((info, row) => {
      for (const [k, v] of Object.entries(info.attributes)) {
        let m = this.#attr.get(k);
        if (!m) {
          m = new Map();
          this.#attr.set(k, m);
        }
        for (const x of Array.isArray(v) ? v : [v]) {
          const key = String(x);
          let rows = m.get(key);
          if (!rows) {
            rows = [];
            m.set(key, rows);
          }
          rows.push(row);
        }
      }
    });
    this.#nameLower = bundle.itemInfo.map((i) => `${i.id} ${i.name ?? ''}`.toLowerCase());
  }

  /** Frees the models' tensors (the ranker's network, the fold-in model); the engine must be out of use. */
  dispose(): void {
    this.#ranker?.dispose();
    this.#foldModel?.dispose?.();
  }

  get version(): string {
    return this.bundle.version;
  }

  attributes(): string[] {
    return [...this.#attr.keys()];
  }

  userRow(id: string): number {
    const u = this.bundle.users.ids.get(id);
    if (u === undefined) throw new NotFound(`unknown user "${id}"`);
    return u;
  }

  itemRow(id: string): number {
    const i = this.bundle.items.ids.get(id);
    if (i === undefined) throw new NotFound(`unknown item "${id}"`);
    return i;
  }

  item(row: number): ItemInfo {
    return this.bundle.itemInfo[row]!;
  }

  history(u: number): Int32Array {
    const { indptr, indices } = this.bundle.history;
    return indices.subarray(indptr[u]!, indptr[u + 1]!);
  }

  searchItems(q: string, limit: number): ItemInfo[] {
    const s = q.toLowerCase();
    const out: ItemInfo[] = [];
    for (let i = 0; i < this.#nameLower.length && out.length < limit; i++)
      if (this.#nameLower[i]!.includes(s)) out.push(this.item(i));
    return out;
  }

  searchUsers(q: string, limit: number): { id: string; interactions: number }[] {
    const out: { id: string; interactions: number }[] = [];
    const ids = this.bundle.users.ids.toArray();
    for (let u = 0; u < ids.length && out.length < limit; u++)
      if (ids[u]!.includes(q)) out.push({ id: ids[u]!, interactions: this.history(u).length });
    return out;
  }

  /** The ranker's type when the bundle serves one. */
  get ranker(): string | undefined {
    return this.#ranker?.spec.type;
  }

  forUser(id: string, o: RecommendOptions): Promise<Recommendation> {
    const u = this.userRow(id);
    const { dim, vectors } = this.bundle.users;
    const seen = o.excludeSeen === false ? new Int32Array(0) : this.history(u);
    return this.#recommend(vectors.subarray(u * dim, (u + 1) * dim), seen, o, 'model', u, this.history(u));
  }

  /** A new user known by a few items: the model's fold-in rule (pooling of the items' vectors). */
  async forItems(
    ids: readonly string[],
    o: RecommendOptions,
  ): Promise<Recommendation & { unknown: string[] }> {
    const known: number[] = [];
    const unknown: string[] = [];
    for (const id of ids) {
      const i = this.bundle.items.ids.get(id);
      if (i === undefined) unknown.push(id);
      else known.push(i);
    }
    const seen = Int32Array.from(known);
    if (known.length === 0) return { ...this.popular(seen, o), unknown };
    return { ...(await this.#recommend(this.foldIn(known), seen, o, 'fold-in', -1, seen)), unknown };
  }

  /** A new user's vector from item rows: the model's own foldIn when the bundle carries it, else pooling. */
  foldIn(rows: readonly number[]): Float32Array {
    if (this.#foldModel) return this.#foldModel.foldIn(rows.map((i) => this.bundle.items.ids.external(i)));
    const { dim, vectors } = this.bundle.items;
    const out = new Float32Array(dim);
    for (const i of rows) for (let j = 0; j < dim; j++) out[j]! += vectors[i * dim + j]!;
    let scale = 1 / rows.length;
    const f = this.bundle.pipeline.foldIn;
    if ((f.method === 'model' ? f.pooling : f.method) === 'normalized-sum') {
      let n = 0;
      for (const x of out) n += x * x;
      scale = 1 / (Math.sqrt(n) || 1);
    }
    for (let j = 0; j < dim; j++) out[j]! *= scale;
    return out;
  }

  /** Most-interacted training items: the fallback for a user with nothing, labelled as such. */
  popular(exclude: Int32Array, o: RecommendOptions): Recommendation {
    const t0 = performance.now();
    const allow = this.#allowed(o.filters);
    const ex = new Set([...exclude, ...this.#explicit(o.exclude)]);
    const items: Scored[] = [];
    const counts = this.#counts();
    for (const i of this.#popular) {
      if (items.length >= o.k) break;
      if (ex.has(i) || (allow && !allow.has(i))) continue;
      items.push(this.#scored(i, counts[i]!, 'popularity'));
    }
    return { source: 'popularity', items, stages: { popularity: performance.now() - t0 } };
  }

  similar(id: string, k: number): Scored[] {
    const i = this.itemRow(id);
    const { dim, vectors } = this.bundle.items;
    const r = this.bundle.index.search(vectors.slice(i * dim, (i + 1) * dim), k, {
      exclude: lists([Int32Array.of(i)]),
    });
    return this.#rows(r.ids, r.scores, 'retrieval');
  }

  #countsCache: Float64Array | undefined;
  #counts(): Float64Array {
    if (!this.#countsCache) {
      const c = new Float64Array(this.bundle.items.ids.size);
      for (const i of this.bundle.history.indices) c[i]!++;
      this.#countsCache = c;
    }
    return this.#countsCache;
  }

  #explicit(ids: readonly string[] | undefined): number[] {
    const out: number[] = [];
    for (const id of ids ?? []) {
      const i = this.bundle.items.ids.get(id);
      if (i !== undefined) out.push(i);
    }
    return out;
  }

  #allowed(filters: RecommendOptions['filters']): Set<number> | undefined {
    if (filters === undefined || Object.keys(filters).length === 0) return undefined;
    let allow: Set<number> | undefined;
    for (const [attr, want] of Object.entries(filters)) {
      const m = this.#attr.get(attr);
      if (!m)
        throw new BadRequest(
          `filters: unknown attribute "${attr}" (known: ${this.attributes().join(', ') || 'none: the bundle has no item attributes'})`,
        );
      const rows = new Set<number>();
      for (const v of Array.isArray(want) ? want : [want])
        for (const r of m.get(String(v)) ?? []) rows.add(r);
      allow = allow === undefined ? rows : new Set([...allow].filter((r) => rows.has(r)));
    }
    return allow;
  }

  async #recommend(
    query: Float32Array,
    seen: Int32Array,
    o: RecommendOptions,
    source: 'model' | 'fold-in',
    userRow: number,
    history: Int32Array,
  ): Promise<Recommendation> {
    const stages: Record<string, number> = {};
    const rerankers = this.#rerankers(o.rerank);
    const ranker = o.rank === false ? undefined : this.#ranker;
    if (o.rank === true && !this.#ranker)
      throw new BadRequest('rank: this bundle serves no ranker (pipeline.json "ranker")');
    let note: string | undefined;
    const ranks = ranker?.knows(userRow) === true;
    if (ranker && !ranks)
      note = `the ranker (${ranker.spec.type}) scores only users it was trained on: retrieval order kept`;
    const wide = ranks || rerankers.length > 0;
    const n = wide
      ? Math.max(
          o.k,
          ranks
            ? (ranker!.spec.candidates ?? this.bundle.pipeline.retrieveN)
            : this.bundle.pipeline.retrieveN,
        )
      : o.k;
    const explicit = this.#explicit(o.exclude);
    const allow = this.#allowed(o.filters);
    if (allow && allow.size === 0) return { source, items: [], stages: { retrieval: 0 } };
    let t = performance.now();
    const r = this.#search(query, n, seen, explicit, allow);
    stages.retrieval = performance.now() - t;
    let m = 0;
    while (m < r.ids.length && r.ids[m]! >= 0) m++;
    let rows = r.ids.subarray(0, m);
    let scores = r.scores.subarray(0, m);
    let stage = 'retrieval';
    if (ranks && m > 0) {
      t = performance.now();
      const ranked = ranker!.rank(userRow, rows, scores);
      rows = Int32Array.from(ranked.order, (j) => rows[j]!);
      scores = Float32Array.from(ranked.order, (j) => ranked.scores[j]!);
      stage = `rank:${ranker!.spec.type}`;
      stages[stage] = performance.now() - t;
    }
    for (const rr of rerankers) {
      t = performance.now();
      const component = this.#components.get(rr.type);
      if (component) {
        this.#rerankCtx ??= new RerankContext(this.bundle);
        ({ rows, scores } = await this.#rerankCtx.rerank(component, history, rows, scores));
      } else ({ rows, scores } = this.#mmr(rows, scores, Number(rr.lambda ?? 0.7), o.k));
      stage = `rerank:${rr.type}`;
      stages[stage] = performance.now() - t;
    }
    const items: Scored[] = [];
    for (let j = 0; j < Math.min(o.k, rows.length); j++)
      items.push(this.#scored(rows[j]!, scores[j]!, stage));
    return note === undefined ? { source, items, stages } : { source, items, stages, note };
  }

  /**
   * Top n of the index for one query without the excluded rows. The common case (no filter, few
   * exclusions) over-fetches n + exclusions from the index and drops the excluded rows with this
   * engine's reusable mark array, which is what the index's own filtered search does in its first
   * round, without allocating a catalogue-sized mask per request (41 KB on Gowalla; measured: no
   * change in CPU or in GC count, docs/benchmarks.md). Anything else, or too few rows back, goes
   * through the index's filtered search.
   */
  #search(
    query: Float32Array,
    n: number,
    seen: Int32Array,
    explicit: readonly number[],
    allow: Set<number> | undefined,
  ): { ids: Int32Array; scores: Float32Array } {
    const index = this.bundle.index;
    const size = this.bundle.items.ids.size;
    const nEx = seen.length + explicit.length;
    if (nEx === 0 && !allow) return index.search(query, n);
    const mark = this.#mark;
    if (!allow && size - nEx > Math.max(4 * n, size / 16)) {
      for (const i of seen) mark[i] = 1;
      for (const i of explicit) mark[i] = 1;
      const kk = Math.min(size, n + nEx);
      const r = index.search(query, kk);
      const ids = new Int32Array(n).fill(-1);
      const scores = new Float32Array(n).fill(Number.NEGATIVE_INFINITY);
      let got = 0;
      for (let j = 0; j < kk && got < n; j++) {
        const i = r.ids[j]!;
        if (i < 0 || mark[i] === 1) continue;
        ids[got] = i;
        scores[got++] = r.scores[j]!;
      }
      for (const i of seen) mark[i] = 0;
      for (const i of explicit) mark[i] = 0;
      if (got === n) return { ids, scores };
    }
    const ex = new Int32Array(nEx);
    ex.set(seen);
    ex.set(explicit, seen.length);
    const opts: { exclude?: QueryItemLists; allow?: QueryItemLists } = {};
    if (nEx > 0) opts.exclude = lists([ex]);
    if (allow) opts.allow = lists([Int32Array.from(allow)]);
    return index.search(query, n, opts);
  }

  #rerankers(sel: RecommendOptions['rerank']) {
    const served = this.bundle.pipeline.rerankers.filter(
      (r) => r.served && (r.type === 'mmr' || this.#components.has(r.type)),
    );
    if (sel === undefined || sel === true) return served;
    if (sel === false) return [];
    return sel.map((t) => {
      const r =
        served.find((x) => x.type === t) ??
        (t === 'mmr' ? { type: 'mmr', lambda: 0.7, served: true } : undefined);
      if (!r)
        throw new BadRequest(
          `rerank: "${t}" is not a re-ranker this bundle serves (available: ${[...new Set(['mmr', ...served.map((x) => x.type)])].join(', ')})`,
        );
      return r;
    });
  }

  /** Maximal Marginal Relevance over the item embeddings' cosine (the re-ranker `mmr` of @embrec/models). */
  #mmr(
    rows: Int32Array,
    scores: Float32Array,
    lambda: number,
    k: number,
  ): { rows: Int32Array; scores: Float32Array } {
    if (rows.length === 0) return { rows, scores };
    const { dim, vectors } = this.bundle.items;
    const norm = Array.from(rows, (i) => {
      let s = 0;
      for (let j = 0; j < dim; j++) s += vectors[i * dim + j]! ** 2;
      return Math.sqrt(s) || 1;
    });
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const x of scores) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    const rel = Array.from(scores, (x) => (hi > lo ? (x - lo) / (hi - lo) : 1));
    const { order, values } = mmrSelect(rel, k, lambda, (a, b) => {
      let s = 0;
      for (let j = 0; j < dim; j++) s += vectors[rows[a]! * dim + j]! * vectors[rows[b]! * dim + j]!;
      return s / (norm[a]! * norm[b]!);
    });
    return { rows: Int32Array.from(order, (c) => rows[c]!), scores: Float32Array.from(values) };
  }

  #rows(ids: Int32Array, scores: Float32Array, stage: string): Scored[] {
    const out: Scored[] = [];
    for (let j = 0; j < ids.length; j++) {
      const i = ids[j]!;
      if (i < 0) break;
      out.push(this.#scored(i, scores[j]!, stage));
    }
    return out;
  }

  #scored(i: number, score: number, stage: string): Scored {
    const info = this.bundle.itemInfo[i]!;
    return info.name === undefined
      ? { id: info.id, score, stage }
      : { id: info.id, name: info.name, score, stage };
  }
}

function lists(rows: readonly Int32Array[]): QueryItemLists {
  const indptr = new Int32Array(rows.length + 1);
  rows.forEach((r, q) => {
    indptr[q + 1] = indptr[q]! + r.length;
  });
  const indices = new Int32Array(indptr[rows.length]!);
  rows.forEach((r, q) => {
    indices.set(r, indptr[q]!);
  });
  return { indptr, indices };
}
