import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.ts';

// The real test of the packages: `npm pack` every workspace package, install the tarballs with npm in
// an empty folder outside the monorepo (no workspaces, no path aliases, no source condition), write
// the third-party plugin of docs/plugins.md there from the page's own code blocks, run its conformance
// tests under plain vitest and an experiment with the installed `embrec`.
//
// Offline-safe: npm installs with --prefer-offline from the local cache (the registry is only asked
// for what the cache lacks). Install scripts are skipped (--ignore-scripts): @embrec/native ships its
// built addon in the tarball (build/Release/embrec_native.node), and hnswlib-node, which compiles from
// source on install, gets the monorepo's build copied in, so the test stays within minutes.

const CI = process.env.CI === 'true';
const addon = join(repoRoot, 'packages', 'native', 'build', 'Release', 'embrec_native.node');
const hnswBuild = join(repoRoot, 'node_modules', 'hnswlib-node', 'build');
const ready = existsSync(addon) && existsSync(hnswBuild);
if (CI && !ready) {
  throw new Error(
    `pack-install: the native builds are missing (${addon}, ${hnswBuild}); run npm ci first (in CI this is a failure, not a skip)`,
  );
}

/** A code block of docs/plugins.md marked `<!-- file: path -->` or `<!-- run: folder -->`. */
interface DocBlock {
  kind: 'file' | 'run';
  target: string;
  body: string;
}

/** The marked code blocks of a Markdown page, in order. */
export function markedBlocks(markdown: string): DocBlock[] {
  const re = /<!-- (file|run): (\S+) -->\n```[a-z]*\n([\s\S]*?)```/g;
  return [...markdown.matchAll(re)].map((m) => ({
    kind: m[1] as 'file' | 'run',
    target: m[2]!,
    body: m[3]!,
  }));
}

/** The environment of a stranger's shell: none of the monorepo's npm_* variables, no MLflow. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (
      !k.toLowerCase().startsWith('npm_') &&
      k !== 'NODE_OPTIONS' &&
      k !== 'VITEST' &&
      !k.startsWith('VITEST_')
    )
      env[k] = v;
  return {
    ...env,
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    MLFLOW_TRACKING_URI: '',
    FORCE_COLOR: '0',
    NODE_ENV: '',
  };
}

function sh(command: string, cwd: string, timeout = 240_000): string {
  const r = spawnSync('sh', ['-c', command], { cwd, env: cleanEnv(), encoding: 'utf8', timeout });
  if (r.status !== 0) {
    throw new Error(
      `\`${command}\` in ${cwd} exited ${r.status ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  }
  return `${r.stdout}${r.stderr}`;
}

const doc = readFileSync(join(repoRoot, 'docs', 'plugins.md'), 'utf8');
const blocks = markedBlocks(doc);

describe.skipIf(!ready)('packed and installed outside the monorepo', () => {
  const work = mkdtempSync(join(tmpdir(), 'embrec-pack-'));
  const tarballs = join(work, 'tarballs');
  const project = join(work, 'experiments');
  const packed: { name: string; filename: string; files: { path: string }[] }[] = [];

  beforeAll(() => {
    // nothing above the project folder may hold a node_modules (the monorepo's would hide mistakes)
    for (let d = project; d !== parse(d).root; d = dirname(d))
      if (existsSync(join(d, 'node_modules')))
        throw new Error(
          `pack-install: ${join(d, 'node_modules')} is above the test folder; use another TMPDIR`,
        );

    execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'pipe' });
    mkdirSync(tarballs, { recursive: true });
    const json = execFileSync(
      'npm',
      ['pack', '--workspaces', '--ignore-scripts', '--json', '--pack-destination', tarballs],
      { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    packed.push(...(JSON.parse(json) as typeof packed));

    // the stranger's files, from docs/plugins.md
    mkdirSync(project, { recursive: true });
    for (const b of blocks.filter((x) => x.kind === 'file')) {
      const path = join(project, b.target);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, b.body);
    }
    // "publish" the plugin: its tarball is what `npm install embrec-plugin-toy` would fetch
    sh(`npm pack --pack-destination ${JSON.stringify(tarballs)}`, join(project, 'embrec-plugin-toy'));

    const rootManifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const deps: Record<string, string> = {
      'embrec-plugin-toy': `file:${join(tarballs, 'embrec-plugin-toy-1.0.0.tgz')}`,
      vitest: rootManifest.devDependencies.vitest!,
    };
    // every embrec tarball at the top, so the packages' ranges on each other resolve to them
    for (const p of packed) deps[p.name] = `file:${join(tarballs, p.filename)}`;
    writeFileSync(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'my-experiments', private: true, type: 'module', dependencies: deps }, null, 2)}\n`,
    );
    sh('npm install --prefer-offline --ignore-scripts --no-audit --no-fund', project);
    cpSync(hnswBuild, join(project, 'node_modules', 'hnswlib-node', 'build'), { recursive: true });
  }, 290_000);

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('docs/plugins.md gives the whole plugin: package.json (with the embrec.plugin entry), code, test, experiment', () => {
    const files = blocks.filter((b) => b.kind === 'file').map((b) => b.target);
    expect(files).toEqual(
      expect.arrayContaining([
        'embrec-plugin-toy/package.json',
        'embrec-plugin-toy/index.js',
        'embrec-plugin-toy/test/conformance.test.js',
        'toy.yaml',
      ]),
    );
    const manifest = JSON.parse(blocks.find((b) => b.target === 'embrec-plugin-toy/package.json')!.body);
    expect(manifest.embrec?.plugin).toBe('./index.js');
    expect(manifest.peerDependencies['@embrec/core']).toMatch(/^\^/);
    expect(blocks.filter((b) => b.kind === 'run').length).toBeGreaterThan(0);
  });

  it('every tarball carries its built JavaScript, declarations and source maps; native its addon', () => {
    expect(packed.map((p) => p.name).sort()).toEqual([
      '@embrec/cli',
      '@embrec/core',
      '@embrec/data',
      '@embrec/eval',
      '@embrec/indexes',
      '@embrec/losses',
      '@embrec/mlflow',
      '@embrec/models',
      '@embrec/native',
      '@embrec/serve',
    ]);
    for (const p of packed) {
      const paths = p.files.map((f) => f.path);
      expect(paths, p.name).toEqual(
        expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/index.js.map']),
      );
      expect(
        paths.some((f) => f.endsWith('.tsbuildinfo')),
        p.name,
      ).toBe(false);
      // no stale output of a deleted source (tsc -b never removes one: `npx tsc -b tsconfig.build.json --clean`)
      const stale = paths.filter(
        (f) => /^dist\/.*\.js$/.test(f) && !paths.includes(f.replace(/^dist\/(.*)\.js$/, 'src/$1.ts')),
      );
      expect(stale, `${p.name}: dist files without a source`).toEqual([]);
    }
    expect(packed.find((p) => p.name === '@embrec/native')!.files.map((f) => f.path)).toContain(
      'build/Release/embrec_native.node',
    );
  });

  it('the installed packages resolve to dist JavaScript, not the monorepo', () => {
    const out = sh(
      `node --input-type=module -e "for (const m of ['@embrec/core', '@embrec/core/testing', '@embrec/models', '@embrec/native']) console.log(import.meta.resolve(m))"`,
      project,
    );
    for (const line of out.trim().split('\n')) {
      expect(line).toContain(`${project}/node_modules/@embrec/`);
      expect(line).toMatch(/\/dist\/.*\.js$/);
    }
    expect(
      sh(
        `node --input-type=module -e "console.log((await import('@embrec/native')).nativeAvailable())"`,
        project,
      ).trim(),
    ).toBe('true');
  });

  it('embrec --help runs from the installed bin with plain node', () => {
    const out = sh('npx embrec --help', project);
    expect(out).toContain('embrec run <file>');
    expect(out).toContain('embrec plugins');
    const bin = readFileSync(join(project, 'node_modules', '@embrec', 'cli', 'bin', 'embrec.js'), 'utf8');
    expect(bin).not.toMatch(/'tsx'|"tsx"/); // no TypeScript loader
    expect(bin).toContain('../dist/main.js');
  });

  it("runs the plugin's conformance tests with @embrec/core/testing under plain vitest", () => {
    expect(existsSync(join(project, 'vitest.config.ts'))).toBe(false); // no resolve.conditions anywhere
    const run = blocks.find((b) => b.kind === 'run' && b.target === '.' && b.body.includes('vitest'));
    const command = run?.body.trim() ?? 'npx vitest run embrec-plugin-toy';
    const out = stripVTControlCharacters(sh(command, project));
    expect(out).toContain('embrec-plugin-toy/test/conformance.test.js (4 tests)');
    expect(out).toMatch(/Tests\s+4 passed \(4\)/);
  }, 120_000);

  it("runs docs/plugins.md's commands (the experiment with the installed embrec) from that folder", () => {
    const runs = blocks.filter((b) => b.kind === 'run' && !b.body.includes('vitest'));
    expect(runs.length).toBeGreaterThan(0);
    let out = '';
    for (const b of runs)
      for (const line of b.body.split('\n').filter((l) => l.trim() !== ''))
        out += sh(line, join(project, b.target), 180_000);
    const metrics = JSON.parse(readFileSync(join(project, 'runs', 'toy', 'run', 'metrics.json'), 'utf8'));
    expect(metrics.values['Recall@10']).toBeGreaterThan(0);
    expect(metrics.values['Recall@10']).toBeLessThan(1);
    const config = JSON.parse(readFileSync(join(project, 'runs', 'toy', 'run', 'config.json'), 'utf8'));
    expect(config.model).toEqual({ type: 'toy/popular', power: 0.5 });
    expect(out).toMatch(/toy\/popular.*embrec-plugin-toy/);
  }, 200_000);
});
