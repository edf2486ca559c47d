import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ComponentKind,
  type CreateContext,
  type Dataset,
  EmbrecError,
  Registry,
  Rng,
  type Splits,
  silentLogger,
  type TrialContext,
} from '@embrec/core';

interface Block {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** The parts of a trial's resolved config.json that the data pipeline needs. */
export interface DataConfig {
  readonly seed: number;
  readonly dataset: Block;
  readonly transforms: readonly Block[];
  readonly split: Block;
}

/**
 * Rebuilds a finished trial's data and split from its resolved config: the same components, the
 * same parameters and the same per-component random streams as the runner (seed forked by
 * "kind:type"), so the split is the one the model was trained on. `configDir` is the experiment
 * file's folder (relative data paths resolve from it).
 */
export async function replayData(
  cfg: DataConfig,
  registry: Registry,
  configDir: string,
): Promise<{ dataset: Dataset; splits: Splits }> {
  const scratch = mkdtempSync(join(tmpdir(), 'embrec-analyze-'));
  try {
    const ctxFor = (kind: ComponentKind, type: string): CreateContext => {
      const label = `${kind}:${Registry.display(Registry.qualify(type))}`;
      const ctx: TrialContext = {
        trial: 'analyze',
        seed: cfg.seed,
        rng: new Rng(cfg.seed).fork(label),
        log: silentLogger.child(label),
        configDir,
        artifactsDir: join(scratch, 'artifacts'),
        checkpointDir: join(scratch, 'checkpoints'),
        signal: new AbortController().signal,
        threads: 1,
        progress: () => ({ tick: () => {}, done: () => {} }),
        logMetrics: () => {},
      };
      return {
        ...ctx,
        instantiate: () => {
          throw new EmbrecError(
            'E_ANALYZE_REPLAY',
            `${label} creates nested components; analyze cannot rebuild it`,
          );
        },
      };
    };
    const make = async (kind: ComponentKind, block: Block): Promise<{ c: unknown; ctx: CreateContext }> => {
      const def = registry.get(kind, block.type).def;
      if (def.deps && Object.keys(def.deps).length > 0)
        throw new EmbrecError(
          'E_ANALYZE_REPLAY',
          `${kind} "${block.type}" has dependencies; analyze cannot rebuild the trial's data with it`,
        );
      const { type: _type, ...params } = block;
      const ctx = ctxFor(kind, block.type);
      return { c: await def.create(params as never, {} as never, ctx), ctx };
    };
    const ds = await make('dataset', cfg.dataset);
    let dataset = await (ds.c as { load(ctx: TrialContext): Promise<Dataset> }).load(ds.ctx);
    for (const b of cfg.transforms) {
      const t = await make('transform', b);
      dataset = (t.c as { apply(d: Dataset, ctx: TrialContext): Dataset }).apply(dataset, t.ctx);
    }
    const s = await make('splitter', cfg.split);
    const splits = await (s.c as { split(d: Dataset, ctx: TrialContext): Splits | Promise<Splits> }).split(
      dataset,
      s.ctx,
    );
    return { dataset, splits };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
