import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.ts';

/** Package entries that declare `"sideEffects": false` (name → source file): importing them must do no work. */
function pureEntries(): [string, string][] {
  const out: [string, string][] = [];
  for (const dir of readdirSync(join(repoRoot, 'packages'))) {
    let pkg: { name?: string; sideEffects?: unknown; exports?: Record<string, unknown> };
    try {
      pkg = JSON.parse(readFileSync(join(repoRoot, 'packages', dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    if (pkg.sideEffects !== false || !pkg.name) continue;
    for (const [sub, target] of Object.entries(pkg.exports ?? {})) {
      const source = (target as { source?: string }).source;
      if (sub.includes('*') || source === undefined) continue;
      out.push([
        sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`,
        join(repoRoot, 'packages', dir, source),
      ]);
    }
  }
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const tfjsCore = createRequire(join(repoRoot, 'package.json')).resolve('@tensorflow/tfjs-core');
const scratch = mkdtempSync(join(tmpdir(), 'embrec-import-effects-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function listAll(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

/** Runs `code` in a fresh Node (HOME, TMPDIR and cwd empty folders) and reports what it left behind. */
function probe(code: string): { pending: string[]; gradients: boolean; files: string[] } {
  const home = mkdtempSync(join(scratch, 'home-'));
  const tmp = mkdtempSync(join(scratch, 'tmp-'));
  const cwd = mkdtempSync(join(scratch, 'cwd-'));
  const script = [
    'const before = new Set(process.getActiveResourcesInfo());',
    code,
    'await new Promise((r) => setImmediate(r));',
    'const after = process.getActiveResourcesInfo().filter((r) => r !== "Immediate");',
    'const pending = after.filter((r) => !before.has(r) || r === "Timeout");',
    `const tf = await import(${JSON.stringify(pathToFileURL(tfjsCore).href)});`,
    "const gradients = (tf.getGradient ?? tf.default.getGradient)('Sum') !== undefined;",
    'console.log(JSON.stringify({ pending, gradients }));',
    'process.exit(0);',
  ].join('\n');
  const r = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', tsxLoader, '--input-type=module', '-e', script],
    {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, HOME: home, TMPDIR: tmp, TMP: tmp, TEMP: tmp, TSX_DISABLE_CACHE: '1' },
      timeout: 120_000,
    },
  );
  expect(r.stderr).not.toMatch(/Error/);
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { pending: string[]; gradients: boolean };
  return { ...out, files: [...listAll(home), ...listAll(tmp), ...listAll(cwd)] };
}

describe('no work at import time ("sideEffects": false is true)', () => {
  const entries = pureEntries();

  it('covers the plugin packages', () => {
    for (const p of [
      '@embrec/core',
      '@embrec/data',
      '@embrec/eval',
      '@embrec/indexes',
      '@embrec/losses',
      '@embrec/mlflow',
      '@embrec/models',
      '@embrec/native',
    ])
      expect(entries.map((e) => e[0])).toContain(p);
  });

  it.each(entries)(
    'importing %s writes no file, registers no gradient, leaves no timer pending',
    (_name, file) => {
      const r = probe(`await import(${JSON.stringify(pathToFileURL(file).href)});`);
      expect(r.pending).toEqual([]);
      expect(r.gradients).toBe(false);
      expect(r.files).toEqual([]);
    },
  );

  it('the probe sees work when it is done (ensureGradients bundles and registers)', () => {
    const native = pureEntries().find((e) => e[0] === '@embrec/native')![1];
    const r = probe(
      `const n = await import(${JSON.stringify(pathToFileURL(native).href)}); await n.ensureGradients(); setTimeout(() => {}, 60_000);`,
    );
    expect(r.gradients).toBe(true);
    expect(r.pending).toContain('Timeout');
  });
});
