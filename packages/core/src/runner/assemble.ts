/**
 * The one way embrec builds a component from a config block: registry lookup and schema parse
 * (validateBlock, the same code that checks experiment files), then `def.create(params, deps, ctx)`
 * with its declared dependencies built from the config's sections. The trial, the trackers, the
 * index tools (`embrec index sweep`) and the testing kit all go through here.
 */
import type { Block } from '../config/sections.ts';
import { validateBlock } from '../config/validate.ts';
import { ConfigError, type ConfigIssue, EmbrecError } from '../errors.ts';
import type { TrialScope } from '../plugin/container.ts';
import type { AnyComponentDefinition, CreateContext, DepsSpec } from '../plugin/define.ts';
import type { ComponentKind, ComponentKinds, TrialContext } from '../plugin/kinds.ts';
import { Registry } from '../plugin/registry.ts';

/** Where a component hook runs, for error attribution (see Assembler's `guard`). */
export interface CallSite {
  readonly kind: string;
  readonly type: string;
  readonly stage: string;
  readonly hook: string;
}

export interface AssembleOptions {
  readonly registry: Registry;
  /** The experiment file (errors name it). */
  readonly file: string;
  /** The context each component gets, by its label `kind:type`. */
  readonly context: (label: string) => TrialContext;
  /** The config block that satisfies a dependency of this kind (`model` → the model section). */
  readonly section?: (kind: ComponentKind) => Block | undefined;
  /** Owns the instances: disposing the scope disposes them. */
  readonly scope?: TrialScope;
  /** Wraps plugin calls (the trial's failure attribution); runs `fn` directly by default. */
  readonly guard?: <T>(site: CallSite, fn: () => T | Promise<T>) => Promise<T>;
}

/** Parses `params` with the definition's schema and constructs it: the step every builder shares. */
export async function construct<K extends ComponentKind>(
  def: AnyComponentDefinition,
  params: unknown,
  deps: Readonly<Record<string, unknown>>,
  ctx: CreateContext,
  opts: { parsed?: boolean } = {},
): Promise<ComponentKinds[K]> {
  const p = opts.parsed ? params : def.schema.parse(params);
  return (await def.create(p as never, deps as never, ctx)) as ComponentKinds[K];
}

/** Validates a raw block (`"hnsw"` or `{type: hnsw, M: 16}`) against the registry, or throws a ConfigError. */
export function validated(
  registry: Registry,
  kind: ComponentKind,
  raw: unknown,
  file: string,
  path: string,
): Block {
  const issues: ConfigIssue[] = [];
  const block = validateBlock(registry, kind, raw, [path], issues);
  if (!block) throw new ConfigError(file, issues);
  return block as Block;
}

export class Assembler {
  readonly #o: AssembleOptions;
  readonly #made = new Map<string, Promise<unknown>>();

  constructor(opts: AssembleOptions) {
    this.#o = opts;
  }

  /** The instance for a config path, built once per trial (a dependency and its section share it). */
  get<K extends ComponentKind>(kind: K, block: Block, path: string): Promise<ComponentKinds[K]> {
    const key = `${kind}|${path}`;
    if (!this.#made.has(key)) this.#made.set(key, this.create(kind, block, path));
    return this.#made.get(key) as Promise<ComponentKinds[K]>;
  }

  /** A new instance of a validated block. */
  async create<K extends ComponentKind>(kind: K, block: Block, path: string): Promise<ComponentKinds[K]> {
    const o = this.#o;
    const qualified = Registry.qualify(block.type);
    const def = o.scope
      ? o.scope.factory(kind, qualified)
      : (o.registry.get(kind, qualified).def as AnyComponentDefinition);
    const { type: _t, ...params } = block;
    const deps: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries((def.deps ?? {}) as DepsSpec)) {
      const depKind = (typeof spec === 'string' ? spec : spec.kind) as ComponentKind;
      const optional = typeof spec !== 'string' && spec.optional === true;
      const depBlock = o.section?.(depKind);
      if (!depBlock) {
        if (optional) continue;
        throw new EmbrecError(
          'E_MISSING_DEP',
          `${kind} "${Registry.display(qualified)}" needs a ${depKind}: add a "${depKind === 'splitter' ? 'split' : depKind}:" section to the experiment`,
        );
      }
      deps[key] = await this.get(depKind, depBlock, depKind);
    }
    const ctx: CreateContext = {
      ...o.context(`${kind}:${Registry.display(qualified)}`),
      instantiate: async (k, ref) => this.create(k, validated(o.registry, k, ref, o.file, path), path),
    };
    const site = { kind, type: qualified, stage: 'create', hook: 'create' };
    const run = () => construct<K>(def, params, deps, ctx, { parsed: true });
    const instance = o.guard ? await o.guard(site, run) : await run();
    return o.scope ? o.scope.own(instance) : instance;
  }

  /** Validates a raw block first (command-line specs, automatic trackers), then creates it. */
  createRaw<K extends ComponentKind>(kind: K, raw: unknown, path: string): Promise<ComponentKinds[K]> {
    return this.create(kind, validated(this.#o.registry, kind, raw, this.#o.file, path), path);
  }
}
