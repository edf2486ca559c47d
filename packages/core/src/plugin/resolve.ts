import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginDefinition } from './define.ts';

/** Package names tried for a short plugin name: `foo` → `@embrec/plugin-foo`, `embrec-plugin-foo`, `foo`. */
export function candidateNames(name: string): string[] {
  if (name.startsWith('.') || isAbsolute(name)) return [name];
  if (name.startsWith('@') || name.startsWith('embrec-plugin-')) return [name];
  return [`@embrec/plugin-${name}`, `embrec-plugin-${name}`, name];
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

function entryOf(pkgDir: string): string {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
    exports?: unknown;
    main?: string;
  };
  const pick = (e: unknown): string | undefined => {
    if (typeof e === 'string') return e;
    if (e && typeof e === 'object') {
      const o = e as Record<string, unknown>;
      if ('.' in o) return pick(o['.']);
      for (const cond of ['source', 'import', 'node', 'default']) if (cond in o) return pick(o[cond]);
    }
    return undefined;
  };
  return join(pkgDir, pick(pkg.exports) ?? pkg.main ?? 'index.js');
}

export interface ResolvedPlugin {
  readonly request: string;
  readonly packageName: string;
  readonly entry: string;
  readonly plugin: PluginDefinition;
}

/**
 * Resolves and imports a plugin listed under `plugins:`, from the experiment file's folder.
 * Throws an Error whose message says which names were tried.
 */
export async function importPlugin(request: string, fromDir: string): Promise<ResolvedPlugin> {
  const tried: string[] = [];
  for (const name of candidateNames(request)) {
    let entry: string | undefined;
    if (name.startsWith('.') || isAbsolute(name)) {
      const p = resolve(fromDir, name);
      entry = existsSync(join(p, 'package.json')) ? entryOf(p) : existsSync(p) ? p : undefined;
    } else {
      const dir = findPackageDir(name, fromDir);
      if (dir) entry = entryOf(dir);
    }
    tried.push(name);
    if (!entry) continue;
    const mod = (await import(pathToFileURL(entry).href)) as { default?: unknown };
    const plugin = (mod.default ?? mod) as PluginDefinition;
    return { request, packageName: name, entry, plugin };
  }
  throw new Error(
    `plugin "${request}" was not found from ${fromDir} (tried ${tried.join(', ')}). Install it next to the experiment file (npm install ${tried[1] ?? tried[0]}).`,
  );
}
