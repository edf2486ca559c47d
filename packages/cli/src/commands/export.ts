import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hasTrialEmbeddings, importPlugin, layout, readStatus, UsageError } from '@embrec/core';
import { readTrialInfo, replayData } from '@embrec/eval';
import { createIndex, type IndexSpec, indexRegistry, loadEmbeddings, parseIndexSpec } from '@embrec/indexes';
import { type Manifest, type PipelineConfig, writeBundle } from '@embrec/serve';
import type { CommandModule } from 'yargs';
import { builtinRegistry } from '../builtins.ts';
import { EXIT, printError } from '../output.ts';
import { trialFolders } from './analyze.ts';

interface ExportArgs {
  run: string;
  out: string;
  index?: string;
}

/** Re-rankers `embrec serve` runs itself (over the bundle's item embeddings). */
const SERVED_RERANKERS = new Set(['mmr']);

/**
 * Exports a finished trial as a serving bundle (packages/serve/src/bundle.ts): embeddings, a built
 * index, ID maps, item names and attributes, every user's history, the pipeline config, a manifest
 * with sha256 hashes. `run` is a trial folder, or a sweep folder with exactly one finished trial.
 */
export async function exportRun(
  run: string,
  out: string,
  opts: { index?: IndexSpec | undefined } = {},
  onStep: (s: string) => void = () => {},
): Promise<{ dir: string; manifest: Manifest; trial: string }> {
  const trials = trialFolders(resolve(run));
  if (trials.length > 1)
    throw new UsageError(
      `${run} holds ${trials.length} finished trials; export one of them: ${trials.map((t) => t.slice(resolve(run).length + 1)).join(', ')}`,
    );
  const dir = trials[0]!;
  const status = readStatus(dir)?.status;
  if (status !== undefined && status !== 'FINISHED')
    throw new UsageError(`${dir}: the trial's status is ${status}; export needs a finished trial`);
  const emb = join(layout.artifacts(dir), 'embeddings');
  if (!hasTrialEmbeddings(dir))
    throw new UsageError(
      `${dir} has no item embeddings (expected ${join(emb, 'items.npy')}): only embedding models (mf, two-tower, lightgcn, item2vec) can be served`,
    );
  const target = resolve(out);
  if (existsSync(target) && !existsSync(join(target, 'manifest.json')))
    throw new UsageError(`${target} exists and is not an embrec bundle; give a new folder to --out`);
  const info = readTrialInfo(dir);
  const cfg = JSON.parse(readFileSync(layout.config(dir), 'utf8')) as {
    name: string;
    model: { type: string; normalize?: boolean };
    index?: IndexSpec;
    retrieve?: { k?: number };
    ranker?: { type: string };
    rerankers?: { type: string }[];
  };
  onStep('loading embeddings');
  const { items, users } = await loadEmbeddings(emb);
  if (users === undefined) throw new UsageError(`${emb}: no users.npy; the trial wrote only item embeddings`);
  onStep('rebuilding the data set (names, attributes, histories)');
  const registry = builtinRegistry();
  for (const p of info.plugins) registry.add((await importPlugin(p, info.configDir)).plugin);
  const { dataset } = await replayData(info.config, registry, info.configDir);
  const spec: IndexSpec = opts.index ?? cfg.index ?? { type: 'exact' };
  onStep(`building the index ${JSON.stringify(spec)}`);
  const index = await createIndex(spec, registry.list('index').length > 0 ? registry : indexRegistry());
  await index.build(items);
  const modelType = cfg.model.type.replace(/^embrec\//, '');
  const pooled = ['mf', 'two-tower'].includes(modelType);
  const pipeline: PipelineConfig = {
    retrieveN: cfg.retrieve?.k ?? 100,
    index: spec,
    metric: String(index.stats().params.metric ?? 'ip'),
    foldIn: {
      // EmbeddingModel.encodeColdUsers: the normalised sum when the towers normalise, else the mean
      method: pooled && cfg.model.normalize === true ? 'normalized-sum' : 'mean',
      model: pooled
        ? `${modelType}: pooling of the item vectors, as the model's foldIn`
        : `${modelType}: the model's own fold-in is not in the bundle; mean pooling of the item vectors stands in`,
    },
    ranker: cfg.ranker
      ? {
          type: cfg.ranker.type,
          served: false,
          note: 'the trial does not save its fitted ranker; the bundle serves retrieval and re-ranking',
        }
      : null,
    rerankers: (cfg.rerankers ?? []).map((r) => {
      const type = r.type.replace(/^embrec\//, '');
      return { ...r, type, served: SERVED_RERANKERS.has(type) };
    }),
  };
  onStep('writing the bundle');
  const manifest = await writeBundle(target, {
    source: { run: dir, experiment: cfg.name, model: modelType },
    items,
    users,
    train: dataset.interactions,
    itemNames: dataset.itemNames,
    itemFeatures: dataset.itemFeatures,
    pipeline,
    index,
  });
  index.dispose();
  return { dir: target, manifest, trial: dir };
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export <run>',
  describe:
    'Export a finished trial as a self-contained serving bundle (embeddings, index, id maps, item metadata, pipeline, manifest)',
  builder: (y) =>
    y
      .positional('run', {
        type: 'string',
        demandOption: true,
        describe: 'trial folder, or a sweep folder with one finished trial',
      })
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'bundle folder to write (replaced atomically)',
      })
      .option('index', {
        type: 'string',
        describe:
          'index to build instead of the experiment\'s (e.g. "faiss:IVF256,Flat" or "{type: hnsw, M: 16}")',
      }) as never,
  handler: async (args) => {
    try {
      const { dir, manifest, trial } = await exportRun(
        args.run,
        args.out,
        { index: args.index === undefined ? undefined : parseIndexSpec(args.index) },
        (s) => process.stderr.write(`  export: ${s}\n`),
      );
      process.stdout.write(
        `exported ${trial}\n  → ${dir} (${manifest.items} items, ${manifest.users} users, dim ${manifest.dim}, ${Object.keys(manifest.files).length} files)\n  serve it: embrec serve ${args.out}\n`,
      );
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};
