import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.ts';

// The README's "Using it" block shows how to export and serve experiments/quickstart.yaml's run;
// docs/serving.md shows the same. This runs exactly those commands (`npx embrec` → the CLI from
// source) in a scratch copy of experiments/, then sends one request to the server.
const main = join(repoRoot, 'packages', 'cli', 'src', 'main.ts');
const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
const root = mkdtempSync(join(tmpdir(), 'embrec-readme-serve-'));

afterAll(() => rmSync(root, { recursive: true, force: true }));

function shownCommands(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  return (
    [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((m) => m[1]!.split('\n'))
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter((l) => /^npx embrec (run experiments\/quickstart\.yaml|export|serve)\b/.test(l))
      // the multi-worker line of docs/serving.md is run by test/serve/workers.spec.ts
      .filter((l) => !l.includes('--workers'))
  );
}

function args(line: string): string[] {
  return line.replace(/^npx embrec /, '').split(/\s+/);
}

describe('README: export and serve the quickstart run', () => {
  it('README and docs/serving.md show the same commands', () => {
    const readme = shownCommands('README.md');
    expect(readme.filter((l) => / (export|serve) /.test(l))).toHaveLength(2);
    expect(shownCommands('docs/serving.md')).toEqual(readme);
  });

  it('runs them: run, export, serve, one request', async () => {
    const [run, exp, serve] = shownCommands('README.md');
    expect(run).toBe('npx embrec run experiments/quickstart.yaml');
    mkdirSync(join(root, 'experiments'));
    cpSync(join(repoRoot, 'experiments', 'quickstart.yaml'), join(root, 'experiments', 'quickstart.yaml'));
    const cli = (line: string) =>
      spawnSync(process.execPath, ['--conditions=source', '--import', tsx, main, ...args(line)], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, FORCE_COLOR: '0' },
        timeout: 400_000,
      });
    const r1 = cli(run!);
    expect(r1.status, r1.stderr).toBe(0);
    const r2 = cli(exp!);
    expect(r2.status, r2.stderr).toBe(0);
    expect(r2.stdout).toMatch(/exported .*quickstart/);
    // the bundle carries the two-tower model: a new user is its own foldIn (encodeColdUsers)
    const pipeline = JSON.parse(
      readFileSync(join(root, 'runs', 'quickstart-bundle', 'pipeline.json'), 'utf8'),
    );
    expect(pipeline.foldIn).toMatchObject({ method: 'model', block: { type: 'embrec/two-tower' } });

    const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, main, ...args(serve!)], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', EMBREC_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    try {
      const address = await new Promise<string>((res, rej) => {
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) res(m[1]!);
        });
        child.on('close', (code) => rej(new Error(`serve exited ${code}: ${err}`)));
      });
      const users = (await (await fetch(`${address}/v1/users?limit=1`)).json()) as {
        users: { id: string }[];
      };
      const user = users.users[0]!.id;
      const res = await fetch(`${address}/v1/recommend`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user, k: 10 }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        source: string;
        items: { id: string; name?: string; score: number }[];
      };
      expect(body.source).toBe('model');
      expect(body.items).toHaveLength(10);
      expect(body.items.every((i) => typeof i.name === 'string' && Number.isFinite(i.score))).toBe(true);
      const items = (await (await fetch(`${address}/v1/items?limit=2`)).json()) as {
        items: { id: string }[];
      };
      const fresh = await fetch(`${address}/v1/recommend/new-user`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: items.items.map((i) => i.id), k: 5 }),
      });
      expect(((await fresh.json()) as { source: string }).source).toBe('fold-in');
      expect(out).toMatch(/pipeline: retrieval \(\w+, N \d+\).*new users: the model's foldIn/);
      expect((await fetch(`${address}/`)).headers.get('content-type')).toMatch(/text\/html/);
    } finally {
      const closed = new Promise((res) => child.once('close', res));
      child.kill('SIGTERM');
      await closed;
    }
    expect(err).not.toContain('✖');
  }, 600_000);
});
