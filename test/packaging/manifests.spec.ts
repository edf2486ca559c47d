import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { coreVersion } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.ts';

interface Manifest {
  name: string;
  version: string;
  sideEffects?: boolean | string[];
  exports: Record<string, Record<string, string>>;
  files?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
}

const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { workspaces: string[] };
const packages = root.workspaces.map((dir) => ({
  dir,
  m: JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as Manifest,
}));
/** Packages whose default export is a plugin object: core is their peer, not their dependency. */
const PLUGINS = [
  '@embrec/data',
  '@embrec/eval',
  '@embrec/losses',
  '@embrec/models',
  '@embrec/indexes',
  '@embrec/mlflow',
];

describe('package manifests', () => {
  it.each(packages.map((p) => [p.m.name, p] as const))('%s', (_name, { dir, m }) => {
    // one version: every package is released with core at core/src/version.ts's version
    expect(m.version).toBe(coreVersion);
    for (const field of ['dependencies', 'peerDependencies', 'devDependencies'] as const)
      for (const [dep, range] of Object.entries(m[field] ?? {}))
        if (dep.startsWith('@embrec/'))
          expect(`${field} ${dep} ${range}`).toBe(`${field} ${dep} ^${coreVersion}`);
    // exports: `source` first (the monorepo's tests and tsx), then types and import in dist/
    for (const [sub, entry] of Object.entries(m.exports)) {
      expect(Object.keys(entry), `${dir} exports[${sub}]`).toEqual(['source', 'types', 'import']);
      const src = entry.source!.replace(/^\.\/src\//, '').replace(/\.ts$/, '');
      expect(entry.types).toBe(`./dist/${src}.d.ts`);
      expect(entry.import).toBe(`./dist/${src}.js`);
      expect(existsSync(join(repoRoot, dir, entry.source!)), `${dir}: ${entry.source}`).toBe(true);
    }
    expect(m.files).toContain('dist');
    if (Array.isArray(m.sideEffects))
      for (const f of m.sideEffects.filter((s) => s.startsWith('./src/')))
        expect(existsSync(join(repoRoot, dir, f)), `${dir} sideEffects ${f}`).toBe(true);
    if (PLUGINS.includes(m.name)) {
      expect(m.peerDependencies?.['@embrec/core']).toBe(`^${coreVersion}`);
      expect(m.dependencies?.['@embrec/core']).toBeUndefined();
    }
    // no longer used anywhere
    expect(m.dependencies?.['simple-statistics']).toBeUndefined();
  });

  it('core declares what core/testing imports (vitest, @embrec/native) as optional peers', () => {
    const core = packages.find((p) => p.m.name === '@embrec/core')!.m;
    for (const dep of ['vitest', '@embrec/native']) {
      expect(core.peerDependencies?.[dep]).toBeDefined();
      expect(core.peerDependenciesMeta?.[dep]?.optional).toBe(true);
    }
  });

  it('the built-in plugins carry the one version', async () => {
    const mods = await Promise.all(
      PLUGINS.map(
        async (name) =>
          (await import(name)) as { default: { meta: { version: string }; engines: Record<string, string> } },
      ),
    );
    for (const mod of mods) {
      expect(mod.default.meta.version).toBe(coreVersion);
      expect(mod.default.engines['@embrec/core']).toBe(`^${coreVersion}`);
    }
  });
});
