/**
 * The sweep's trackers (MLflow): built once per sweep by the Assembler from the `trackers:` blocks,
 * plus the automatic ones (a tracker component whose `automatic(env)` says so: @embrec/mlflow's).
 * A tracker that cannot start, or a call that fails,
 * is a warning: the run folder on disk is the source of truth and `embrec track sync` catches up.
 */
import { join } from 'node:path';
import type { LoadedExperiment } from '../config/load.ts';
import type { Block } from '../config/sections.ts';
import { validateBlock } from '../config/validate.ts';
import type { TrialScope } from '../plugin/container.ts';
import type { TrackerComponent } from '../plugin/kinds.ts';
import { Registry } from '../plugin/registry.ts';
import type { Logger, LogLevel } from '../util/log.ts';
import { Assembler } from './assemble.ts';
import { makeTrialContext, type TrialEnv } from './context.ts';

/**
 * The tracker blocks a sweep uses: the experiment's `trackers:` plus each automatic tracker the
 * environment asks for and the file does not list (validated like a block of the file, so its
 * parameters get their defaults).
 */
export function trackerBlocks(registry: Registry, listed: readonly Block[], env: NodeJS.ProcessEnv): Block[] {
  const blocks = [...listed];
  for (const c of registry.list('tracker')) {
    if (!c.def.automatic?.(env)) continue;
    if (blocks.some((b) => Registry.qualify(b.type) === c.qualifiedType)) continue;
    const auto = validateBlock(registry, 'tracker', { type: c.qualifiedType }, ['trackers'], []);
    if (auto) blocks.push(auto as Block);
  }
  return blocks;
}

export class SweepTrackers {
  readonly #list: TrackerComponent[];
  readonly #warn: (message: string) => void;

  private constructor(list: TrackerComponent[], warn: (message: string) => void) {
    this.#list = list;
    this.#warn = warn;
  }

  static async open(opts: {
    registry: Registry;
    exp: LoadedExperiment;
    dir: string;
    scope: TrialScope;
    console: Logger;
    echo: (level: LogLevel, line: string) => void;
    signal: AbortSignal;
    env: NodeJS.ProcessEnv;
    warn: (message: string) => void;
  }): Promise<SweepTrackers> {
    const first = opts.exp.trials[0]?.config;
    const env: TrialEnv = {
      trial: '(sweep)',
      seed: first?.seed ?? 0,
      threads: first?.threads ?? 1,
      configDir: opts.exp.dir,
      stagingDir: join(opts.dir, '.staging', '_sweep'),
      checkpointDir: join(opts.dir, '.checkpoints', '_sweep'),
      signal: opts.signal,
      progress: 'none',
      logLevel: 'info',
      echo: opts.echo,
      onMetrics: () => {},
    };
    const assembler = new Assembler({
      registry: opts.registry,
      file: opts.exp.file,
      scope: opts.scope,
      context: (label) => makeTrialContext(env, opts.console, label),
    });
    const list: TrackerComponent[] = [];
    for (const [i, b] of trackerBlocks(opts.registry, first?.trackers ?? [], opts.env).entries()) {
      try {
        list.push(await assembler.create('tracker', b, `trackers[${i}]`));
      } catch (e) {
        opts.warn(
          `tracker ${b.type} could not start: ${(e as Error).message}. The run continues; run folders are kept locally (embrec track sync pushes them later).`,
        );
      }
    }
    return new SweepTrackers(list, opts.warn);
  }

  get size(): number {
    return this.#list.length;
  }

  /** Calls every tracker; a failure is a warning naming the tracker and the call. */
  async each(what: string, fn: (t: TrackerComponent) => Promise<void>): Promise<void> {
    for (const t of this.#list) {
      try {
        await fn(t);
      } catch (e) {
        this.#warn(
          `tracker ${t.name}: ${what} failed: ${(e as Error).message} (the local run folder is complete; sync it later with embrec track sync)`,
        );
      }
    }
  }
}
