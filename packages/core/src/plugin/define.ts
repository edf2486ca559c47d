import { z } from 'zod';
import type { ComponentKind, ComponentKinds, TrialContext } from './kinds.ts';
import type { LossComponent, SamplerComponent } from './kinds-training.ts';

/** Who a plugin is. Components are addressed as `namespace/type`; built-ins use `embrec`. */
export interface PluginMeta {
  readonly name: string; // npm package name
  readonly version: string;
  readonly namespace: string;
  readonly description?: string;
}

/** A dependency on another component of the trial, found by kind (`loss: 'loss'`). */
export type DepSpec = ComponentKind | { readonly kind: ComponentKind; readonly optional: true };
export type DepsSpec = Readonly<Record<string, DepSpec>>;

type DepInstance<S> = S extends ComponentKind
  ? ComponentKinds[S]
  : S extends { readonly kind: infer K extends ComponentKind; readonly optional: true }
    ? ComponentKinds[K] | undefined
    : never;

export type ResolvedDeps<D extends DepsSpec> = { -readonly [P in keyof D]: DepInstance<D[P]> };

/** A nested component in a parameter (`metrics: [recall, ndcg]`): a type name or a block. */
export type ComponentRef = string | { readonly type: string; readonly [key: string]: unknown };

const refKinds = new WeakMap<z.ZodType, ComponentKind>();

/**
 * A parameter whose value names another component of `kind` (`type` or `{ type, ...params }`).
 * Core validates it against the registry with the rest of the file and `ctx.instantiate` builds it.
 */
export function componentRef(kind: ComponentKind): z.ZodType<ComponentRef> {
  const s = z.union([z.string(), z.looseObject({ type: z.string() })]) as unknown as z.ZodType<ComponentRef>;
  refKinds.set(s, kind);
  return s;
}

/** The kind a schema built by `componentRef` refers to, if it is one. */
export function refKindOf(schema: z.ZodType): ComponentKind | undefined {
  return refKinds.get(schema);
}

/** What a factory receives beyond its parameters. */
export interface CreateContext extends TrialContext {
  /** Builds a nested component named by a `componentRef` parameter. */
  instantiate<K extends ComponentKind>(kind: K, ref: ComponentRef): Promise<ComponentKinds[K]>;
}

export interface ComponentDefinition<
  K extends ComponentKind = ComponentKind,
  S extends z.ZodObject = z.ZodObject,
  D extends DepsSpec = DepsSpec,
> {
  readonly kind: K;
  /** The type name inside the plugin's namespace: `two-tower` → `embrec/two-tower`. */
  readonly type: string;
  readonly description: string;
  /** Parameters (everything in the block except `type`). Strict: unknown keys are errors. */
  readonly schema: S;
  readonly deps?: D;
  /**
   * Losses: whether the loss uses the batch's other positives ('in-batch') or needs explicit sampled
   * negatives ('negatives'). Static, so `validate` checks the loss against the sampler before
   * anything is built; the instance's `needs` must say the same.
   */
  readonly needs?: LossComponent['needs'];
  /** Samplers: 'in-batch' samplers give no explicit negatives (static, like a loss's `needs`). */
  readonly mode?: SamplerComponent['mode'];
  /**
   * Models: what `scorer()` returns, 'embeddings' (user and item tables) or 'scores' (a model that
   * scores users directly: EASE, ItemKNN). Static, so `validate` rejects an `analysis:` of a model
   * without item embeddings before anything runs; absent, it is checked when the trial gets there.
   */
  readonly scorer?: 'embeddings' | 'scores';
  /**
   * Trackers: given the environment, whether every sweep uses this tracker even when the file's
   * `trackers:` does not list it (MLflow: MLFLOW_TRACKING_URI names a server). It is then built from
   * `{ type }` alone, its parameters taking their defaults.
   */
  readonly automatic?: (env: NodeJS.ProcessEnv) => boolean;
  create(
    params: z.output<S>,
    deps: ResolvedDeps<D>,
    ctx: CreateContext,
  ): ComponentKinds[K] | Promise<ComponentKinds[K]>;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry stores components of every shape
export type AnyComponentDefinition = ComponentDefinition<ComponentKind, z.ZodObject, any>;

export interface PluginDefinition {
  readonly meta: PluginMeta;
  /** Supported core versions, a semver range: `{ '@embrec/core': '^0.1.0' }`. */
  readonly engines: { readonly '@embrec/core': string };
  readonly components: readonly AnyComponentDefinition[];
}

/** Typed identity helper for one component. */
export function defineComponent<
  K extends ComponentKind,
  S extends z.ZodObject,
  D extends DepsSpec = Record<never, never>,
>(def: ComponentDefinition<K, S, D>): ComponentDefinition<K, S, D> {
  return def;
}

/** Typed identity helper for a plugin: a plugin package default-exports the result. */
export function definePlugin(plugin: PluginDefinition): PluginDefinition {
  return plugin;
}
