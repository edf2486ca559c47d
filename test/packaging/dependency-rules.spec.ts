import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.ts';

// The dependency rules of .dependency-cruiser.cjs (run by `npm run lint` as `npm run lint:deps`):
// they pass on the repository, and each one fails on a small fake monorepo that breaks it.

const config = join(repoRoot, '.dependency-cruiser.cjs');
const depcruise = join(repoRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

function cruise(cwd: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [depcruise, '--config', config, '--output-type', 'err', ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    // plain text whatever the environment says about colours (CI=true turns them on)
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
  const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
  return { code: r.status, out: plain(`${r.stdout}${r.stderr}`) };
}

const fake = mkdtempSync(join(tmpdir(), 'embrec-deps-'));
afterAll(() => rmSync(fake, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(dirname(join(fake, path)), { recursive: true });
  writeFileSync(join(fake, path), text);
}

function pkg(name: string, manifest: Record<string, unknown>, files: Record<string, string>): void {
  const dir = `packages/${name}`;
  write(
    `${dir}/package.json`,
    JSON.stringify({
      name: `@embrec/${name}`,
      version: '0.1.0',
      type: 'module',
      exports: { '.': { source: './src/index.ts' } },
      ...manifest,
    }),
  );
  for (const [f, text] of Object.entries(files)) write(`${dir}/src/${f}`, text);
  mkdirSync(join(fake, 'node_modules', '@embrec'), { recursive: true });
  symlinkSync(join(fake, dir), join(fake, 'node_modules', '@embrec', name), 'dir');
}

describe('dependency rules', () => {
  it('the repository passes them, with no known violations set aside', () => {
    expect(existsSync(join(repoRoot, '.dependency-cruiser-known-violations.json'))).toBe(false);
    const packages = readdirSync(join(repoRoot, 'packages')).filter((p) =>
      existsSync(join(repoRoot, 'packages', p, 'src')),
    );
    expect(packages).toEqual(expect.arrayContaining(['core', 'mlflow', 'data', 'cli']));
    const r = cruise(
      repoRoot,
      packages.map((p) => `packages/${p}/src`),
    );
    expect(r.out).toContain('no dependency violations found');
    expect(r.code).toBe(0);
  });

  it('each rule fails on a fake monorepo that breaks it', () => {
    write('package.json', JSON.stringify({ name: 'fake', private: true }));
    write(
      'node_modules/left-pad/package.json',
      JSON.stringify({ name: 'left-pad', version: '1.0.0', main: 'index.js' }),
    );
    write('node_modules/left-pad/index.js', 'export default 1;\n');
    pkg('core', {}, { 'index.ts': 'export const x = 1;\n' });
    pkg(
      'mlflow',
      { peerDependencies: { '@embrec/core': '^0.1.0' } },
      { 'index.ts': 'export const t = 1;\n' },
    );
    pkg(
      'eval',
      { peerDependencies: { '@embrec/core': '^0.1.0' }, dependencies: { '@embrec/mlflow': '^0.1.0' } },
      {
        'index.ts': "import { t } from '@embrec/mlflow';\nexport const e = t;\n",
      },
    );
    pkg(
      'data',
      { peerDependencies: { '@embrec/core': '^0.1.0' }, dependencies: { '@embrec/eval': '^0.1.0' } },
      { 'index.ts': "import { e } from '@embrec/eval';\nexport const d = e;\n" },
    );
    pkg(
      'models',
      { peerDependencies: { '@embrec/core': '^0.1.0' }, dependencies: { '@embrec/eval': '^0.1.0' } },
      {
        'index.ts':
          "import { e } from '@embrec/eval';\nimport pad from 'left-pad';\nimport { x } from '../../core/src/index.ts';\nexport const m = e + pad + x;\n",
      },
    );
    const r = cruise(fake, ['packages']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/models-not-eval: packages\/models\/src\/index\.ts → node_modules\/@embrec\/eval/);
    expect(r.out).toMatch(/data-not-eval: packages\/data\/src\/index\.ts → node_modules\/@embrec\/eval/);
    expect(r.out).toMatch(/undeclared-package: packages\/models\/src\/index\.ts → node_modules\/left-pad/);
    expect(r.out).toMatch(
      /no-reaching-into-another-package: packages\/models\/src\/index\.ts → packages\/core/,
    );
    expect(r.out).toMatch(
      /tracking-only-from-cli: packages\/eval\/src\/index\.ts → node_modules\/@embrec\/mlflow\/src\/index\.ts/,
    );
  });
});
