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
 * Ranker: the ranker component is created from its block and restores itself from the bundle's
 * `ranker/` (artifacts/ranker of the trial) with its own `load(dir)`; it scores each request's list
 * with `scoreList` (the neumf ranker: one forward pass with the pair inputs it was trained with, the
 * standardised retrieval score and 1/log2(rank + 2), side features from the tables it saved).
 *
 * Re-rankers: each re-ranker component of the pipeline is created once and called per request with
 * a one-row candidate set, the item attributes rebuilt from items.json and the requesting user's
 * history as training interactions (user 0); those that read item popularity over all users
 * (`GLOBAL_HISTORY`) get every user's history instead.
 */

/** Re-rankers that read statistics over every user's history (fairness: item popularity). */
const GLOBAL_HISTORY = new Set(['fairness']);

/** A ranker that restores itself and scores one user's list (the neumf ranker). */
interface ListRanker {
  load(dir: string): Promise<void>;
  scoreList(user: number, items: Int32Array, scores: Float32Array): Float32Array;
  idMaps(): { readonly users: IdMap; readonly items: IdMap };
  dispose?(): void;
}

/** Scores one user's list: model rows of the user and the items, retrieval scores in list order. */
type ListScore = (user: number, items: Int32Array, scores: Float32Array) => Float32Array;

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
    readonly score: ListScore,
    /** Bundle user row → the model's user index (-1: unknown to the model). */
    readonly users: Int32Array,
    /** Bundle item row → the model's item index. */
    readonly items: Int32Array,
    /** Frees the ranker's tensors (the engine must be out of use). */
    readonly dispose: () => void = () => {},
  ) {}

  /** Can this user (bundle row) be ranked? New users and users the model never saw cannot. */
  knows(userRow: number): boolean {
    return userRow >= 0 && (this.users[userRow] ?? -1) >= 0;
  }

  /** Candidate positions best first, with the model's scores (stable: ties keep the retrieval order). */
  rank(userRow: number, rows: Int32Array, scores: Float32Array): { order: number[]; scores: Float32Array } {
    const n = rows.length;
    const u = this.users[userRow]!;
    const items = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      const i = this.items[rows[j]!]!;
      if (i < 0)
        throw new DataError(
          `the bundle's ranker does not know item row ${rows[j]} (its item-ids.json lacks it): export the run again`,
        );
      items[j] = i;
    }
    const s = this.score(u, items, scores);
    const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => s[b]! - s[a]! || a - b);
    return { order: order.slice(0, Math.min(n, this.spec.topM ?? n)), scores: s };
  }
}

/**
 * Loads the bundle's `ranker/` folder: the ranker component is rebuilt from its experiment block and
 * restores itself with its own `load(dir)`; requests are scored with its `scoreList`.
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
  let ranker: Partial<ListRanker>;
  try {
    ranker = (await assembler(registry, file).createRaw(
      'ranker',
      { ...(spec.block ?? {}), type: spec.type },
      'ranker',
    )) as never;
  } catch (e) {
    throw new DataError(`${file}: ranker "${spec.type}" cannot be built: ${(e as Error).message}`);
  }
  if (
    typeof ranker.load !== 'function' ||
    typeof ranker.scoreList !== 'function' ||
    typeof ranker.idMaps !== 'function'
  )
    throw new DataError(
      `${file}: ranker "${spec.type}" defines no load(), scoreList() and idMaps(); it cannot be served`,
    );
  const r = ranker as ListRanker;
  try {
    await r.load(rdir);
  } catch (e) {
    r.dispose?.();
    throw new DataError(`${rdir}: the ranker could not be loaded: ${(e as Error).message}`);
  }
  const own = r.idMaps();
  return new BundleRanker(
    spec,
    (u, items, scores) => r.scoreList(u, items, scores),
    rowMap(bundle.users.ids, own.users),
    rowMap(bundle.items.ids, own.items),
    () => r.dispose?.(),
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
