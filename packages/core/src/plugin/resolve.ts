import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve, sep, win32 } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EmbrecError } from '../errors.ts';
import type { PluginDefinition } from './define.ts';
import { BUILTIN_NAMESPACE, RESERVED_SCOPE } from './registry.ts';

/** Package names tried for a short plugin name: `foo` → `@embrec/plugin-foo`, `embrec-plugin-foo`, `foo`. */
export function candidateNames(name: string): string[] {
  if (name.startsWith('.') || isAbsolute(name)) return [name];
  if (name.startsWith('@') || name.startsWith('embrec-plugin-')) return [name];
  return [`@embrec/plugin-${name}`, `embrec-plugin-${name}`, name];
}

/** An npm package name (scoped or not). */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
/** Modules a plugin entry may be. */
const ENTRY_EXT = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts']);
const MAX_PACKAGE_JSON_BYTES = 1 << 20;
const FIELD = '"embrec": { "plugin": "<entry>" }';

function resolveError(message: string): EmbrecError {
  return new EmbrecError('E_PLUGIN_RESOLVE', message);
}

/** Finds `node_modules/<pkg>` walking up from `dir`, as Node does. */
function findPackageDir(pkg: string, dir: string): string | undefined {
  let cur = resolve(dir);
  for (;;) {
    const candidate = join(cur, 'node_modules', pkg);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const up = dirname(cur);
    if (up === cur) return undefined;
    cur = up;
  }
}

/** A plugin package found on disk: its package.json read, nothing imported yet. */
export interface PluginPackage {
  readonly request: string;
  /** The `name` in its package.json. */
  readonly packageName: string;
  readonly dir: string;
  /** The module named by its package.json's `embrec.plugin` field (inside `dir`). */
  readonly entry: string;
}

/**
 * Reads a package folder's package.json and its `"embrec": { "plugin": "<entry>" }` field. The
 * entry must be a module file inside the package folder. Nothing is imported.
 */
function readPluginPackage(request: string, dir: string): PluginPackage {
  const pj = join(dir, 'package.json');
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(pj);
  } catch {
    throw resolveError(
      `plugin "${request}": ${dir} has no package.json (a plugin is a package with ${FIELD})`,
    );
  }
  if (!st.isFile() || st.size > MAX_PACKAGE_JSON_BYTES)
    throw resolveError(`plugin "${request}": ${pj} is not a regular file of at most 1 MB`);
  let pkg: { name?: unknown; embrec?: { plugin?: unknown } };
  try {
    pkg = JSON.parse(readFileSync(pj, 'utf8')) as typeof pkg;
  } catch {
    throw resolveError(`plugin "${request}": ${pj} is not valid JSON`);
  }
  const packageName = typeof pkg?.name === 'string' ? pkg.name : request;
  const field = pkg?.embrec?.plugin;
  if (typeof field !== 'string' || field === '') {
    throw resolveError(
      `package ${packageName} (${dir}) is not an embrec plugin: its package.json has no ${FIELD} field. See docs/plugins.md`,
    );
  }
  if (isAbsolute(field) || win32.isAbsolute(field) || field.includes('\0')) {
    throw resolveError(
      `package ${packageName}: "embrec.plugin" must be a path inside the package, found "${field}"`,
    );
  }
  const outside = () =>
    resolveError(
      `package ${packageName}: "embrec.plugin" must be a path inside the package folder, found "${field}"`,
    );
  if (!resolve(dir, field).startsWith(resolve(dir) + sep)) throw outside();
  const realDir = realpathSync(dir);
  let entry: string;
  try {
    entry = realpathSync(resolve(dir, field));
  } catch {
    throw resolveError(`package ${packageName}: its "embrec.plugin" entry ${field} does not exist`);
  }
  if (!entry.startsWith(realDir + sep)) {
    throw resolveError(
      `package ${packageName}: "embrec.plugin" must be a path inside the package folder, found "${field}"`,
    );
  }
  if (!statSync(entry).isFile() || !ENTRY_EXT.has(extname(entry))) {
    throw resolveError(
      `package ${packageName}: "embrec.plugin" must name a module file (.js, .mjs, .cjs, .ts), found "${field}"`,
    );
  }
  return { request, packageName, dir: realDir, entry };
}

/**
 * Finds the plugin package a `plugins:` entry names, reading package.json files only: an installed
 * package by name (short names expanded), or a relative folder holding a package (development).
 * A bare file path or an absolute path is refused. Throws E_PLUGIN_RESOLVE with what was tried.
 */
export function resolvePlugin(request: string, fromDir: string): PluginPackage {
  if (isAbsolute(request) || win32.isAbsolute(request)) {
    throw resolveError(
      `plugin "${request}": an absolute path is not a plugin. List a package name, or a relative folder ("./my-plugin") whose package.json has ${FIELD}`,
    );
  }
  if (request.startsWith('.')) {
    const p = resolve(fromDir, request);
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      throw resolveError(`plugin "${request}": no such folder ${p}`);
    }
    if (!isDir) {
      throw resolveError(
        `plugin "${request}": a file path is not a plugin. Plugins load only as packages (installed by name, or a relative folder) whose package.json has ${FIELD}`,
      );
    }
    return readPluginPackage(request, p);
  }
  if (!PACKAGE_NAME.test(request)) {
    throw resolveError(
      `plugin "${request}" is not a package name (expected an npm name like "faiss", "embrec-plugin-x" or "@scope/pkg")`,
    );
  }
  const tried: string[] = [];
  for (const name of candidateNames(request)) {
    tried.push(name);
    const dir = findPackageDir(name, fromDir);
    if (dir) return readPluginPackage(request, dir);
  }
  throw resolveError(
    `plugin "${request}" was not found from ${fromDir} (tried ${tried.join(', ')}). Install it next to the experiment file (npm install ${tried[1] ?? tried[0]}).`,
  );
}

export interface ResolvedPlugin {
  readonly request: string;
  readonly packageName: string;
  readonly entry: string;
  readonly plugin: PluginDefinition;
}

/**
 * Resolves a plugin listed under `plugins:` (from the experiment file's folder) and imports its
 * entry. Only packages that opt in with their package.json's `embrec.plugin` field are imported;
 * the `embrec` namespace is reserved for the `@embrec/` scope.
 */
export async function importPlugin(request: string, fromDir: string): Promise<ResolvedPlugin> {
  const pkg = resolvePlugin(request, fromDir);
  const mod = (await import(pathToFileURL(pkg.entry).href)) as { default?: unknown };
  const plugin = (mod.default ?? mod) as PluginDefinition;
  const ns = (plugin as { meta?: { namespace?: unknown } })?.meta?.namespace;
  if (ns === BUILTIN_NAMESPACE && !pkg.packageName.startsWith(RESERVED_SCOPE)) {
    throw new EmbrecError(
      'E_PLUGIN_NAMESPACE',
      `package ${pkg.packageName}: the namespace "${BUILTIN_NAMESPACE}" is reserved for packages in the ${RESERVED_SCOPE} scope; choose your own meta.namespace`,
    );
  }
  return { request, packageName: pkg.packageName, entry: pkg.entry, plugin };
}
