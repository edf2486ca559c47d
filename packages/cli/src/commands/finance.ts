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

/**
 * The finance measures of every finished trial of a sweep (or one trial), printed as one table and
 * written to `<folder>/finance-<measure>.json`: see docs/finance.md.
 */
export async function financeReport(
  run: string,
  measure: Measure,
  opts: Omit<FinanceArgs, 'measure' | 'run' | 'format'>,
  onStep: (s: string) => void = () => {},
): Promise<{ header: string[]; rows: string[][]; json: unknown; file: string }> {
  const folder = resolve(run);
  const trials = trialFolders(folder);
  const header: string[] = [];
  const rows: string[][] = [];
  const json: Record<string, unknown>[] = [];
  const cold: {
    trial: string;
    data: string;
    users: string[];
    perUser: Float64Array;
    recall: number;
    coldItems: number;
  }[] = [];
  const cache = new Map<string, unknown>();
  for (const t of trials) {
    onStep(`${basename(t)}: replaying the data, computing ${measure}`);
    const input = await financeInput(t);
    const trial = basename(t);
    if (measure === 'cold-start') {
      const r = coldStartRecall(input, { k: opts.k ?? 20, maxHolders: opts.maxHolders });
      cold.push({ trial, data: JSON.stringify(readTrialInfo(t).config), ...r });
      continue;
    }
    const result: MeasureRow[] =
      measure === 'securities'
        ? similarSecurities(input, {
            k: opts.k ?? 10,
            sector: opts.sector,
            seed: opts.seed,
            ...(opts.loadings ? { loadings: opts.loadings } : {}),
            cache: { key: JSON.stringify(readTrialInfo(t).config), map: cache },
          })
        : clientMatching(input, { k: opts.k ?? 10, style: opts.style, seed: opts.seed });
    const keys = Object.keys(result[0]!.values);
    if (header.length === 0)
      header.push(
        'trial',
        'representation',
        ...keys.flatMap((k, j) => (j === 0 ? [k] : [k, `Δ vs baseline (p, ${k})`])),
      );
    for (const r of result) {
      const name = r.name === 'model' ? `${input.model} embeddings` : r.name;
      rows.push([
        trial,
        name,
        ...keys.flatMap((k, j) => {
          const v = j === 0 ? String(r.values[k]) : num(r.values[k]);
          const t = r.tests?.[k];
          if (j === 0) return [v];
          if (r === result[0]) return [v, 'baseline'];
          const delta = (r.values[k] ?? Number.NaN) - (result[0]!.values[k] ?? Number.NaN);
          const sign = delta >= 0 ? '+' : '';
          // NMI is one number per clustering: no pairs to test
          return [v, `${sign}${delta.toFixed(4)} ${t ? `(p ${pval(t.p)})` : '(no paired test)'}`];
        }),
      ]);
      json.push({ trial, representation: name, values: r.values, tests: r.tests ?? {} });
    }
  }
  if (measure === 'cold-start') {
    const base = opts.baseline ? cold.find((c) => c.trial.includes(opts.baseline!)) : cold[0];
    if (!base)
      throw new UsageError(
        `--baseline "${opts.baseline}" matches no trial (${cold.map((c) => c.trial).join(', ')})`,
      );
    const k = opts.k ?? 20;
    header.push(
      'trial',
      'cold securities',
      'users',
      `Recall@${k} (≤ ${opts.maxHolders} holders)`,
      'Δ vs baseline',
      'p',
    );
    for (const c of cold) {
      // pair the users both trials measured (the same split gives the same users)
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
      // users pair only when both trials saw the same data and split
      const test = c === base || c.data !== base.data ? undefined : pairedTTest(a, b);
      rows.push([
        c.trial,
        String(c.coldItems),
        String(c.users.length),
        num(c.recall),
        c === base ? 'baseline' : test ? num(test.meanDiff) : 'other data: not paired',
        test ? pval(test.p) : '',
      ]);
      json.push({
        trial: c.trial,
        coldItems: c.coldItems,
        users: c.users.length,
        recall: c.recall,
        test: test ?? null,
      });
    }
  }
  const file = join(folder, `finance-${measure}.json`);
  const out = { measure, folder, options: opts, rows: json };
  writeJsonAtomic(file, out);
  return { header, rows, json: out, file };
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
      process.stderr.write(`  finance: wrote ${r.file}\n`);
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};
