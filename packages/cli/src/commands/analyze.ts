import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import {
  hasTrialEmbeddings,
  importPlugin,
  layout,
  readStatus,
  UsageError,
  writeFolderAtomic,
} from '@embrec/core';
import {
  type AnalysisResult,
  type AnalyzeOptions,
  analyzeEmbeddings,
  DEFAULT_ANALYZE_OPTIONS,
  readItemBias,
  readTrialInfo,
  replayData,
  writeAnalysisReport,
} from '@embrec/eval';
import { loadEmbeddings } from '@embrec/indexes';
import type { CommandModule } from 'yargs';
import { builtinRegistry } from '../builtins.ts';
import { EXIT, printError, renderTable } from '../output.ts';

interface AnalyzeArgs {
  run: string;
  attribute?: string;
  userAttribute?: string[];
  item?: string[];
  random: number;
  neighbours: number;
  items: number;
  users: number;
  perplexity: number;
  tsneIterations: number;
  permutations: number;
  k: number;
  seed: number;
  threads: number;
  maps: boolean;
  out?: string;
}

/**
 * Analyses one finished trial's embeddings (neighbours, t-SNE/UMAP maps, attribute structure,
 * popularity bias) into `<trial>/artifacts/analysis/` (or --out): report.html, analysis.json, SVG
 * and PNG — the folder an experiment's `analysis:` section writes during the run.
 */
export async function analyzeRun(
  runDir: string,
  opts: Partial<AnalyzeOptions> & { out?: string | undefined },
  onStep: (step: string) => void = () => {},
): Promise<{ dir: string; result: AnalysisResult }> {
  const dir = resolve(runDir);
  const info = readTrialInfo(dir);
  const status = readStatus(dir)?.status;
  if (status !== undefined && status !== 'FINISHED')
    throw new UsageError(`${dir}: the trial's status is ${status}; analyze needs a finished trial`);
  const emb = join(layout.artifacts(dir), 'embeddings');
  if (!hasTrialEmbeddings(dir))
    throw new UsageError(
      `${dir} has no item embeddings (expected ${join(emb, 'items.npy')}): model "${info.model}" scores users directly; analyze needs a model that produces embeddings (mf, two-tower, lightgcn, item2vec)`,
    );
  const out = resolve(opts.out ?? layout.analysis(dir));
  if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, 'analysis.json')))
    throw new UsageError(`${out} exists and holds other files; give an empty or new folder to --out`);
  const { items, users } = await loadEmbeddings(emb);
  onStep('rebuilding the trial data and split');
  const registry = builtinRegistry();
  for (const p of info.plugins) registry.add((await importPlugin(p, info.configDir)).plugin);
  const { dataset, splits } = await replayData(info.config, registry, info.configDir);
  const result = await analyzeEmbeddings(
    { model: info.model, dataset, splits, items, users, itemBias: readItemBias(dir, items.ids) },
    opts,
    onStep,
  );
  onStep('writing the report');
  await writeFolderAtomic(out, (tmp) =>
    writeAnalysisReport(tmp, result, `embrec analysis: ${info.name} / ${basename(dir)}`, {
      trial: dir,
      experiment: info.name,
      metrics: info.metrics,
    }),
  );
  return { dir: out, result };
}

/** The trial folders to analyse: the folder itself, or every finished trial with embeddings of a sweep folder. */
export function trialFolders(dir: string): string[] {
  if (!existsSync(dir))
    throw new UsageError(
      `${dir}: no such folder (expected a trial folder <output>/<experiment>/<trial> or a sweep folder)`,
    );
  const sweep = layout.sweepFile(dir);
  if (existsSync(layout.config(dir)) || !existsSync(sweep)) return [dir];
  const all = (JSON.parse(readFileSync(sweep, 'utf8')) as { trials: string[] }).trials.map((t) =>
    join(dir, t),
  );
  const done = all.filter((t) => readStatus(t)?.status === 'FINISHED' && hasTrialEmbeddings(t));
  if (done.length === 0)
    throw new UsageError(
      `${dir} is a sweep folder with no finished trial that has item embeddings (${all.length} trials listed); run the experiment first`,
    );
  return done;
}

export const analyzeCommand: CommandModule<object, AnalyzeArgs> = {
  command: 'analyze <run>',
  describe:
    'Embedding analysis of a finished trial: neighbours, t-SNE/UMAP maps, attribute structure, popularity bias → artifacts/analysis/report.html',
  builder: (y) =>
    y
      .positional('run', {
        type: 'string',
        demandOption: true,
        describe: 'trial folder (<output>/<experiment>/<trial>) or sweep folder',
      })
      .option('attribute', {
        type: 'string',
        describe: 'item attribute for colours and structure (default: the first, e.g. genres)',
      })
      .option('user-attribute', {
        type: 'string',
        array: true,
        describe: 'user attributes for the user maps (default: all)',
      })
      .option('item', {
        type: 'string',
        array: true,
        describe: 'items whose neighbours to list (ID or title)',
      })
      .option('random', {
        type: 'number',
        default: DEFAULT_ANALYZE_OPTIONS.randomItems,
        describe: 'random items to list neighbours of',
      })
      .option('neighbours', { type: 'number', default: DEFAULT_ANALYZE_OPTIONS.neighbours })
      .option('items', {
        type: 'number',
        default: DEFAULT_ANALYZE_OPTIONS.mapItems,
        describe: 'items on the maps (seeded sample)',
      })
      .option('users', {
        type: 'number',
        default: DEFAULT_ANALYZE_OPTIONS.mapUsers,
        describe: 'users on the maps (seeded sample)',
      })
      .option('perplexity', { type: 'number', default: DEFAULT_ANALYZE_OPTIONS.perplexity })
      .option('tsne-iterations', { type: 'number', default: DEFAULT_ANALYZE_OPTIONS.tsneIterations })
      .option('permutations', {
        type: 'number',
        default: DEFAULT_ANALYZE_OPTIONS.permutations,
        describe: 'label permutations of the test',
      })
      .option('k', {
        type: 'number',
        default: DEFAULT_ANALYZE_OPTIONS.k,
        describe: 'recommendation list length for popularity bias',
      })
      .option('seed', { type: 'number', default: DEFAULT_ANALYZE_OPTIONS.seed })
      .option('threads', { type: 'number', default: 1 })
      .option('maps', {
        type: 'boolean',
        default: true,
        describe: 'draw t-SNE/UMAP maps (--no-maps skips them)',
      })
      .option('out', {
        type: 'string',
        describe: 'output folder (default: <run>/artifacts/analysis)',
      }) as never,
  handler: async (args) => {
    try {
      const runs = trialFolders(resolve(args.run));
      if (runs.length > 1 && args.out)
        throw new UsageError(
          "--out takes one trial; a sweep folder writes each trial's artifacts/analysis/ folder",
        );
      const rows: string[][] = [];
      for (const run of runs) {
        if (runs.length > 1) process.stderr.write(`■ ${basename(run)}\n`);
        const { dir, result } = await analyzeRun(
          run,
          {
            ...(args.attribute !== undefined ? { attribute: args.attribute } : {}),
            ...(args.userAttribute ? { userAttributes: args.userAttribute } : {}),
            ...(args.item ? { items: args.item } : {}),
            randomItems: args.random,
            neighbours: args.neighbours,
            mapItems: args.items,
            mapUsers: args.users,
            perplexity: args.perplexity,
            tsneIterations: args.tsneIterations,
            permutations: args.permutations,
            k: args.k,
            seed: args.seed,
            threads: args.threads,
            maps: args.maps,
            out: args.out,
          },
          (s) => process.stderr.write(`  analyze: ${s}\n`),
        );
        rows.push(summaryRow(basename(run), result, join(dir, 'report.html')));
      }
      process.stdout.write(
        `${renderTable(['trial', 'model', 'attribute', 'intra', 'inter', 'intra − inter', 'p', 'ρ(pop, norm)', 'ρ(pop, recommended)', 'Gini rec / int', 'report'], rows, 'md')}\n`,
      );
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};

function summaryRow(trial: string, r: AnalysisResult, report: string): string[] {
  const g = r.genre;
  const p = r.popularity;
  const f = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(4));
  return [
    trial,
    r.model,
    g?.attribute ?? '–',
    f(g?.overall.intra),
    f(g?.overall.inter),
    f(g?.overall.diff),
    g ? g.overall.p.toPrecision(2) : '–',
    f(p?.spearman.norm),
    f(p?.spearman.recommended),
    p ? `${p.gini.recommendations.toFixed(3)} / ${p.gini.interactions.toFixed(3)}` : '–',
    report,
  ];
}
