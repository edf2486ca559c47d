import semver from 'semver';
import { EmbrecError } from '../errors.ts';
import { didYouMean } from '../util/suggest.ts';
import type { AnyComponentDefinition, PluginDefinition } from './define.ts';
import type { ComponentKind } from './kinds.ts';

/** A component as the registry knows it: its definition and the plugin it came from. */
export interface RegisteredComponent {
  readonly qualifiedType: string; // namespace/type
  readonly plugin: PluginDefinition;
  readonly def: AnyComponentDefinition;
}

/** The result of looking up a `type:` value. */
export type Lookup =
  | { ok: true; component: RegisteredComponent }
  | { ok: false; message: string; suggestion?: string; available: string[] };

export const BUILTIN_NAMESPACE = 'embrec';
/** Only packages in this scope may use the built-in namespace. */
export const RESERVED_SCOPE = '@embrec/';

/**
 * Every known component by kind and `namespace/type`. Built from plugin objects; nothing registers
 * itself on import. Checks each plugin's `engines` range against the running core version.
 */
export class Registry {
  readonly coreVersion: string;
  readonly #plugins: PluginDefinition[] = [];
  readonly #byKind = new Map<string, Map<string, RegisteredComponent>>();

  constructor(coreVersion: string) {
    this.coreVersion = coreVersion;
  }

  get plugins(): readonly PluginDefinition[] {
    return this.#plugins;
  }

  /** Adds a plugin; throws E_PLUGIN_ENGINE / E_PLUGIN_SHAPE / E_PLUGIN_DUPLICATE with a clear message. */
  add(plugin: PluginDefinition): void {
    checkPluginShape(plugin);
    if (plugin.meta.namespace === BUILTIN_NAMESPACE && !plugin.meta.name.startsWith(RESERVED_SCOPE)) {
      throw new EmbrecError(
        'E_PLUGIN_NAMESPACE',
        `plugin ${plugin.meta.name}: the namespace "${BUILTIN_NAMESPACE}" is reserved for packages in the ${RESERVED_SCOPE} scope; choose your own meta.namespace`,
      );
    }
    const range = plugin.engines['@embrec/core'];
    if (!semver.validRange(range)) {
      throw new EmbrecError(
        'E_PLUGIN_ENGINE',
        `plugin ${plugin.meta.name} declares an invalid engines range for @embrec/core: "${range}"`,
      );
    }
    if (!semver.satisfies(this.coreVersion, range, { includePrerelease: true })) {
      throw new EmbrecError(
        'E_PLUGIN_ENGINE',
        `plugin ${plugin.meta.name}@${plugin.meta.version} expects @embrec/core ${range}, but ${this.coreVersion} is installed. ` +
          `Install a version of ${plugin.meta.name} built for @embrec/core ${this.coreVersion}.`,
      );
    }
    for (const def of plugin.components) {
      const qualified = `${plugin.meta.namespace}/${def.type}`;
      let kind = this.#byKind.get(def.kind);
      if (!kind) {
        kind = new Map();
        this.#byKind.set(def.kind, kind);
      }
      const existing = kind.get(qualified);
      if (existing) {
        throw new EmbrecError(
          'E_PLUGIN_DUPLICATE',
          `${def.kind} "${qualified}" is registered twice: by ${existing.plugin.meta.name} and by ${plugin.meta.name}`,
        );
      }
      kind.set(qualified, { qualifiedType: qualified, plugin, def });
    }
    this.#plugins.push(plugin);
  }

  kinds(): string[] {
    return [...this.#byKind.keys()];
  }

  /** All components of a kind, sorted by qualified name. */
  list(kind?: ComponentKind | string): RegisteredComponent[] {
    const out: RegisteredComponent[] = [];
    for (const [k, m] of this.#byKind) if (kind === undefined || k === kind) out.push(...m.values());
    return out.sort(
      (a, b) => a.def.kind.localeCompare(b.def.kind) || a.qualifiedType.localeCompare(b.qualifiedType),
    );
  }

  /** `two-tower` → `embrec/two-tower`; names with a namespace are kept. */
  static qualify(type: string): string {
    return type.includes('/') ? type : `${BUILTIN_NAMESPACE}/${type}`;
  }

  /** Short display name: built-ins without their namespace. */
  static display(qualified: string): string {
    return qualified.startsWith(`${BUILTIN_NAMESPACE}/`)
      ? qualified.slice(BUILTIN_NAMESPACE.length + 1)
      : qualified;
  }

  lookup(kind: ComponentKind | string, type: string): Lookup {
    const m = this.#byKind.get(kind);
    const available = m ? [...m.keys()].map(Registry.display).sort() : [];
    const found = m?.get(Registry.qualify(type));
    if (found) return { ok: true, component: found };
    const suggestion = didYouMean(type, available);
    const base = `Unknown ${kind} type "${type}".`;
    const hint = suggestion ? ` Did you mean "${suggestion}"?` : '';
    const list =
      available.length > 0 ? ` Available: ${available.join(', ')}` : ` No ${kind} components are registered.`;
    return suggestion
      ? { ok: false, message: base + hint + list, suggestion, available }
      : { ok: false, message: base + hint + list, available };
  }

  get(kind: ComponentKind | string, type: string): RegisteredComponent {
    const r = this.lookup(kind, type);
    if (!r.ok) throw new EmbrecError('E_UNKNOWN_TYPE', r.message);
    return r.component;
  }
}

function checkPluginShape(p: PluginDefinition): void {
  const where = (p as { meta?: { name?: string } })?.meta?.name ?? '(unnamed plugin)';
  const problems: string[] = [];
  if (typeof p !== 'object' || p === null) problems.push('the default export is not an object');
  else {
    if (typeof p.meta?.name !== 'string') problems.push('meta.name must be a string');
    if (typeof p.meta?.version !== 'string') problems.push('meta.version must be a string');
    if (typeof p.meta?.namespace !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(p.meta.namespace))
      problems.push('meta.namespace must be a lowercase name like "acme"');
    if (typeof p.engines?.['@embrec/core'] !== 'string')
      problems.push('engines["@embrec/core"] must be a semver range');
    if (!Array.isArray(p.components)) problems.push('components must be an array');
    else
      p.components.forEach((c, i) => {
        if (typeof c?.kind !== 'string') problems.push(`components[${i}].kind must be a string`);
        if (typeof c?.type !== 'string' || c.type.includes('/'))
          problems.push(`components[${i}].type must be a name without "/"`);
        if (typeof c?.create !== 'function') problems.push(`components[${i}].create must be a function`);
        if (typeof (c?.schema as { safeParse?: unknown })?.safeParse !== 'function')
          problems.push(`components[${i}].schema must be a zod schema`);
      });
  }
  if (problems.length > 0) {
    throw new EmbrecError(
      'E_PLUGIN_SHAPE',
      `plugin ${where} is not a valid embrec plugin: ${problems.join('; ')}`,
    );
  }
}
