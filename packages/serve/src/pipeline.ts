import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CandidateSet,
  Dataset,
  FeatureTable,
  Interactions,
  ModelComponent,
  Registry,
  RerankerComponent,
} from '@embrec/core';
import {
  Assembler,
  DataError,
  IdMap,
  makeInteractions,
  setupBackend,
  standaloneContext,
  UsageError,
} from '@embrec/core';
import type { Bundle, ItemInfo, RerankerSpec } from './bundle.ts';

/**
 * The served ranker and re-rankers, built from the bundle through a plugin registry (the CLI passes
 * the built-ins; `@embrec/serve` itself depends on no model code).
 *
 * Ranker: a pair-scoring model saved by the trial (artifacts/ranker, copied to the bundle's
 * `ranker/`): the model component of the ranker's type is created, `load`ed from that folder, and
 * scores (user, candidate) pairs with the pair inputs the ranker was trained with (the standardised
 * retrieval score and 1/log2(rank + 2)), exactly as the neumf ranker's `rank` builds them.
 *
 * Re-rankers: each re-ranker component of the pipeline is created once and called per request with
 * a one-row candidate set, the item attributes rebuilt from items.json and the requesting user's
 * history as training interactions (user 0); those that read item popularity over all users
 * (`GLOBAL_HISTORY`) get every user's history instead.
 */

/** Re-rankers that read statistics over every user's history (fairness: item popularity). */
const GLOBAL_HISTORY = new Set(['fairness']);

interface PairScorer {
  scorePairs(users: Int32Array, items: Int32Array, extras?: Float32Array): Float32Array;
}

export interface RankerSpec {
  readonly type: string;
  readonly served: boolean;
  readonly note?: string;
  /** Candidates retrieved per request for the ranker (the experiment's retrieve.k). */
  readonly candidates?: number;
  /** Keep the best M after ranking (default: all candidates). */
  readonly topM?: number;
  /** Whether the model takes the retrieval score and rank as pair inputs. */
  readonly retrievalFeatures?: boolean;
  readonly scoreStats?: { readonly mean: number; readonly std: number };
  /** The experiment's ranker block (defaults filled in): the component is rebuilt from it. */
  readonly block?: Readonly<Record<string, unknown>>;
}

function assembler(
  registry: Registry,
  file: string,
  sections: Readonly<Record<string, unknown>> = {},
): Assembler {
  return new Assembler({
    registry,
    file,
    context: (label: string) => standaloneContext(`serve:${label}`),
    section: (kind) => sections[kind] as never,
  });
}

/** A model that makes a new user's vector from the items they name (ModelComponent.foldIn). */
export interface FoldInModel {
  foldIn(items: readonly string[]): Float32Array;
  dispose?(): void;
}

/**
 * The trial's retrieval model, created from its experiment block (with the sections it depends on,
 * e.g. its loss) and loaded from its saved folder: what a bundle's `model/` serves for fold-in.
 * `file` names the source in errors.
 */
export async function loadFoldInModel(
  modelDir: string,
  block: Readonly<Record<string, unknown>>,
  sections: Readonly<Record<string, unknown>>,
  registry: Registry,
  file: string,
): Promise<FoldInModel> {
  let model: ModelComponent;
  try {
    model = await assembler(registry, file, sections).createRaw('model', block, 'model');
  } catch (e) {
    throw new DataError(
      `${file}: the model "${String(block.type)}" cannot be created: ${(e as Error).message}`,
    );
  }
  if (typeof model.foldIn !== 'function' || typeof model.load !== 'function') {
    model.dispose?.();
    throw new DataError(`${file}: model "${String(block.type)}" defines no foldIn() or load()`);
  }
  try {
    await model.load(modelDir);
  } catch (e) {
    model.dispose?.();
    throw new DataError(`${modelDir}: the model could not be loaded: ${(e as Error).message}`);
  }
  return model as unknown as FoldInModel;
}

/** Maps bundle rows to the rows of another ID map (-1 when absent). */
function rowMap(from: IdMap, to: IdMap): Int32Array {
  const out = new Int32Array(from.size);
  for (let i = 0; i < from.size; i++) out[i] = to.get(from.external(i)) ?? -1;
  return out;
}

/** The bundle's ranker: one forward pass over a user's candidates per request. */
export class BundleRanker {
  constructor(
    readonly spec: RankerSpec,
    readonly scorer: PairScorer,
    /** Bundle user row → the model's user index (-1: unknown to the model). */
    readonly users: Int32Array,
    /** Bundle item row → the model's item index. */
    readonly items: Int32Array,
  ) {}

  /** Can this user (bundle row) be ranked? New users and users the model never saw cannot. */
  knows(userRow: number): boolean {
    return userRow >= 0 && (this.users[userRow] ?? -1) >= 0;
  }

  /** Candidate positions best first, with the model's scores (stable: ties keep the retrieval order). */
  rank(userRow: number, rows: Int32Array, scores: Float32Array): { order: number[]; scores: Float32Array } {
    const n = rows.length;
    const u = this.users[userRow]!;
    const users = new Int32Array(n).fill(u);
    const items = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      const i = this.items[rows[j]!]!;
      if (i < 0)
        throw new DataError(
          `the bundle's ranker does not know item row ${rows[j]} (its item-ids.json lacks it): export the run again`,
        );
      items[j] = i;
    }
    let extras: Float32Array | undefined;
    if (this.spec.retrievalFeatures) {
      const st = this.spec.scoreStats ?? { mean: 0, std: 1 };
      extras = new Float32Array(n * 2);
      for (let j = 0; j < n; j++) {
        extras[2 * j] = (scores[j]! - st.mean) / st.std;
        extras[2 * j + 1] = 1 / Math.log2(j + 2);
      }
    }
    const s = this.scorer.scorePairs(users, items, extras);
    const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => s[b]! - s[a]! || a - b);
    return { order: order.slice(0, Math.min(n, this.spec.topM ?? n)), scores: s };
  }
}

/**
 * Loads the bundle's `ranker/` folder: the ranker component is rebuilt from its experiment block and
 * the pair-scoring model it is built on (`ranker.model`, the neumf ranker's network with its pair
 * inputs) loads the saved weights.
 */
export async function loadRanker(
  dir: string,
  spec: RankerSpec,
  bundle: Pick<Bundle, 'users' | 'items'>,
  registry: Registry,
): Promise<BundleRanker> {
  const rdir = join(dir, 'ranker');
  const file = join(dir, 'pipeline.json');
  await setupBackend('auto', { threads: 1 });
  let ranker: { model?: Partial<PairScorer> & { load?(dir: string): Promise<void> } };
  try {
    ranker = (await assembler(registry, file).createRaw(
      'ranker',
      { ...(spec.block ?? {}), type: spec.type },
      'ranker',
    )) as never;
  } catch (e) {
    throw new DataError(`${file}: ranker "${spec.type}" cannot be built: ${(e as Error).message}`);
  }
  const model = ranker.model;
  if (typeof model?.load !== 'function' || typeof model.scorePairs !== 'function')
    throw new DataError(
      `${file}: ranker "${spec.type}" is not built on a pair-scoring model that loads saved weights; it cannot be served`,
    );
  try {
    await model.load(rdir);
  } catch (e) {
    throw new DataError(`${rdir}: the ranker's model could not be loaded: ${(e as Error).message}`);
  }
  const ids = (f: string) => IdMap.fromJSON(JSON.parse(readFileSync(join(rdir, f), 'utf8')));
  return new BundleRanker(
    spec,
    model as PairScorer,
    rowMap(bundle.users.ids, ids('user-ids.json')),
    rowMap(bundle.items.ids, ids('item-ids.json')),
  );
}

/** Item attributes of items.json as a FeatureTable over the bundle's item rows. */
export function featureTable(info: readonly ItemInfo[]): FeatureTable {
  const kinds = new Map<string, 'categorical' | 'multiHot' | 'numeric'>();
  for (const it of info)
    for (const [k, v] of Object.entries(it.attributes))
      if (!kinds.has(k))
        kinds.set(k, Array.isArray(v) ? 'multiHot' : typeof v === 'number' ? 'numeric' : 'categorical');
  const categorical: Record<string, { values: Int32Array; vocab: string[] }> = {};
  const multiHot: Record<
    string,
    { bags: { indptr: Int32Array; indices: Int32Array; rows: number; cols: number }; vocab: string[] }
  > = {};
  const numeric: Record<string, Float32Array> = {};
  const n = info.length;
  for (const [k, kind] of kinds) {
    const vocab: string[] = [];
    const code = new Map<string, number>();
    const of = (s: string) => {
      let c = code.get(s);
      if (c === undefined) {
        c = vocab.length;
        vocab.push(s);
        code.set(s, c);
      }
      return c;
    };
    if (kind === 'numeric') {
      numeric[k] = Float32Array.from(info, (it) => {
        const v = it.attributes[k];
        return typeof v === 'number' ? v : Number.NaN;
      });
    } else if (kind === 'categorical') {
      categorical[k] = {
        values: Int32Array.from(info, (it) => {
          const v = it.attributes[k];
          return typeof v === 'string' ? of(v) : -1;
        }),
        vocab,
      };
    } else {
      const indptr = new Int32Array(n + 1);
      const indices: number[] = [];
      info.forEach((it, i) => {
        const v = it.attributes[k];
        if (Array.isArray(v)) for (const s of v) indices.push(of(String(s)));
        indptr[i + 1] = indices.length;
      });
      multiHot[k] = {
        bags: { indptr, indices: Int32Array.from(indices), rows: n, cols: vocab.length },
        vocab,
      };
    }
  }
  return { categorical, multiHot, numeric } as unknown as FeatureTable;
}

/** One served re-ranker: the component and how it reads history. */
export class BundleReranker {
  constructor(
    readonly spec: RerankerSpec,
    readonly component: RerankerComponent,
    readonly globalHistory: boolean,
  ) {}
}

/** What the re-rankers read besides the candidates, built once per bundle. */
export class RerankContext {
  readonly dataset: Dataset;
  readonly #all: Interactions;
  readonly #one = new IdMap(['request']);
  readonly #ctx = standaloneContext('serve:rerank');

  constructor(readonly bundle: Bundle) {
    const { indptr, indices } = bundle.history;
    const users = new Int32Array(indices.length);
    for (let u = 0; u + 1 < indptr.length; u++) users.fill(u, indptr[u]!, indptr[u + 1]!);
    this.#all = makeInteractions({
      userIds: bundle.users.ids,
      itemIds: bundle.items.ids,
      users,
      items: indices,
    });
    this.dataset = {
      name: bundle.manifest.source.experiment,
      interactions: this.#all,
      itemFeatures: featureTable(bundle.itemInfo),
    };
  }

  /** Re-ranks one list (item rows best first) for a user whose history is `history` (item rows). */
  async rerank(
    rr: BundleReranker,
    history: Int32Array,
    rows: Int32Array,
    scores: Float32Array,
  ): Promise<{ rows: Int32Array; scores: Float32Array }> {
    const train = rr.globalHistory
      ? this.#all
      : makeInteractions({
          userIds: this.#one,
          itemIds: this.bundle.items.ids,
          users: new Int32Array(history.length),
          items: history,
        });
    const candidates: CandidateSet = {
      itemIds: this.bundle.items.ids,
      users: Int32Array.of(0),
      k: rows.length,
      items: rows,
      scores,
    };
    const out = await rr.component.rerank({
      candidates,
      dataset: this.dataset,
      splits: { train, test: train },
      ctx: this.#ctx,
      itemEmbeddings: this.bundle.items,
    });
    let m = 0;
    while (m < out.k && out.items[m]! >= 0) m++;
    return { rows: out.items.slice(0, m), scores: out.scores.slice(0, m) };
  }
}

/** Creates the served re-rankers of the pipeline through the registry. */
export async function loadRerankers(
  dir: string,
  specs: readonly (RerankerSpec & { readonly served: boolean })[],
  registry: Registry,
): Promise<BundleReranker[]> {
  const a = assembler(registry, join(dir, 'pipeline.json'));
  const out: BundleReranker[] = [];
  for (const [i, s] of specs.entries()) {
    if (!s.served) continue;
    const { served: _s, ...block } = s;
    try {
      out.push(
        new BundleReranker(
          s,
          await a.createRaw('reranker', block, `rerankers[${i}]`),
          GLOBAL_HISTORY.has(s.type),
        ),
      );
    } catch (e) {
      throw new UsageError(
        `${join(dir, 'pipeline.json')}: re-ranker rerankers[${i}] "${s.type}" cannot be built: ${(e as Error).message}`,
      );
    }
  }
  return out;
}
