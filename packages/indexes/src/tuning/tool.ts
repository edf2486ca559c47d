import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { importPlugin, type Registry, Rng } from '@embrec/core';
import { parse as parseYaml } from 'yaml';
import { ExactIndex } from '../exact/exact.ts';
import { type LoadedEmbeddings, loadEmbeddings } from '../io/embeddings.ts';
import { type AutoTuneResult, autoTune } from './autotune.ts';
import { equalRecallMarkdown, equalRecallRows } from './equal-recall.ts';
import { paretoFront } from './pareto.ts';
import { writeSweepPlot } from './plot.ts';
import { recallAtK } from './recall.ts';
import {
  createIndex,
  type IndexSpec,
  indexRegistry,
  parseIndexSpec,
  specName,
  sweepEntries,
} from './specs.ts';
import { type SweepRow, settingLabel, sweepIndex, timeSearch } from './sweep.ts';

export interface IndexToolOptions {
  /** Experiment file, run folder, embeddings folder, .npy or .f32. */
  readonly input: string;
  /** Index specs (`exact`, `faiss:IVF1024,Flat`, `{type: hnsw, M: 16}`); default: the experiment's index, else hnsw. */
  readonly indexes?: readonly string[];
  readonly grid?: Readonly<Record<string, number[]>>;
  readonly k?: number;
  /** Number of queries (sampled from the user embeddings, else from the items). Default 1000. */
  readonly queries?: number;
  readonly batchSizes?: readonly number[];
  readonly threads?: readonly number[];
  readonly minTime?: number;
  /** Output folder for sweep.json, sweep.md and the plot. Default `<embeddings>/../index-sweep`. */
  readonly out?: string;
  /** Plot recall against this parameter instead of QPS (exercise 3: nprobe). */
  readonly xParam?: string;
  readonly seed?: number;
  readonly log?: (line: string) => void;
  /**
   * Where index types are looked up. Default: this package's indexes plus the `plugins:` of an
   * experiment file given as input (so a third-party index plugin can be swept).
   */
  readonly registry?: Registry;
}

export interface SweepToolResult {
  readonly rows: SweepRow[];
  readonly front: SweepRow[];
  readonly files: { json: string; md: string; svg: string; png: string };
  readonly source: string;
  readonly queriesFrom: 'users' | 'items';
}

/** `embrec index sweep`: load embeddings, sweep the grid, write sweep.json / sweep.md / plots. */
export async function runSweepTool(opts: IndexToolOptions): Promise<SweepToolResult> {
  const log = opts.log ?? (() => {});
  const emb = await loadEmbeddings(opts.input);
  const { specs, k, registry } = await resolveSpecs(opts);
  const { queries, from } = pickQueries(emb, opts.queries ?? 1000, opts.seed ?? 0);
  log(
    `embeddings: ${emb.items.ids.size} items × ${emb.items.dim} from ${emb.source}; ${queries.length / emb.items.dim} queries from ${from}; k = ${k}`,
  );
  const rows = await sweepIndex({
    table: emb.items,
    queries,
    k,
    grid: sweepEntries(specs, k, opts.grid ?? {}, registry),
    batchSizes: opts.batchSizes ?? [1, 256],
    threads: opts.threads ?? [1, 2],
    minTime: opts.minTime ?? 0.5,
    onRow: (r) =>
      log(
        `${settingLabel(r).padEnd(36)} batch ${String(r.batch).padStart(3)} × ${r.threads}t  recall@${k} ${r.recall.toFixed(4)}  ${r.qps.toFixed(0).padStart(7)} q/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms`,
      ),
  });
  const front = paretoFront(rows);
  const out = resolve(opts.out ?? join(dirname(emb.source), 'index-sweep'));
  await mkdir(out, { recursive: true });
  const json = join(out, 'sweep.json');
  const md = join(out, 'sweep.md');
  await writeFile(json, `${JSON.stringify({ source: emb.source, k, queriesFrom: from, rows }, null, 1)}\n`);
  await writeFile(md, `${sweepMarkdown(rows, front)}\n`);
  const plot = await writeSweepPlot(
    rows,
    join(out, opts.xParam ? `recall-vs-${opts.xParam}` : 'recall-qps'),
    {
      ...(opts.xParam === undefined ? {} : { xParam: opts.xParam }),
      title: `${emb.items.ids.size} items, k = ${k}`,
    },
  );
  return { rows, front, files: { json, md, ...plot }, source: emb.source, queriesFrom: from };
}

export interface AutoTuneToolOptions extends IndexToolOptions {
  readonly target: number;
  /** A sweep.json to choose from instead of measuring. */
  readonly from?: string;
}

/**
 * `embrec index auto-tune`: the fastest setting reaching the target recall in one (batch, threads)
 * mode. Either from a previous sweep.json, or by measuring: per index, a binary search over its
 * effort parameter (nprobe / efSearch), recall being monotone in it.
 */
export async function runAutoTuneTool(
  opts: AutoTuneToolOptions,
): Promise<AutoTuneResult & { mode: { batch: number; threads: number } }> {
  const batch = opts.batchSizes?.[0] ?? 1;
  const threads = opts.threads?.[0] ?? 1;
  const mode = { batch, threads };
  if (opts.from !== undefined) {
    const doc = JSON.parse(await readFile(opts.from, 'utf8')) as { rows: SweepRow[] };
    return { ...(await autoTune(doc.rows, opts.target, mode)), mode };
  }
  const log = opts.log ?? (() => {});
  const emb = await loadEmbeddings(opts.input);
  const { specs, k, registry } = await resolveSpecs(opts);
  const { queries } = pickQueries(emb, opts.queries ?? 1000, opts.seed ?? 0);
  const exact = new ExactIndex('ip');
  await exact.build(emb.items);
  const truth = exact.search(queries, k, { threads: 2 }).ids;
  exact.dispose();
  const nq = queries.length / emb.items.dim;
  const all: SweepRow[] = [];
  for (const [entry, spec] of sweepEntries(specs, k, opts.grid ?? {}, registry).map(
    (e, i) => [e, specs[i] as IndexSpec] as const,
  )) {
    const index = await createIndex(spec, registry);
    await index.build(emb.items);
    const st = index.stats();
    const grid = entry.params ?? {};
    const effort = ['nprobe', 'efSearch'].find((p) => grid[p] !== undefined);
    const fixed: Record<string, number> = {};
    for (const [key, v] of Object.entries(grid))
      if (key !== effort && v.length > 0) fixed[key] = Math.max(...v);
    const measure = async (value: number): Promise<SweepRow> => {
      const params = effort === undefined ? fixed : { ...fixed, [effort]: value };
      const recall = recallAtK(index.search(queries, k, { params, threads }).ids, truth, nq, k);
      const t = timeSearch(index, queries, emb.items.dim, k, batch, threads, params, opts.minTime ?? 0.5);
      const row: SweepRow = {
        index: specName(spec),
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
      log(`${settingLabel(row).padEnd(36)} recall@${k} ${recall.toFixed(4)}  ${t.qps.toFixed(0)} q/s`);
      return row;
    };
    const r = await autoTune(
      { measure, values: effort === undefined ? [0] : (grid[effort] as number[]) },
      opts.target,
      mode,
    );
    all.push(...r.evaluated);
    index.dispose();
  }
  return { ...(await autoTune(all, opts.target, mode)), mode };
}

/**
 * The index specs, k and registry: from options, else from the experiment file's `index` /
 * `retrieve.k` / `plugins`.
 */
async function resolveSpecs(
  opts: IndexToolOptions,
): Promise<{ specs: IndexSpec[]; k: number; registry: Registry }> {
  let fromExp: IndexSpec | undefined;
  let kExp: number | undefined;
  const registry = opts.registry ?? indexRegistry();
  const ext = extname(opts.input).toLowerCase();
  if ((ext === '.yaml' || ext === '.yml' || ext === '.json') && existsSync(opts.input)) {
    const doc = parseYaml(await readFile(opts.input, 'utf8')) as {
      index?: unknown;
      retrieve?: { k?: unknown };
      plugins?: unknown;
    } | null;
    if (opts.registry === undefined && Array.isArray(doc?.plugins)) {
      for (const p of doc.plugins)
        if (typeof p === 'string') registry.add((await importPlugin(p, dirname(resolve(opts.input)))).plugin);
    }
    if (
      typeof doc?.index === 'object' &&
      doc.index !== null &&
      typeof (doc.index as { type?: unknown }).type === 'string'
    ) {
      fromExp = doc.index as IndexSpec;
    }
    if (typeof doc?.retrieve?.k === 'number') kExp = doc.retrieve.k;
  }
  const specs = opts.indexes?.length ? opts.indexes.map(parseIndexSpec) : [fromExp ?? { type: 'hnsw' }];
  if (!specs.some((s) => s.type.replace(/^embrec\//, '') === 'exact')) specs.unshift({ type: 'exact' });
  return { specs, k: opts.k ?? Math.min(kExp ?? 100, 100), registry };
}

/** Up to n query vectors: a seeded sample of user embeddings, else of item embeddings. */
export function pickQueries(
  emb: LoadedEmbeddings,
  n: number,
  seed: number,
): { queries: Float32Array; from: 'users' | 'items' } {
  const table = emb.users ?? emb.items;
  const from = emb.users === undefined ? 'items' : 'users';
  const size = table.ids.size;
  const count = Math.min(n, size);
  const rng = new Rng(seed);
  const perm = Array.from({ length: size }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(size - i);
    [perm[i], perm[j]] = [perm[j] as number, perm[i] as number];
  }
  const d = table.dim;
  const queries = new Float32Array(count * d);
  for (let i = 0; i < count; i++) {
    const r = perm[i] as number;
    queries.set(table.vectors.subarray(r * d, (r + 1) * d), i * d);
  }
  return { queries, from };
}

/** The sweep as Markdown: every row, then the Pareto front per mode. */
export function sweepMarkdown(rows: readonly SweepRow[], front: readonly SweepRow[]): string {
  const k = rows[0]?.k ?? 0;
  const head = `| setting | batch | threads | recall@${k} | q/s | p50 ms | p99 ms | build s | MB |\n|---|---|---|---|---|---|---|---|---|`;
  const line = (r: SweepRow) =>
    `| ${settingLabel(r)} | ${r.batch} | ${r.threads} | ${r.recall.toFixed(4)} | ${r.qps.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${(r.buildMs / 1000).toFixed(1)} | ${(r.memoryBytes / 2 ** 20).toFixed(0)} |`;
  return [
    '## All settings',
    '',
    head,
    ...rows.map(line),
    '',
    '## Pareto front (per batch × threads mode)',
    '',
    head,
    ...front.map(line),
    '',
    '## QPS at equal recall (log-QPS interpolated on each curve; "≥": every setting is above the target)',
    '',
    equalRecallMarkdown(equalRecallRows(rows), k).trimEnd(),
  ].join('\n');
}
