import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  hasTrialEmbeddings,
  importPlugin,
  layout,
  type Registry,
  readStatus,
  UsageError,
} from '@embrec/core';
import { readTrialInfo, replayData } from '@embrec/eval';
import { createIndex, type IndexSpec, indexRegistry, loadEmbeddings, parseIndexSpec } from '@embrec/indexes';
import {
  type FoldIn,
  loadFoldInModel,
  type Manifest,
  type PipelineConfig,
  type RankerSpec,
  writeBundle,
} from '@embrec/serve';
import type { CommandModule } from 'yargs';
import { builtinRegistry } from '../builtins.ts';
import { EXIT, printError } from '../output.ts';
import { trialFolders } from './analyze.ts';

interface ExportArgs {
  run: string;
  out: string;
  index?: string;
}

/** The trial's saved ranker (artifacts/ranker/ranker.json, written by the runner's export stage). */
interface SavedRanker {
  type: string;
  saved: 'component' | 'model' | null;
  config: { retrievalFeatures?: boolean; topM?: number; [key: string]: unknown };
  note?: string;
}

/**
 * New users fold in through the retrieval model's own `foldIn` (LightGCN propagates, towers pool)
 * when the trial saved the model and it loads back from its files alone; else pooling of the item
 * vectors stands in (the model's rule for MF and two-tower), and pipeline.json says why.
 */
async function foldInSpec(
  trial: string,
  cfg: Record<string, unknown> & { model: { type: string; normalize?: boolean } },
  registry: Registry,
  dim: number,
): Promise<{ foldIn: FoldIn; modelDir?: string }> {
  const modelType = cfg.model.type.replace(/^embrec\//, '');
  const pooled = ['mf', 'two-tower'].includes(modelType);
  // EmbeddingModel.encodeColdUsers: the normalised sum when the towers normalise, else the mean
  const method = pooled && cfg.model.normalize === true ? 'normalized-sum' : 'mean';
  const modelDir = join(layout.artifacts(trial), 'model');
  let why = 'the trial saved no model files';
  if (existsSync(join(modelDir, 'model.json'))) {
    const { model: block, ...sections } = cfg;
    try {
      const m = await loadFoldInModel(modelDir, block, sections, registry, layout.config(trial));
      try {
        const v = m.foldIn([]);
        if (v.length !== dim)
          throw new Error(`its fold-in vectors have dim ${v.length}, the embeddings ${dim}`);
      } finally {
        m.dispose?.();
      }
      return {
        foldIn: {
          method: 'model',
          model: `${modelType}: the model's own foldIn (model/)`,
          block,
          sections: pick(sections),
          // MF and the towers pool: the same vectors without the model, for a server without plugins
          ...(pooled ? { pooling: method } : {}),
        },
        modelDir,
      };
    } catch (e) {
      why = (e as Error).message;
    }
  }
  return {
    foldIn: {
      method,
      model: pooled
        ? `${modelType}: pooling of the item vectors, as the model's foldIn (${why})`
        : `${modelType}: the model's own fold-in is not in the bundle (${why}); mean pooling of the item vectors stands in`,
    },
  };
}

/** The config sections a model may depend on (loss, sampler), without the rest of the experiment. */
function pick(sections: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['loss', 'sampler']) if (sections[k] !== undefined) out[k] = sections[k];
  return out;
}

/**
 * The bundle's ranker entry: served when the trial saved the built-in ranker with its own save() (the
 * network, the side-feature tables it uses, the retrieval-score standardisation).
 */
function rankerSpec(
  trial: string,
  type: string,
  retrieveN: number,
  builtin: boolean,
): { spec: RankerSpec; dir?: string } {
  const dir = join(layout.artifacts(trial), 'ranker');
  const file = join(dir, 'ranker.json');
  const t = type.replace(/^embrec\//, '');
  if (!existsSync(file))
    return {
      spec: {
        type: t,
        served: false,
        note: 'the trial saved no ranker (it ran before rankers were saved): run it again to serve it',
      },
    };
  const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedRanker;
  if (saved.saved === null)
    return { spec: { type: t, served: false, note: saved.note ?? 'the ranker could not be saved' } };
  if (saved.saved === 'model')
    return {
      spec: {
        type: t,
        served: false,
        note: "the trial saved only the ranker's network (an earlier embrec): run it again to serve the ranker",
      },
    };
  if (!builtin)
    return {
      spec: {
        type: t,
        served: false,
        note: 'a plugin ranker: embrec serve serves the built-in neumf ranker only',
      },
    };
  return {
    spec: {
      type: t,
      served: true,
      block: saved.config,
      candidates: retrieveN,
      retrievalFeatures: saved.config.retrievalFeatures === true,
      ...(saved.config.topM !== undefined ? { topM: saved.config.topM } : {}),
    },
    dir,
  };
}

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
  const builtins = builtinRegistry();
  onStep('loading the model for new-user fold-in');
  const fold = await foldInSpec(dir, cfg as never, registry, items.dim);
  const retrieveN = cfg.retrieve?.k ?? 100;
  const ranker = cfg.ranker
    ? rankerSpec(dir, cfg.ranker.type, retrieveN, builtins.lookup('ranker', cfg.ranker.type).ok)
    : undefined;
  const pipeline: PipelineConfig = {
    retrieveN,
    index: spec,
    metric: String(index.stats().params.metric ?? 'ip'),
    foldIn: fold.foldIn,
    ranker: ranker?.spec ?? null,
    // the built-in re-rankers are served (embrec serve builds each from its block); plugins' are not
    rerankers: (cfg.rerankers ?? []).map((r) => {
      const type = r.type.replace(/^embrec\//, '');
      return { ...r, type, served: builtins.lookup('reranker', r.type).ok };
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
    rankerDir: ranker?.dir,
    modelDir: fold.modelDir,
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
