import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import {
  hasTrialEmbeddings,
  importPlugin,
  layout,
  readStatus,
  UsageError,
  writeJsonAtomic,
} from '@embrec/core';
import {
  clientMatching,
  coldStartRecall,
  type FinanceInput,
  type MeasureRow,
  pairedBootstrapCI,
  pairedTTest,
  readTrialInfo,
  replayData,
  similarSecurities,
} from '@embrec/eval';
import { loadEmbeddings } from '@embrec/indexes';
import type { CommandModule } from 'yargs';
import { builtinRegistry } from '../builtins.ts';
import { EXIT, printError, renderTable } from '../output.ts';
import { trialFolders } from './analyze.ts';

type Measure = 'securities' | 'clients' | 'cold-start';

interface FinanceArgs {
  measure: Measure;
  run: string;
  k?: number;
  sector: string;
  loadings?: string[];
  style: string;
  maxHolders: number;
  baseline?: string;
  seed: number;
  format: 'md' | 'csv';
}

/** A finished trial's replayed data and embeddings. */
export async function financeInput(runDir: string): Promise<FinanceInput & { model: string }> {
  const dir = resolve(runDir);
  const info = readTrialInfo(dir);
  const status = readStatus(dir)?.status;
  if (status !== undefined && status !== 'FINISHED')
    throw new UsageError(`${dir}: the trial's status is ${status}; finance needs a finished trial`);
  const emb = join(layout.artifacts(dir), 'embeddings');
  if (!hasTrialEmbeddings(dir))
    throw new UsageError(
      `${dir} has no embeddings (expected ${join(emb, 'items.npy')}); finance needs an embedding model`,
    );
  const { items, users } = await loadEmbeddings(emb);
  if (!users)
    throw new UsageError(
      `${dir} has no user embeddings (expected ${join(emb, 'users.npy')}); finance needs both tables`,
    );
  const registry = builtinRegistry();
  for (const p of info.plugins) registry.add((await importPlugin(p, info.configDir)).plugin);
  const { dataset, splits } = await replayData(info.config, registry, info.configDir);
  return { dataset, splits, items, users, model: info.model };
}

const num = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(4));
const pval = (p: number | undefined) =>
  p === undefined || Number.isNaN(p) ? '' : p < 1e-4 ? '<1e-4' : p.toFixed(4);
const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(4)}`;
/** "+0.0123 [+0.0040, +0.0210] (p 0.0030)": a difference, its 95% interval and its paired p value. */
const delta = (d: number, ci?: { low: number; high: number }, p?: number) =>
  `${signed(d)}${ci && Number.isFinite(ci.low) ? ` [${signed(ci.low)}, ${signed(ci.high)}]` : ''} (p ${pval(p)})`;

/** A trial's model block (the part of the config that is not data), to group trials across worlds. */
function modelKey(trial: string): string {
  const cfg = JSON.parse(readFileSync(layout.config(trial), 'utf8')) as { model?: unknown };
  return JSON.stringify(cfg.model ?? null);
}

/** A world's label: its data set's seed where it has one (a sweep over dataset.seed), else its order. */
function worldLabel(data: string, seen: Map<string, string>): string {
  const known = seen.get(data);
  if (known) return known;
  const seed = (JSON.parse(data) as { dataset?: { seed?: unknown } }).dataset?.seed;
  const label = typeof seed === 'number' ? `seed ${seed}` : `data ${seen.size + 1}`;
  seen.set(data, label);
  return label;
}

/** Pairs collected per model over several worlds (data configs), pooled into one paired comparison. */
type PoolSide = { a: number[]; b: number[]; worlds: number; ahead: number };

function poolAdd(
  pool: Map<string, Map<string, PoolSide>>,
  group: string,
  measure: string,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): void {
  const byMeasure = pool.get(group) ?? new Map<string, PoolSide>();
  pool.set(group, byMeasure);
  const side = byMeasure.get(measure) ?? { a: [], b: [], worlds: 0, ahead: 0 };
  byMeasure.set(measure, side);
  const t = pairedTTest(a, b);
  side.worlds++;
  if (t.meanDiff > 0 && t.p < 0.05) side.ahead++;
  for (let i = 0; i < a.length; i++) {
    side.a.push(a[i]!);
    side.b.push(b[i]!);
  }
}

/**
 * The pooled table: per model, the pairs of every world side by side (each row beside its own
 * world's baseline), one paired t-test and bootstrap interval; and in how many worlds the model was
 * significantly ahead (p < 0.05) on its own. Only models measured on more than one world.
 */
function pooledTable(
  pool: Map<string, Map<string, PoolSide>>,
  names: Map<string, string>,
  seed: number,
): { header: string[]; rows: string[][]; json: Record<string, unknown>[] } {
  const header = [
    'model',
    'measure',
    'worlds',
    'pairs',
    'Δ vs baseline [95% CI] (p)',
    'worlds ahead (p < 0.05)',
  ];
  const rows: string[][] = [];
  const json: Record<string, unknown>[] = [];
  for (const [group, byMeasure] of pool) {
    for (const [measure, side] of byMeasure) {
      if (side.worlds < 2) continue;
      const test = pairedTTest(side.a, side.b);
      const ci = pairedBootstrapCI(side.a, side.b, { seed });
      rows.push([
        names.get(group) ?? group,
        measure,
        String(side.worlds),
        String(test.n),
        delta(test.meanDiff, ci, test.p),
        `${side.ahead}/${side.worlds}`,
      ]);
      json.push({
        model: names.get(group) ?? group,
        measure,
        worlds: side.worlds,
        ahead: side.ahead,
        test,
        ci,
      });
    }
  }
  return { header, rows, json };
}

/**
 * The finance measures of every finished trial of a sweep (or one trial), printed as one table and
 * written to `<folder>/finance-<measure>.json`: see docs/finance.md. Each trial is measured beside
 * the baseline of its own data (world); when the trials span several worlds (a sweep over
 * `dataset.seed`), a second table pools each model's pairs over the worlds.
 */
export async function financeReport(
  run: string,
  measure: Measure,
  opts: Omit<FinanceArgs, 'measure' | 'run' | 'format'>,
  onStep: (s: string) => void = () => {},
): Promise<{
  header: string[];
  rows: string[][];
  json: unknown;
  file: string;
  notes: string[];
  pooled?: { header: string[]; rows: string[][] };
}> {
  const folder = resolve(run);
  const trials = trialFolders(folder);
  const header: string[] = [];
  const rows: string[][] = [];
  const json: Record<string, unknown>[] = [];
  const notes: string[] = [];
  const pool = new Map<string, Map<string, PoolSide>>();
  const names = new Map<string, string>();
  const cold: {
    trial: string;
    data: string;
    group: string;
    users: string[];
    perUser: Float64Array;
    recall: number;
    coldItems: number;
  }[] = [];
  const cache = new Map<string, unknown>();
  const chanceSeen = new Set<string>();
  const worlds = new Map<string, string>();
  for (const t of trials) {
    onStep(`${basename(t)}: replaying the data, computing ${measure}`);
    const input = await financeInput(t);
    const trial = basename(t);
    const data = JSON.stringify(readTrialInfo(t).config);
    const group = modelKey(t);
    // a model is named by its first trial (the same model block on the other worlds pools with it)
    if (!names.has(group)) names.set(group, trial);
    if (measure === 'cold-start') {
      const r = coldStartRecall(input, { k: opts.k ?? 20, maxHolders: opts.maxHolders });
      cold.push({ trial, data, group, ...r });
      continue;
    }
    const result: MeasureRow[] =
      measure === 'securities'
        ? similarSecurities(input, {
            k: opts.k ?? 10,
            sector: opts.sector,
            seed: opts.seed,
            ...(opts.loadings ? { loadings: opts.loadings } : {}),
            cache: { key: data, map: cache },
          })
        : clientMatching(input, { k: opts.k ?? 10, style: opts.style, seed: opts.seed });
    const keys = Object.keys(result[0]!.values);
    if (header.length === 0)
      header.push(
        'trial',
        'world',
        'representation',
        ...keys.flatMap((k, j) => (j === 0 ? [k] : [k, `Δ vs baseline [95% CI] (p, ${k})`])),
      );
    const chance = result[0]!.chance;
    if (chance && !chanceSeen.has(data)) {
      chanceSeen.add(data);
      const line = Object.entries(chance)
        .filter(([k]) => !k.startsWith('Loading'))
        .map(([k, v]) => `${k} ${num(v)}`)
        .join(', ');
      notes.push(`chance (random neighbours), ${worldLabel(data, worlds)}: ${line}`);
    }
    for (const r of result) {
      const name = r.name === 'model' ? `${input.model} embeddings` : r.name;
      rows.push([
        trial,
        worldLabel(data, worlds),
        name,
        ...keys.flatMap((k, j) => {
          const v = j === 0 ? String(r.values[k]) : num(r.values[k]);
          const t = r.tests?.[k];
          if (j === 0) return [v];
          if (r === result[0]) return [v, 'baseline'];
          const d = (r.values[k] ?? Number.NaN) - (result[0]!.values[k] ?? Number.NaN);
          // NMI is one number per clustering: no pairs to test
          return [v, t ? delta(d, r.ci?.[k], t.p) : `${signed(d)} (no paired test)`];
        }),
      ]);
      for (const [k, p] of Object.entries(r.pairs ?? {})) poolAdd(pool, group, k, p.a, p.b);
      json.push({
        trial,
        world: worldLabel(data, worlds),
        representation: name,
        values: r.values,
        tests: r.tests ?? {},
        ci: r.ci ?? {},
        ...(r.chance ? { chance: r.chance } : {}),
      });
    }
  }
  if (measure === 'cold-start') {
    // each world's baseline: its first trial, or its first trial matching --baseline
    const baseOf = new Map<string, (typeof cold)[number]>();
    for (const c of cold)
      if (!baseOf.has(c.data) && (opts.baseline === undefined || c.trial.includes(opts.baseline)))
        baseOf.set(c.data, c);
    if (baseOf.size === 0)
      throw new UsageError(
        `--baseline "${opts.baseline}" matches no trial (${cold.map((c) => c.trial).join(', ')})`,
      );
    const k = opts.k ?? 20;
    header.push(
      'trial',
      'world',
      'cold securities',
      'users',
      `Recall@${k} (≤ ${opts.maxHolders} holders)`,
      'Δ vs baseline [95% CI]',
      'p',
    );
    for (const c of cold) {
      const base = baseOf.get(c.data);
      if (!base) {
        // no baseline trial on this world's data: nothing to pair with
        rows.push([
          c.trial,
          worldLabel(c.data, worlds),
          String(c.coldItems),
          String(c.users.length),
          num(c.recall),
          'no baseline on this data',
          '',
        ]);
        json.push({
          trial: c.trial,
          world: worldLabel(c.data, worlds),
          coldItems: c.coldItems,
          users: c.users.length,
          recall: c.recall,
          baseline: null,
          test: null,
          ci: null,
        });
        continue;
      }
      // pair the users both trials measured (each trial beside the baseline of its own data and split)
      const at = new Map(base.users.map((u, i) => [u, i]));
      const a: number[] = [];
      const b: number[] = [];
      c.users.forEach((u, i) => {
        const j = at.get(u);
        if (j !== undefined) {
          a.push(c.perUser[i]!);
          b.push(base.perUser[j]!);
        }
      });
      const test = c === base ? undefined : pairedTTest(a, b);
      const ci = c === base ? undefined : pairedBootstrapCI(a, b, { seed: opts.seed });
      if (c !== base) poolAdd(pool, c.group, `Recall@${k} (≤ ${opts.maxHolders} holders)`, a, b);
      rows.push([
        c.trial,
        worldLabel(c.data, worlds),
        String(c.coldItems),
        String(c.users.length),
        num(c.recall),
        c === base ? 'baseline' : `${signed(test!.meanDiff)} [${signed(ci!.low)}, ${signed(ci!.high)}]`,
        test ? pval(test.p) : '',
      ]);
      json.push({
        trial: c.trial,
        world: worldLabel(c.data, worlds),
        coldItems: c.coldItems,
        users: c.users.length,
        recall: c.recall,
        baseline: base.trial,
        test: test ?? null,
        ci: ci ?? null,
      });
    }
  }
  const pooled = pooledTable(pool, names, opts.seed);
  const file = join(folder, `finance-${measure}.json`);
  const out = { measure, folder, options: opts, rows: json, pooled: pooled.json };
  writeJsonAtomic(file, out);
  return {
    header,
    rows,
    json: out,
    file,
    notes,
    ...(pooled.rows.length > 0 ? { pooled: { header: pooled.header, rows: pooled.rows } } : {}),
  };
}

export const financeCommand: CommandModule<object, FinanceArgs> = {
  command: 'finance <measure> <run>',
  describe:
    'Finance measures of a finished sweep or trial beside their baselines: securities (sector purity, loading R²), clients (style NMI, same-style peers), cold-start (Recall@20)',
  builder: (y) =>
    y
      .positional('measure', {
        choices: ['securities', 'clients', 'cold-start'] as const,
        demandOption: true,
        describe: 'which measures',
      })
      .positional('run', { type: 'string', demandOption: true, describe: 'sweep folder or trial folder' })
      .option('k', { type: 'number', describe: 'neighbours (default 10) or Recall@k cut-off (default 20)' })
      .option('sector', {
        type: 'string',
        default: 'sector',
        describe: 'categorical item feature of the sector',
      })
      .option('loadings', {
        type: 'string',
        array: true,
        describe: 'numeric item features the probe predicts (default: all numeric item features)',
      })
      .option('style', {
        type: 'string',
        default: 'style',
        describe: 'categorical user feature of the client style',
      })
      .option('max-holders', {
        type: 'number',
        default: 3,
        describe: 'cold-start: at most this many train holders',
      })
      .option('baseline', {
        type: 'string',
        describe: 'cold-start: the trial (name part) to pair against (default: the first)',
      })
      .option('seed', { type: 'number', default: 0, describe: 'seed of k-means and of the probe folds' })
      .option('format', { choices: ['md', 'csv'] as const, default: 'md' as const }) as never,
  handler: async (args) => {
    try {
      const r = await financeReport(
        args.run,
        args.measure,
        {
          sector: args.sector,
          style: args.style,
          maxHolders: args.maxHolders,
          seed: args.seed,
          ...(args.k !== undefined ? { k: args.k } : {}),
          ...(args.loadings ? { loadings: args.loadings } : {}),
          ...(args.baseline !== undefined ? { baseline: args.baseline } : {}),
        },
        (s) => process.stderr.write(`  finance: ${s}\n`),
      );
      process.stdout.write(`${renderTable(r.header, r.rows, args.format)}\n`);
      for (const n of r.notes) process.stdout.write(`${n}\n`);
      if (r.pooled) {
        process.stdout.write("\nPooled over worlds (each pair beside its own world's baseline):\n");
        process.stdout.write(`${renderTable(r.pooled.header, r.pooled.rows, args.format)}\n`);
      }
      process.stderr.write(`  finance: wrote ${r.file}\n`);
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};
