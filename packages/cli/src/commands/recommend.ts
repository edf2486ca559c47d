import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type EmbeddingTable,
  hasTrialEmbeddings,
  type IdMap,
  importPlugin,
  layout,
  type QueryItemLists,
  readStatus,
  UsageError,
} from '@embrec/core';
import { readTrialInfo, replayData } from '@embrec/eval';
import { ExactScorer, exactSearch, loadEmbeddings, type Metric } from '@embrec/indexes';
import type { CommandModule } from 'yargs';
import { builtinRegistry } from '../builtins.ts';
import { EXIT, printError, renderTable, sig, type TableFormat } from '../output.ts';

/** A finished trial's exported embeddings, the index metric it used, and its data (for names, seen items). */
export interface ServedTrial {
  readonly dir: string;
  readonly items: EmbeddingTable;
  readonly users?: EmbeddingTable;
  readonly metric: Metric;
  readonly model: string;
}

/** Loads the embeddings of a finished trial (`<output>/<experiment>/<trial>`). */
export async function loadTrial(run: string): Promise<ServedTrial> {
  const dir = resolve(run);
  const status = readStatus(dir)?.status;
  if (status === undefined)
    throw new UsageError(
      `${run} is not a trial folder (expected ${layout.status(dir)}); give <output>/<experiment>/<trial>`,
    );
  if (status !== 'FINISHED')
    throw new UsageError(`${run}: the trial's status is ${status}; it needs a finished trial`);
  const info = readTrialInfo(dir);
  const emb = join(layout.artifacts(dir), 'embeddings');
  if (!hasTrialEmbeddings(dir))
    throw new UsageError(
      `${run} has no exported embeddings (expected ${join(emb, 'items.npy')}): model "${info.model}" scores users directly`,
    );
  const { items, users } = await loadEmbeddings(emb);
  const cfg = JSON.parse(readFileSync(layout.config(dir), 'utf8')) as { index?: { metric?: Metric } };
  return { dir, items, ...(users ? { users } : {}), metric: cfg.index?.metric ?? 'ip', model: info.model };
}

/** The trial's data rebuilt from its config: item names and each user's seen items (train + valid). */
export async function trialData(
  dir: string,
): Promise<{ itemName(id: string): string | undefined; seen(user: string): Set<string> }> {
  const info = readTrialInfo(dir);
  const registry = builtinRegistry();
  for (const p of info.plugins) registry.add((await importPlugin(p, info.configDir)).plugin);
  const { dataset, splits } = await replayData(info.config, registry, info.configDir);
  const names = dataset.itemNames;
  const itemIds = dataset.interactions.itemIds;
  return {
    itemName: (id) => {
      const i = itemIds.get(id);
      return i === undefined ? undefined : names?.[i];
    },
    seen: (user) => {
      const out = new Set<string>();
      for (const part of [splits.train, splits.valid]) {
        if (!part) continue;
        const u = part.userIds.get(user);
        if (u === undefined) continue;
        for (let r = 0; r < part.users.length; r++)
          if (part.users[r] === u) out.add(part.itemIds.external(part.items[r]!));
      }
      return out;
    },
  };
}

/** The row of `id` in `table`, or a usage error that says what the table holds. */
export function rowOf(table: EmbeddingTable, id: string, what: 'user' | 'item', run: string): number {
  const r = table.ids.get(id);
  if (r === undefined) {
    const sample = Array.from({ length: Math.min(5, table.ids.size) }, (_, i) => table.ids.external(i));
    throw new UsageError(
      `${what} "${id}" is not in ${run} (${table.ids.size} ${what}s with embeddings, e.g. ${sample.map((s) => `"${s}"`).join(', ')})`,
    );
  }
  return r;
}

function normalized(v: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < v.length / dim; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += v[r * dim + j]! ** 2;
    const n = Math.sqrt(s) || 1;
    for (let j = 0; j < dim; j++) out[r * dim + j] = v[r * dim + j]! / n;
  }
  return out;
}

/**
 * Exact top-k of `items` for one query vector under `metric`, never returning the rows in
 * `exclude`: the reference search of @embrec/indexes (no approximation).
 */
export function exactTopK(
  items: EmbeddingTable,
  query: Float32Array,
  metric: Metric,
  k: number,
  exclude: readonly number[],
): { row: number; score: number }[] {
  const dim = items.dim;
  let vectors = items.vectors;
  let q = query;
  let norms: Float32Array | undefined;
  if (metric === 'cosine') {
    vectors = normalized(vectors, dim);
    q = normalized(query, dim);
  } else if (metric === 'l2') {
    norms = new Float32Array(items.ids.size);
    for (let r = 0; r < norms.length; r++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += vectors[r * dim + j]! ** 2;
      norms[r] = s;
    }
  }
  const scorer = new ExactScorer(vectors, dim, metric === 'cosine' ? 'ip' : metric, norms);
  const lists: QueryItemLists = {
    indptr: Int32Array.from([0, exclude.length]),
    indices: Int32Array.from(exclude),
  };
  const kk = Math.min(k, items.ids.size - exclude.length);
  if (kk <= 0) return [];
  const { ids, scores } = exactSearch(scorer, q, kk, lists);
  const out: { row: number; score: number }[] = [];
  for (let i = 0; i < kk; i++) if (ids[i]! >= 0) out.push({ row: ids[i]!, score: scores[i]! });
  return out;
}

/** The result table: rank, item ID, name (when the data set has names), score. */
export function itemTable(
  hits: readonly { row: number; score: number }[],
  ids: IdMap,
  name: (id: string) => string | undefined,
  format: TableFormat,
): string {
  const rows = hits.map((h, i) => {
    const id = ids.external(h.row);
    return [String(i + 1), id, name(id) ?? '', sig(h.score)];
  });
  const withNames = rows.some((r) => r[2] !== '');
  const header = withNames ? ['rank', 'item', 'name', 'score'] : ['rank', 'item', 'score'];
  return renderTable(header, withNames ? rows : rows.map((r) => [r[0]!, r[1]!, r[3]!]), format);
}

interface RecommendArgs {
  run: string;
  user: string;
  k: number;
  format: TableFormat;
}

export const recommendCommand: CommandModule<object, RecommendArgs> = {
  command: 'recommend <run>',
  describe: "Top-k items for a user from a finished trial's embeddings (exact search, seen items excluded)",
  builder: (y) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'trial folder' })
      .option('user', { type: 'string', demandOption: true, describe: 'external user ID' })
      .option('k', { type: 'number', default: 20, describe: 'how many items' })
      .option('format', { choices: ['md', 'csv', 'latex'] as const, default: 'md' as const }) as never,
  handler: async (args) => {
    try {
      if (!Number.isInteger(args.k) || args.k < 1)
        throw new UsageError(`--k must be a whole number >= 1, found ${args.k}`);
      const t = await loadTrial(args.run);
      if (!t.users)
        throw new UsageError(
          `${args.run} has item embeddings only (model "${t.model}"): recommend needs user embeddings`,
        );
      const user = String(args.user);
      const u = rowOf(t.users, user, 'user', args.run);
      const data = await trialData(t.dir);
      const seen = [...data.seen(user)]
        .map((id) => t.items.ids.get(id))
        .filter((r): r is number => r !== undefined);
      const q = t.users.vectors.slice(u * t.users.dim, (u + 1) * t.users.dim);
      const hits = exactTopK(t.items, q, t.metric, args.k, seen);
      process.stdout.write(`${itemTable(hits, t.items.ids, data.itemName, args.format)}\n`);
      if (args.format === 'md')
        process.stdout.write(
          `\nuser ${user}: top ${hits.length} by ${t.metric} (exact search), ${seen.length} seen items excluded; ${t.dir}\n`,
        );
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};
