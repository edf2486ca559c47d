import {
  type Dataset,
  type EmbeddingTable,
  type IdMap,
  type Interactions,
  type Splits,
  UsageError,
  userCsr,
} from '@embrec/core';
import { topkBackend } from '../evaluation/backend.ts';
import { type BootstrapResult, pairedBootstrapCI, pairedTTest, type TTestResult } from '../stats/index.ts';
import {
  cosineNeighbours,
  finiteMean,
  holdingsMatrix,
  kmeansLabels,
  labelPurity,
  nmi,
  purityChance,
} from './measures.ts';
import { linearProbe } from './probe.ts';

/** What a finance measure reads from a finished trial: its replayed data and its embeddings. */
export interface FinanceInput {
  readonly dataset: Dataset;
  readonly splits: Splits;
  readonly users: EmbeddingTable;
  readonly items: EmbeddingTable;
}

/** One representation's measures; the model row carries its paired tests against the baseline row. */
export interface MeasureRow {
  readonly name: string;
  readonly values: Readonly<Record<string, number>>;
  /** Paired t-test against the baseline row, per measure. */
  readonly tests?: Readonly<Record<string, TTestResult>>;
  /** 95% paired bootstrap interval of the same difference (model − baseline, or error reduction). */
  readonly ci?: Readonly<Record<string, BootstrapResult>>;
  /** The per-row values behind each test (a: model side, b: baseline side), to pool across worlds. */
  readonly pairs?: Readonly<Record<string, Paired>>;
  /** What random neighbours would score, per measure (baseline row). */
  readonly chance?: Readonly<Record<string, number>>;
}

/** Per-row values of a paired comparison; a − b > 0 favours the model. */
export interface Paired {
  readonly a: Float64Array;
  readonly b: Float64Array;
}

/** The paired t-test and the 95% paired bootstrap interval of mean(a − b). */
export function pairedSummary(p: Paired, seed = 0): { test: TTestResult; ci: BootstrapResult } {
  return { test: pairedTTest(p.a, p.b), ci: pairedBootstrapCI(p.a, p.b, { seed }) };
}

/** Rows of `table` aligned with `ids` (NaN rows where the table lacks an ID). */
function aligned(table: EmbeddingTable, ids: IdMap, rows: readonly number[]): Float32Array {
  const d = table.dim;
  const out = new Float32Array(rows.length * d).fill(Number.NaN);
  rows.forEach((r, k) => {
    const t = table.ids.get(ids.external(r));
    if (t !== undefined) out.set(table.vectors.subarray(t * d, (t + 1) * d), k * d);
  });
  return out;
}

function pick(v: Float32Array, dim: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, k) => {
    out.set(v.subarray(r * dim, (r + 1) * dim), k * dim);
  });
  return out;
}

/** Distinct train holders (users) per item. */
export function holderCounts(train: Interactions): Int32Array {
  const seen = new Set<number>();
  const out = new Int32Array(train.itemIds.size);
  const n = train.itemIds.size;
  for (let r = 0; r < train.users.length; r++) {
    const key = train.users[r]! * n + train.items[r]!;
    if (seen.has(key)) continue;
    seen.add(key);
    out[train.items[r]!]!++;
  }
  return out;
}

function categorical(
  data: Dataset,
  side: 'itemFeatures' | 'userFeatures',
  name: string,
): { values: Int32Array; vocab: readonly string[] } {
  const f = data[side]?.categorical[name];
  if (!f)
    throw new UsageError(
      `finance: the data set has no categorical ${side === 'itemFeatures' ? 'item' : 'user'} feature "${name}" (has: ${Object.keys(data[side]?.categorical ?? {}).join(', ') || 'none'}); give it in the ${side === 'itemFeatures' ? 'security' : 'client'} table or name another with --${side === 'itemFeatures' ? 'sector' : 'style'}`,
    );
  return f;
}

/**
 * Similar securities: sector purity@k of cosine neighbours and R² of a cross-validated linear probe
 * from the embedding to the factor loadings (numeric item features), for the model and for the
 * co-holding baseline (each security's column of the binary train holdings matrix), with paired
 * t-tests over securities (purity per security; the probe's squared error per security).
 * Securities: those with a sector and at least one train holder.
 */
export function similarSecurities(
  input: FinanceInput,
  opts: {
    k?: number;
    sector?: string;
    loadings?: readonly string[];
    seed?: number;
    /** Trials of one sweep share data and split: the baseline is computed once per key. */
    cache?: { key: string; map: Map<string, unknown> };
  } = {},
): MeasureRow[] {
  const { dataset, splits } = input;
  const k = opts.k ?? 10;
  const sector = categorical(dataset, 'itemFeatures', opts.sector ?? 'sector');
  const numeric = dataset.itemFeatures?.numeric ?? {};
  const names = opts.loadings ?? Object.keys(numeric);
  if (names.length === 0)
    throw new UsageError(
      'finance: the data set has no numeric item features (factor loadings) for the probe',
    );
  for (const n of names)
    if (!numeric[n])
      throw new UsageError(
        `finance: no numeric item feature "${n}" (has: ${Object.keys(numeric).join(', ')})`,
      );
  const itemIds = dataset.interactions.itemIds;
  const holders = holderCounts(splits.train);
  const model = aligned(
    input.items,
    itemIds,
    Array.from({ length: itemIds.size }, (_, i) => i),
  );
  const rows: number[] = [];
  for (let i = 0; i < itemIds.size; i++) {
    const ok =
      sector.values[i]! >= 0 &&
      holders[i]! > 0 &&
      Number.isFinite(model[i * input.items.dim]!) &&
      names.every((n) => Number.isFinite(numeric[n]![i]!));
    if (ok) rows.push(i);
  }
  const labels = Int32Array.from(rows, (i) => sector.values[i]!);
  const Y = new Float64Array(rows.length * names.length);
  rows.forEach((i, r) => {
    names.forEach((n, j) => {
      Y[r * names.length + j] = numeric[n]![i]!;
    });
  });
  const measure = (vectors: Float32Array, dim: number) => {
    const purity = labelPurity(cosineNeighbours(vectors, dim, k), k, labels);
    const probe = linearProbe(unit(vectors, dim), dim, Y, names.length, { seed: opts.seed ?? 0 });
    return { purity, probe };
  };
  const baseline = () => {
    const co = holdingsMatrix(splits.train, 'items');
    return measure(pick(co.vectors, co.dim, rows), co.dim);
  };
  const key = opts.cache && `securities ${k} ${names.join(',')} ${rows.join(',')} ${opts.cache.key}`;
  const base = (key && (opts.cache!.map.get(key) as ReturnType<typeof baseline> | undefined)) || baseline();
  if (key) opts.cache!.map.set(key, base);
  const mine = measure(pick(model, input.items.dim, rows), input.items.dim);
  const purityKey = `SectorPurity@${k}`;
  const values = (m: typeof base) => ({
    securities: rows.length,
    [purityKey]: finiteMean(m.purity),
    'Loading R²': m.probe.meanR2,
  });
  const pairs: Record<string, Paired> = {
    [purityKey]: { a: mine.purity, b: base.purity },
    // lower loss is better: baseline − model, whose mean is the model's R² − the baseline's
    'Loading R²': { a: base.probe.rowLoss, b: mine.probe.rowLoss },
  };
  const tests: Record<string, TTestResult> = {};
  const ci: Record<string, BootstrapResult> = {};
  for (const [key, p] of Object.entries(pairs)) {
    const s = pairedSummary(p, opts.seed ?? 0);
    tests[key] = s.test;
    ci[key] = s.ci;
  }
  return [
    {
      name: 'co-holding cosine (baseline)',
      values: values(base),
      chance: { [purityKey]: purityChance(labels), 'Loading R²': 0 },
    },
    { name: 'model', values: values(mine), tests, ci, pairs },
  ];
}

function unit(v: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length / dim; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += v[i * dim + j]! ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < dim; j++) out[i * dim + j] = v[i * dim + j]! * inv;
  }
  return out;
}

/**
 * Client matching: NMI between the planted styles and k-means clusters (k = number of styles) of
 * the client vectors, and the same-style hit rate of each client's k nearest clients, for the
 * model and for the raw holdings rows (binary train matrix) as the baseline; paired t-test over
 * clients on the hit rate. Clients: those with a style and at least one train holding.
 */
export function clientMatching(
  input: FinanceInput,
  opts: { k?: number; style?: string; seed?: number } = {},
): MeasureRow[] {
  const { dataset, splits } = input;
  const k = opts.k ?? 10;
  const style = categorical(dataset, 'userFeatures', opts.style ?? 'style');
  const userIds = dataset.interactions.userIds;
  const held = new Uint8Array(userIds.size);
  for (let r = 0; r < splits.train.users.length; r++) held[splits.train.users[r]!] = 1;
  const model = aligned(
    input.users,
    userIds,
    Array.from({ length: userIds.size }, (_, u) => u),
  );
  const rows: number[] = [];
  for (let u = 0; u < userIds.size; u++)
    if (style.values[u]! >= 0 && held[u] && Number.isFinite(model[u * input.users.dim]!)) rows.push(u);
  const labels = Int32Array.from(rows, (u) => style.values[u]!);
  const clusters = style.vocab.length;
  const measure = (vectors: Float32Array, dim: number) => ({
    nmi: nmi(kmeansLabels(vectors, dim, clusters, opts.seed ?? 0), labels),
    hits: labelPurity(cosineNeighbours(vectors, dim, k), k, labels),
  });
  const raw = holdingsMatrix(splits.train, 'users');
  const base = measure(pick(raw.vectors, raw.dim, rows), raw.dim);
  const mine = measure(pick(model, input.users.dim, rows), input.users.dim);
  const key = `SameStyle@${k}`;
  const pair: Paired = { a: mine.hits, b: base.hits };
  const s = pairedSummary(pair, opts.seed ?? 0);
  return [
    {
      name: 'raw holdings rows (baseline)',
      values: { clients: rows.length, 'Style NMI': base.nmi, [key]: finiteMean(base.hits) },
      chance: { [key]: purityChance(labels) },
    },
    {
      name: 'model',
      values: { clients: rows.length, 'Style NMI': mine.nmi, [key]: finiteMean(mine.hits) },
      tests: { [key]: s.test },
      ci: { [key]: s.ci },
      pairs: { [key]: pair },
    },
  ];
}

/**
 * Cold-start securities: Recall@k restricted to test holdings of securities with at most
 * `maxHolders` distinct train holders, ranking every security by the model's dot product with
 * train holdings masked. Returns the per-user values (users with a cold test holding) for pairing
 * across trials, keyed by user ID.
 */
export function coldStartRecall(
  input: FinanceInput,
  opts: { k?: number; maxHolders?: number } = {},
): { recall: number; users: string[]; perUser: Float64Array; coldItems: number } {
  const { dataset, splits } = input;
  const k = opts.k ?? 20;
  const maxHolders = opts.maxHolders ?? 3;
  const holders = holderCounts(splits.train);
  const userIds = dataset.interactions.userIds;
  const itemIds = dataset.interactions.itemIds;
  const cold = new Uint8Array(itemIds.size);
  let coldItems = 0;
  for (let i = 0; i < itemIds.size; i++)
    if (holders[i]! <= maxHolders) {
      cold[i] = 1;
      coldItems++;
    }
  const relevant = new Map<number, Set<number>>();
  for (let r = 0; r < splits.test.users.length; r++) {
    const i = splits.test.items[r]!;
    if (!cold[i]) continue;
    const u = splits.test.users[r]!;
    const s = relevant.get(u) ?? new Set<number>();
    s.add(i);
    relevant.set(u, s);
  }
  const users = [...relevant.keys()].sort((a, b) => a - b);
  if (users.length === 0)
    throw new UsageError(
      `finance: no test holding of a security with ≤ ${maxHolders} train holders; nothing to measure (raise --max-holders or the data set's cold-start share)`,
    );
  const items = aligned(
    input.items,
    itemIds,
    Array.from({ length: itemIds.size }, (_, i) => i),
  );
  const dim = input.items.dim;
  for (let v = 0; v < items.length; v++) if (Number.isNaN(items[v]!)) items[v] = 0;
  const queries = aligned(input.users, userIds, users);
  for (let v = 0; v < queries.length; v++) if (Number.isNaN(queries[v]!)) queries[v] = 0;
  const csr = userCsr(splits.train);
  const indptr = new Int32Array(users.length + 1);
  const lists: number[] = [];
  users.forEach((u, q) => {
    for (let p = csr.indptr[u]!; p < csr.indptr[u + 1]!; p++) lists.push(csr.indices[p]!);
    indptr[q + 1] = lists.length;
  });
  const top = topkBackend().topkDot(queries, items, dim, k, { indptr, indices: Int32Array.from(lists) });
  const perUser = new Float64Array(users.length);
  users.forEach((u, q) => {
    const rel = relevant.get(u)!;
    let hit = 0;
    for (let j = 0; j < top.k; j++) if (rel.has(top.ids[q * top.k + j]!)) hit++;
    perUser[q] = hit / rel.size;
  });
  return { recall: finiteMean(perUser), users: users.map((u) => userIds.external(u)), perUser, coldItems };
}
