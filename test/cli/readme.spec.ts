import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.ts';
import { ensureMlflow, freePort } from '../helpers/mlflow-server.ts';

// The README's "Using it" block shows report --select, recommend, similar-items and ui on the
// quickstart run. This runs exactly those lines (`npx embrec` → the CLI from source) in a scratch
// copy of experiments/quickstart.yaml.
const main = join(repoRoot, 'packages', 'cli', 'src', 'main.ts');
const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
const root = mkdtempSync(join(tmpdir(), 'embrec-readme-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function shown(): string[] {
  const text = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1]!.split('\n'))
    .map((l) => l.replace(/\s+#.*$/, '').trim());
}
const line = (re: RegExp): string[] => {
  const l = shown().find((x) => re.test(x));
  expect(l, `README "Using it" has no line matching ${re}`).toBeDefined();
  return l!.replace(/^npx embrec /, '').split(/\s+/);
};
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['--conditions=source', '--import', tsx, main, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', MLFLOW_TRACKING_URI: '', ...env },
    timeout: 500_000,
  });

describe('README: report --select, recommend, similar-items, ui on the quickstart run', () => {
  it('runs them', async () => {
    mkdirSync(join(root, 'experiments'));
    cpSync(join(repoRoot, 'experiments', 'quickstart.yaml'), join(root, 'experiments', 'quickstart.yaml'));
    const run = cli(line(/^npx embrec run experiments\/quickstart\.yaml$/));
    expect(run.status, run.stderr).toBe(0);

    const rep = cli(line(/^npx embrec report .* --select valid\./));
    expect(rep.status, rep.stderr).toBe(0);
    expect(rep.stdout).toMatch(/\| run ← selected \| 1 +\| 0\.\d{3,}/);

    const rec = cli(line(/^npx embrec recommend /));
    expect(rec.status, rec.stderr).toBe(0);
    expect(rec.stdout.split('\n').filter((l) => /^\| \d+ /.test(l))).toHaveLength(20);
    expect(rec.stdout).toMatch(/seen items excluded/);

    const sim = cli(line(/^npx embrec similar-items /));
    expect(sim.status, sim.stderr).toBe(0);
    expect(sim.stdout.split('\n').filter((l) => /^\| \d+ /.test(l))).toHaveLength(10);

    ensureMlflow();
    const port = await freePort();
    const ui = spawn(
      process.execPath,
      ['--conditions=source', '--import', tsx, main, ...line(/^npx embrec ui /), '--port', String(port)],
      {
        cwd: root,
        env: { ...process.env, FORCE_COLOR: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    ui.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    const code = await new Promise<number | null>((res) => {
      ui.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('MLflow UI: ')) ui.kill('SIGINT');
      });
      ui.on('close', (c) => res(c));
    });
    expect(code, err).toBe(0);
    expect(out).toContain(`MLflow UI: http://127.0.0.1:${port}`);
    expect(out).toMatch(/created +trial run/);
  }, 900_000);
});
