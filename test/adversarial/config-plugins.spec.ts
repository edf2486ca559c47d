import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { coreVersion, EmbrecError, loadExperiment, Registry } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import { builtinRegistry } from '../../packages/cli/src/builtins.ts';
import { BASE, configError, tempDir, writeFiles } from './config-helpers.ts';

/**
 * Issue 10 item 6: `plugins: [./evil.mjs]` or an absolute path was imported (and ran) even by
 * `validate`; a package that is not a plugin was imported before being rejected; a sweep path
 * `__proto__.x` polluted Object.prototype. Plugins now load only as packages whose package.json
 * has an `"embrec": { "plugin": "<entry>" }` field, read before anything is imported.
 */

/** A module that leaves a marker file when it is imported (that is, when it runs). */
function evil(marker: string): string {
  return `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport default {};\n`;
}

/** A minimal plugin object (schema duck-typed, so the temp folder needs no zod). */
function pluginSource(name: string, namespace: string, marker?: string): string {
  return `${marker ? `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\n` : ''}
const schema = { shape: {}, safeParse: (v) => ({ success: true, data: v }) };
export default {
  meta: { name: ${JSON.stringify(name)}, version: '1.0.0', namespace: ${JSON.stringify(namespace)} },
  engines: { '@embrec/core': '>=0.0.0' },
  components: [{ kind: 'model', type: 'thing', description: 'x', schema, create: () => ({}) }],
};
`;
}

function setup(files: Record<string, string>, plugins: string): { file: string; dir: string } {
  const dir = tempDir();
  writeFiles(dir, { ...files, 'exp.yaml': `${BASE}\nplugins: ${plugins}\n` });
  return { file: join(dir, 'exp.yaml'), dir };
}

describe('plugins load only as opted-in packages', () => {
  it('a bare relative file is a config error and is never imported', async () => {
    const dir = tempDir();
    const marker = join(dir, 'ran');
    writeFiles(dir, { 'evil.mjs': evil(marker), 'exp.yaml': `${BASE}\nplugins: [./evil.mjs]\n` });
    const e = await configError(join(dir, 'exp.yaml'));
    const iss = e.issues.find((i) => i.path === 'plugins[0]');
    expect(iss?.message).toMatch(/not a package|file path/i);
    expect(iss?.line).toBe(5);
    expect(existsSync(marker)).toBe(false);
  });

  it('an absolute path (file or package folder) is a config error and is never imported', async () => {
    const dir = tempDir();
    const marker = join(dir, 'ran');
    writeFiles(dir, {
      'evil.mjs': evil(marker),
      'pkg/package.json': JSON.stringify({ name: 'pkg', embrec: { plugin: './index.js' } }),
      'pkg/index.js': evil(marker),
    });
    for (const p of [join(dir, 'evil.mjs'), join(dir, 'pkg')]) {
      writeFiles(dir, { 'exp.yaml': `${BASE}\nplugins: [${JSON.stringify(p)}]\n` });
      const e = await configError(join(dir, 'exp.yaml'));
      expect(e.issues.some((i) => i.path === 'plugins[0]')).toBe(true);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('an installed package without the "embrec" field is rejected before it is imported', async () => {
    const dir = tempDir();
    const marker = join(dir, 'ran');
    const { file } = setup(
      {
        'node_modules/lodashy/package.json': JSON.stringify({ name: 'lodashy', main: 'index.js' }),
        'node_modules/lodashy/index.js': evil(marker),
        'node_modules/embrec-plugin-nofield/package.json': JSON.stringify({
          name: 'embrec-plugin-nofield',
          main: 'index.js',
        }),
        'node_modules/embrec-plugin-nofield/index.js': evil(marker),
      },
      '[lodashy, nofield]',
    );
    const e = await configError(file);
    for (const i of [0, 1]) {
      const iss = e.issues.find((x) => x.path === `plugins[${i}]`);
      expect(iss?.message).toContain('"embrec": { "plugin"');
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('an "embrec.plugin" entry outside its package folder is rejected and not imported', async () => {
    const dir = tempDir();
    const marker = join(dir, 'ran');
    writeFiles(dir, { 'outside.mjs': evil(marker) });
    const { file } = setup(
      {
        'node_modules/embrec-plugin-esc/package.json': JSON.stringify({
          name: 'embrec-plugin-esc',
          embrec: { plugin: '../../../outside.mjs' },
        }),
      },
      '[esc]',
    );
    // the setup folder is another temp folder: point the entry at the marker folder absolutely too
    const e = await configError(file);
    expect(e.issues.find((x) => x.path === 'plugins[0]')?.message).toMatch(/inside the package/);
    const abs = setup(
      {
        'node_modules/embrec-plugin-abs/package.json': JSON.stringify({
          name: 'embrec-plugin-abs',
          embrec: { plugin: join(dir, 'outside.mjs') },
        }),
      },
      '[abs]',
    );
    await configError(abs.file);
    expect(existsSync(marker)).toBe(false);
  });

  it('a package with the field loads, by name and as a local folder', async () => {
    const { file } = setup(
      {
        'node_modules/embrec-plugin-good/package.json': JSON.stringify({
          name: 'embrec-plugin-good',
          embrec: { plugin: './main.mjs' },
        }),
        'node_modules/embrec-plugin-good/main.mjs': pluginSource('embrec-plugin-good', 'good'),
        'local/package.json': JSON.stringify({ name: 'local-plugin', embrec: { plugin: 'src/p.mjs' } }),
        'local/src/p.mjs': pluginSource('local-plugin', 'local'),
      },
      '[good, ./local]',
    );
    const exp = await loadExperiment(file, { registry: builtinRegistry() });
    expect(exp.plugins.map((p) => p.packageName)).toEqual(['embrec-plugin-good', 'local-plugin']);
  });

  it('the embrec namespace is reserved for the @embrec/ scope', async () => {
    const { file } = setup(
      {
        'node_modules/embrec-plugin-squat/package.json': JSON.stringify({
          name: 'embrec-plugin-squat',
          embrec: { plugin: './main.mjs' },
        }),
        'node_modules/embrec-plugin-squat/main.mjs': pluginSource('embrec-plugin-squat', 'embrec'),
      },
      '[squat]',
    );
    const e = await configError(file);
    expect(e.issues.find((x) => x.path === 'plugins[0]')?.message).toMatch(/namespace "embrec" is reserved/);
    const r = new Registry(coreVersion);
    const schema = { shape: {}, safeParse: (v: unknown) => ({ success: true, data: v }) };
    expect(() =>
      r.add({
        meta: { name: 'not-embrec', version: '1.0.0', namespace: 'embrec' },
        engines: { '@embrec/core': '*' },
        components: [
          { kind: 'model', type: 'x', description: '', schema: schema as never, create: () => ({}) as never },
        ],
      }),
    ).toThrow(EmbrecError);
  });
});

describe('no prototype pollution through config paths', () => {
  const paths = [
    '__proto__.polluted',
    'constructor.prototype.polluted',
    'model.__proto__.polluted',
    "['__proto__'].polluted",
    'prototype.polluted',
  ];
  for (const p of paths) {
    it(`sweep over ${p} is rejected and Object.prototype is untouched`, async () => {
      const dir = tempDir();
      writeFiles(dir, {
        'exp.yaml': `${BASE}\nsweep:\n  params:\n    ${JSON.stringify(p)}: [1, 2]\n`,
      });
      const e = await configError(join(dir, 'exp.yaml'));
      expect(e.issues.some((i) => i.path.startsWith('sweep'))).toBe(true);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    });
    it(`--set ${p}=1 is rejected and Object.prototype is untouched`, async () => {
      const dir = tempDir();
      writeFiles(dir, { 'exp.yaml': `${BASE}\n` });
      const e = await configError(join(dir, 'exp.yaml'), { set: [`${p}=1`] });
      expect(e.issues.length).toBeGreaterThan(0);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('a "__proto__" key in the file or in a --set value is rejected', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'exp.yaml': `${BASE.replace('model: { type: mf, dim: 4 }', 'model: { type: mf, __proto__: { polluted: 1 } }')}\n`,
    });
    const e = await configError(join(dir, 'exp.yaml'));
    expect(e.issues.some((i) => /__proto__/.test(i.message))).toBe(true);
    writeFiles(dir, { 'ok.yaml': `${BASE}\n` });
    const e2 = await configError(join(dir, 'ok.yaml'), {
      set: ['model={type: mf, __proto__: {polluted: 1}}'],
    });
    expect(e2.issues.some((i) => /__proto__/.test(i.message))).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
