import type { Dataset, EmbeddingTable, IdMap, Splits } from '@embrec/core';
import { Rng, UsageError, userCsr } from '@embrec/core';
import { topkBackend } from '../evaluation/backend.ts';
import { attributeLabels, attributeNames, type Labels, primaryLabel } from './attributes.ts';
import { type GenreStructure, genreStructure } from './genre-structure.ts';
import { type Neighbours, nearestNeighbours } from './neighbours.ts';
import { type PopularityBias, popularityBias } from './popularity.ts';
import { checkPerplexity, type Map2d, tsne, umap } from './projection.ts';
import { rowNorms, selectRows } from './vectors.ts';

export interface AnalyzeOptions {
  /** Item attribute for colouring and genre structure (default: the first categorical item column). */
  readonly attribute?: string | undefined;
  /** User attributes for the user maps (default: every categorical user column). */
  readonly userAttributes?: readonly string[] | undefined;
  /** Items whose neighbours to list (external ID or title); random ones are added up to `randomItems`. */
  readonly items?: readonly string[] | undefined;
  readonly randomItems: number;
  readonly neighbours: number;
  /** At most this many items (users) are placed on the maps: a seeded random sample. */
  readonly mapItems: number;
  readonly mapUsers: number;
  readonly perplexity: number;
  readonly tsneIterations: number;
  readonly umapNeighbors: number;
  readonly umapMinDist: number;
  readonly permutations: number;
  /** Length of the recommendation lists counted for popularity bias. */
  readonly k: number;
  readonly seed: number;
  readonly threads: number;
  readonly maps: boolean;
}

export const DEFAULT_ANALYZE_OPTIONS: AnalyzeOptions = {
  randomItems: 5,
  neighbours: 10,
  mapItems: 1000,
  mapUsers: 1000,
  perplexity: 30,
  tsneIterations: 500,
  umapNeighbors: 15,
  umapMinDist: 0.1,
  permutations: 200,
  k: 20,
  seed: 0,
  threads: 1,
  maps: true,
};

/** A 2-D map of a sample of rows, with each row's colour label (-1: none). */
export interface MapData {
  readonly side: 'item' | 'user';
  readonly method: 't-SNE' | 'UMAP';
  readonly ids: readonly string[];
  readonly names: readonly string[];
  readonly xy: Map2d;
  readonly colourings: readonly { attribute: string; vocab: readonly string[]; label: Int32Array }[];
  readonly seconds: number;
}

export interface AnalysisResult {
  readonly model: string;
  readonly dataset: string;
  readonly items: number;
  readonly users: number;
  readonly dim: number;
  readonly attribute: string | null;
  readonly itemAttributes: readonly string[];
  readonly userAttributes: readonly string[];
  readonly neighbours: readonly Neighbours[];
  readonly genre: GenreStructure | null;
  readonly popularity: PopularityBias | null;
  readonly maps: readonly MapData[];
  readonly options: AnalyzeOptions;
}

export interface AnalyzeInput {
  readonly model: string;
  readonly dataset: Dataset;
  readonly splits: Splits;
  readonly items: EmbeddingTable;
  readonly users?: EmbeddingTable | undefined;
  readonly itemBias?: Float32Array | undefined;
}

/** Runs every analysis of one trial's embeddings. Bad options fail before any long computation. */
export async function analyzeEmbeddings(
  input: AnalyzeInput,
  options: Partial<AnalyzeOptions> = {},
  onStep: (step: string) => void = () => {},
): Promise<AnalysisResult> {
  const opts: AnalyzeOptions = { ...DEFAULT_ANALYZE_OPTIONS, ...options };
  const { dataset, items } = input;
  const nItems = items.ids.size;
  if (nItems === 0) throw new UsageError('the run has an empty item embedding table');
  const itemAttributes = attributeNames(dataset.itemFeatures);
  const userAttributes = attributeNames(dataset.userFeatures);
  const attrName = opts.attribute ?? itemAttributes[0];
  const labels = attrName
    ? attributeLabels(dataset.itemFeatures, attrName, dataset.interactions.itemIds, items.ids, 'item')
    : undefined;
  const users = input.users;
  const userLabels = users
    ? (opts.userAttributes ?? userAttributes).map((a) =>
        attributeLabels(dataset.userFeatures, a, dataset.interactions.userIds, users.ids, 'user'),
      )
    : [];
  const rng = new Rng(opts.seed);
  const mapItemRows = opts.maps ? sample(nItems, opts.mapItems, rng.fork('map-items')) : [];
  if (opts.maps) checkPerplexity(mapItemRows.length, opts.perplexity, 'items');
  const mapUserRows = opts.maps && users ? sample(users.ids.size, opts.mapUsers, rng.fork('map-users')) : [];
  if (mapUserRows.length > 0) checkPerplexity(mapUserRows.length, opts.perplexity, 'users');

  // names of the dataset's items, by embedding row
  const nameOf = (row: number): string => {
    const id = items.ids.external(row);
    const o = dataset.interactions.itemIds.get(id);
    return (o !== undefined ? dataset.itemNames?.[o] : undefined) ?? id;
  };
  const queries = resolveItems(opts.items ?? [], items.ids, nameOf);
  // random items among those with a vector: an item the model never trained (seen only in test data)
  // has a zero vector, whose "neighbours" would be every item at cosine 0
  const pick = rng.fork('neighbour-items');
  const norms = rowNorms(items.vectors, items.dim);
  const chosen = new Set(queries);
  for (
    let tries = 0;
    chosen.size < queries.length + Math.min(opts.randomItems, nItems - queries.length) &&
    tries < 100 * nItems;
    tries++
  ) {
    const r = pick.int(nItems);
    if (norms[r]! > 0) chosen.add(r);
  }
  onStep('neighbours');
  const neighbours = nearestNeighbours({
    vectors: items.vectors,
    dim: items.dim,
    queries: [...chosen],
    k: Math.min(opts.neighbours, nItems - 1),
    idOf: (r) => items.ids.external(r),
    nameOf,
    threads: opts.threads,
  });

  onStep('genre structure');
  const genre = labels
    ? genreStructure(items.vectors, items.dim, labels, {
        permutations: opts.permutations,
        rng: rng.fork('permutations'),
      })
    : null;

  onStep('popularity bias');
  const popularity = users ? popularityOf(input, opts) : null;

  const maps: MapData[] = [];
  if (opts.maps) {
    const colour = (l: Labels, rows: number[]) => {
      const p = primaryLabel(l);
      return { attribute: l.name, vocab: l.vocab, label: Int32Array.from(rows, (r) => p[r]!) };
    };
    const sides: {
      side: 'item' | 'user';
      table: EmbeddingTable;
      rows: number[];
      colourings: MapData['colourings'];
      name: (r: number) => string;
    }[] = [
      {
        side: 'item',
        table: items,
        rows: mapItemRows,
        colourings: labels ? [colour(labels, mapItemRows)] : [],
        name: nameOf,
      },
    ];
    if (users && mapUserRows.length > 0)
      sides.push({
        side: 'user',
        table: users,
        rows: mapUserRows,
        colourings: userLabels.map((l) => colour(l, mapUserRows)),
        name: (r) => users.ids.external(r),
      });
    for (const s of sides) {
      const v = selectRows(s.table.vectors, s.table.dim, s.rows);
      const common = {
        side: s.side,
        ids: s.rows.map((r) => s.table.ids.external(r)),
        names: s.rows.map(s.name),
        colourings: s.colourings,
      };
      onStep(`${s.side} t-SNE (${s.rows.length} points)`);
      let t0 = performance.now();
      const xy = tsne(v, s.table.dim, {
        perplexity: opts.perplexity,
        iterations: opts.tsneIterations,
        rng: rng.fork(`tsne-${s.side}`),
      });
      maps.push({ ...common, method: 't-SNE', xy, seconds: (performance.now() - t0) / 1000 });
      onStep(`${s.side} UMAP (${s.rows.length} points)`);
      t0 = performance.now();
      const uxy = umap(v, s.table.dim, {
        neighbors: Math.min(opts.umapNeighbors, s.rows.length - 1),
        minDist: opts.umapMinDist,
        rng: rng.fork(`umap-${s.side}`),
      });
      maps.push({ ...common, method: 'UMAP', xy: uxy, seconds: (performance.now() - t0) / 1000 });
    }
  }
  return {
    model: input.model,
    dataset: dataset.name,
    items: nItems,
    users: users?.ids.size ?? 0,
    dim: items.dim,
    attribute: attrName ?? null,
    itemAttributes,
    userAttributes,
    neighbours,
    genre,
    popularity,
    maps,
    options: opts,
  };
}

/** Popularity (training interactions), norms, bias, and top-k frequency over every user with a vector. */
function popularityOf(input: AnalyzeInput, opts: AnalyzeOptions): PopularityBias {
  const { items, splits } = input;
  const users = input.users!;
  const train = splits.train;
  const itemRow = Int32Array.from(
    { length: train.itemIds.size },
    (_, i) => items.ids.get(train.itemIds.external(i)) ?? -1,
  );
  const popularity = new Float64Array(items.ids.size);
  for (let p = 0; p < train.items.length; p++) {
    const r = itemRow[train.items[p]!]!;
    if (r >= 0) popularity[r]!++;
  }
  // every user's training items, as embedding rows, are excluded from their list
  const csr = userCsr(train);
  const indptr = new Int32Array(users.ids.size + 1);
  const parts: number[] = [];
  for (let u = 0; u < users.ids.size; u++) {
    const t = train.userIds.get(users.ids.external(u));
    if (t !== undefined)
      for (let p = csr.indptr[t]!; p < csr.indptr[t + 1]!; p++) {
        const r = itemRow[csr.indices[p]!]!;
        if (r >= 0) parts.push(r);
      }
    indptr[u + 1] = parts.length;
  }
  const k = Math.min(opts.k, items.ids.size);
  const top = topkBackend({ threads: opts.threads }).topkDot(users.vectors, items.vectors, items.dim, k, {
    indptr,
    indices: Int32Array.from(parts),
  });
  const recommended = new Float64Array(items.ids.size);
  for (const r of top.ids) if (r >= 0) recommended[r]!++;
  return popularityBias({
    popularity,
    norms: rowNorms(items.vectors, items.dim),
    bias: input.itemBias,
    recommended,
    k,
    users: users.ids.size,
  });
}

/**
 * Rows (of `ids`) for the requested items: an external ID, else an exact title, else a unique title
 * substring; an item that matches none or several is an error.
 */
export function resolveItems(wanted: readonly string[], ids: IdMap, nameOf: (r: number) => string): number[] {
  const rows: number[] = [];
  for (const w of wanted) {
    const byId = ids.get(w);
    if (byId !== undefined) {
      rows.push(byId);
      continue;
    }
    const low = w.toLowerCase();
    const exact: number[] = [];
    const partial: number[] = [];
    for (let r = 0; r < ids.size; r++) {
      const n = nameOf(r).toLowerCase();
      if (n === low) exact.push(r);
      else if (n.includes(low)) partial.push(r);
    }
    const hits = exact.length > 0 ? exact : partial;
    if (hits.length === 1) rows.push(hits[0]!);
    else if (hits.length === 0)
      throw new UsageError(`item "${w}": no item has this ID or a title containing it`);
    else
      throw new UsageError(
        `item "${w}" matches ${hits.length} titles (${hits.slice(0, 5).map(nameOf).join('; ')}${hits.length > 5 ? '; …' : ''}): give an ID or a longer title`,
      );
  }
  return rows;
}

/** A seeded sample of min(n, m) of 0..n-1, in ascending order. */
function sample(n: number, m: number, rng: Rng): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (m >= n) return all;
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.slice(0, m).sort((a, b) => a - b);
}
