import type { Trial } from '../config/load.ts';
import type { Block, TrialConfig } from '../config/sections.ts';
import { EmbrecError, PluginError } from '../errors.ts';
import type { TrialScope } from '../plugin/container.ts';
import type { ComponentKind } from '../plugin/kinds.ts';
import { Registry } from '../plugin/registry.ts';
import type { Logger } from '../util/log.ts';
import { Assembler } from './assemble.ts';
import { makeTrialContext, type TrialEnv } from './context.ts';
import type { RecommendationSample } from './samples.ts';
import { checkPipelineSizes } from './stages/checks.ts';
import { checkOrder, STAGES } from './stages/index.ts';
import type { Stage, StageContext, TrialState } from './stages/types.ts';

export interface TrialOutput {
  readonly metrics: Record<string, number>;
  readonly protocol: string;
  readonly stages: Record<string, number>;
  readonly samples: readonly RecommendationSample[];
}

export class AbortedError extends EmbrecError {
  constructor() {
    super('E_ABORTED', 'interrupted');
  }
}

/** Which config section satisfies a component's dependency of each kind. */
const SECTION_OF: Partial<Record<ComponentKind, keyof TrialConfig>> = {
  dataset: 'dataset',
  splitter: 'split',
  model: 'model',
  loss: 'loss',
  sampler: 'sampler',
  index: 'index',
  ranker: 'ranker',
  evaluator: 'evaluate',
};

/**
 * Runs one trial: the stages of stages/index.ts that the config asks for, in order. Components are
 * built by the Assembler (assemble.ts); failures inside plugin code become PluginErrors naming the
 * plugin, component, stage and hook; an abort stops at the next plugin call.
 */
export async function runTrial(opts: {
  trial: Trial;
  file: string;
  registry: Registry;
  scope: TrialScope;
  env: TrialEnv;
  log: Logger;
  onStage: (stage: string, ms: number) => void;
  setupBackend: (name: TrialConfig['backend'], threads: number) => Promise<string | undefined>;
  stages?: readonly Stage[];
}): Promise<TrialOutput> {
  const { registry, env, log } = opts;
  const cfg = opts.trial.config;
  const stages = (opts.stages ?? STAGES).filter((s) => s.when?.(cfg) ?? true);
  checkOrder(stages);
  checkPipelineSizes(cfg);
  const backend = await opts.setupBackend(cfg.backend, cfg.threads);
  if (backend) log.info(`tensor backend: ${backend}`);

  let current = 'create';
  const guard = async <T>(
    site: { kind: string; type: string; stage: string; hook: string },
    fn: () => T | Promise<T>,
  ) => {
    if (env.signal.aborted) throw new AbortedError();
    try {
      return await fn();
    } catch (e) {
      if (e instanceof AbortedError || e instanceof PluginError) throw e;
      if (env.signal.aborted) throw new AbortedError();
      const c = registry.get(site.kind, site.type);
      throw new PluginError({ plugin: c.plugin.meta.name, component: c.qualifiedType, ...site }, e);
    }
  };
  const times: Record<string, number> = {};
  const state: TrialState = { lists: [], metrics: {}, perUser: [] };
  const ctx: StageContext = {
    cfg,
    env,
    log,
    registry,
    state,
    times,
    assembler: new Assembler({
      registry,
      file: opts.file,
      scope: opts.scope,
      context: (label) => makeTrialContext(env, log, label),
      section: (kind) => {
        const key = SECTION_OF[kind];
        return key ? (cfg[key] as Block | undefined) : undefined;
      },
      guard: (site, fn) => guard(site, fn),
    }),
    guard: (kind, type, hook, fn) => guard({ kind, type, stage: current, hook }, fn),
    timed: async (label, fn) => {
      const t0 = performance.now();
      const out = await fn();
      times[label] = performance.now() - t0;
      opts.onStage(label, times[label]);
      return out;
    },
    ctxFor: (kind, type) => makeTrialContext(env, log, `${kind}:${Registry.display(type)}`),
  };
  for (const stage of stages) {
    current = stage.name;
    await stage.run(ctx);
  }
  return {
    metrics: state.metrics,
    protocol: state.protocol ?? '',
    stages: times,
    samples: state.samples ?? [],
  };
}
