import type { EmbeddingTable, IndexComponent } from '@embrec/core';
import { UsageError } from '@embrec/core';
import { ExactIndex } from '../exact/exact.ts';
import { percentile, recallAtK } from './recall.ts';

/** One index of a sweep: built once, then searched with every combination of its parameters. */
export interface SweepEntry {
  /** Label in tables and plots ("IVF1024,PQ16x4fs", "hnsw M=32"). */
  readonly name: string;
  /** A built index, or a factory for an unbuilt one (the sweep builds it over `table`). */
  readonly index: IndexComponent | (() => IndexComponent | Promise<IndexComponent>);
  /** Search parameters: each key's values are crossed ({ nprobe: [1, 4, 16] }). Empty: one setting. */
  readonly params?: Readonly<Record<string, readonly number[]>>;
}

export interface SweepOptions {
  readonly table: EmbeddingTable;
  /** [nq, dim] query vectors (user embeddings, or held-out items). */
  readonly queries: Float32Array;
  readonly k: number;
  readonly grid: readonly SweepEntry[];
  /** Queries per search call. Default [1, 256]. */
  readonly batchSizes?: readonly number[];
  /** Threads per call. Default [1, 2]. */
  readonly threads?: readonly number[];
  /** Minimum seconds of timing per (setting, batch, threads). Default 0.5. */
  readonly minTime?: number;
  /** Queries used for recall (a prefix of `queries`). Default all. */
  readonly recallQueries?: number;
  /** Exact top-k of the recall queries, when already known (otherwise the exact index computes it). */
  readonly truth?: Int32Array;
  /** Called after each row (progress output). */
  readonly onRow?: (row: SweepRow) => void;
}

export interface SweepRow {
  readonly index: string;
  readonly params: Readonly<Record<string, number>>;
  readonly k: number;
  readonly batch: number;
  readonly threads: number;
  /** recall@k against exact search (same for every batch / threads mode of a setting). */
  readonly recall: number;
  readonly qps: number;
  /** Per-call latency in ms (a call searches `batch` queries). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly buildMs: number;
  readonly memoryBytes: number;
}

/**
 * Measures recall@k against exact search and speed for every index and parameter setting of the
 * grid, in every batch-size × threads mode. Recall is computed once per setting on the recall
 * queries; timing cycles through all queries for at least `minTime` seconds per mode.
 */
export async function sweepIndex(opts: SweepOptions): Promise<SweepRow[]> {
  const { table, queries, k } = opts;
  const dim = table.dim;
  if (queries.length === 0 || queries.length % dim !== 0) {
    throw new UsageError(`sweepIndex: queries must hold nq × ${dim} floats, found ${queries.length}`);
  }
  const nq = queries.length / dim;
  const nRec = Math.min(nq, opts.recallQueries ?? nq);
  const recQ = queries.subarray(0, nRec * dim);
  const batchSizes = opts.batchSizes ?? [1, 256];
  const threadList = opts.threads ?? [1, 2];
  const minTime = opts.minTime ?? 0.5;
  let truth = opts.truth;
  if (truth === undefined) {
    const exact = new ExactIndex('ip');
    await exact.build(table);
    truth = exact.search(recQ, k, { threads: Math.max(...threadList) }).ids;
    exact.dispose();
  }
  const rows: SweepRow[] = [];
  for (const entry of opts.grid) {
    let index: IndexComponent;
    let owned = false;
    if (typeof entry.index === 'function') {
      index = await entry.index();
      await index.build(table);
      owned = true;
    } else {
      index = entry.index;
    }
    const st = index.stats();
    for (const params of crossParams(entry.params ?? {})) {
      const res = index.search(recQ, k, { params, threads: Math.max(...threadList) });
      const recall = recallAtK(res.ids, truth, nRec, k);
      for (const batch of batchSizes) {
        for (const threads of threadList) {
          const t = timeSearch(index, queries, dim, k, batch, threads, params, minTime);
          const row: SweepRow = {
            index: entry.name,
            params,
            k,
            batch,
            threads,
            recall,
            qps: t.qps,
            p50Ms: t.p50,
            p99Ms: t.p99,
            buildMs: st.buildMs,
            memoryBytes: st.memoryBytes,
          };
          rows.push(row);
          opts.onRow?.(row);
        }
      }
    }
    if (owned) index.dispose();
  }
  return rows;
}

/** Times searches of `batch` queries per call, cycling through the queries, for ≥ minTime s. */
export function timeSearch(
  index: IndexComponent,
  queries: Float32Array,
  dim: number,
  k: number,
  batch: number,
  threads: number,
  params: Readonly<Record<string, number>>,
  minTime: number,
): { qps: number; p50: number; p99: number } {
  const nq = queries.length / dim;
  const b = Math.min(batch, nq);
  const opts = { params, threads };
  index.search(queries.subarray(0, b * dim), k, opts); // warm-up
  const lat: number[] = [];
  let done = 0;
  let pos = 0;
  const t0 = performance.now();
  for (;;) {
    if (pos + b > nq) pos = 0;
    const x = queries.subarray(pos * dim, (pos + b) * dim);
    const c0 = performance.now();
    index.search(x, k, opts);
    const c1 = performance.now();
    lat.push(c1 - c0);
    done += b;
    pos += b;
    if ((c1 - t0) / 1000 >= minTime && lat.length >= 3) break;
  }
  const wall = (performance.now() - t0) / 1000;
  return { qps: done / wall, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

/** Every combination of the parameter lists ({a: [1, 2], b: [3]} → [{a:1,b:3}, {a:2,b:3}]). */
export function crossParams(grid: Readonly<Record<string, readonly number[]>>): Record<string, number>[] {
  let out: Record<string, number>[] = [{}];
  for (const [key, values] of Object.entries(grid)) {
    if (values.length === 0) continue;
    out = out.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  }
  return out;
}

/** A short label of a row's setting: "IVF1024,PQ16 nprobe=16". */
export function settingLabel(row: Pick<SweepRow, 'index' | 'params'>): string {
  const p = Object.entries(row.params)
    .map(([a, b]) => `${a}=${b}`)
    .join(',');
  return p === '' ? row.index : `${row.index} ${p}`;
}
