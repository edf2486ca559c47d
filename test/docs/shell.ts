import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from '../helpers/cli.ts';

/**
 * Runs command lines from the docs as written, with bash, in a scratch folder under os.tmpdir().
 * `npx embrec …` and `npm run embrec -- …` there are the CLI from its TypeScript sources, started the
 * way test/cli/readme.spec.ts starts it (node --conditions=source --import tsx packages/cli/src/main.ts):
 * the scratch folder's bin/ comes first on PATH with two small shims.
 */
const main = join(repoRoot, 'packages', 'cli', 'src', 'main.ts');
const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
export const dataDir = process.env.EMBREC_DATA ?? resolve(repoRoot, '..', 'shared', 'data');

export interface Scratch {
  root: string;
  /** Runs one command line (or a script) with bash in `cwd` (default: the scratch root). */
  sh(script: string, opts?: ShOptions): Promise<ShResult>;
  /** Starts one in the background; stop() signals its whole process group. */
  start(script: string, opts?: ShOptions): { done: Promise<ShResult>; stop(signal?: NodeJS.Signals): void };
}

export interface ShOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** killed (SIGKILL, the whole group) after this long; default 300 s */
  timeoutMs?: number;
}

export interface ShResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function scratch(prefix: string): Scratch {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const bin = join(root, '.bin');
  mkdirSync(bin);
  const launch = `exec "${process.execPath}" --conditions=source --import "${tsx}" "${main}" "$@"`;
  writeFileSync(
    join(bin, 'npx'),
    `#!/bin/sh\n# npx embrec … → the CLI from source\nif [ "$1" = embrec ]; then shift; ${launch}; fi\necho "npx shim: only 'npx embrec' runs here, not: npx $*" >&2; exit 127\n`,
  );
  writeFileSync(
    join(bin, 'npm'),
    `#!/bin/sh\n# npm run embrec -- … → the CLI from source (package.json's "embrec" script)\nif [ "$1" = run ] && [ "$2" = embrec ] && [ "$3" = -- ]; then shift 3; ${launch}; fi\necho "npm shim: only 'npm run embrec -- …' runs here, not: npm $*" >&2; exit 127\n`,
  );
  chmodSync(join(bin, 'npx'), 0o755);
  chmodSync(join(bin, 'npm'), 0o755);
  const start: Scratch['start'] = (script, opts = {}) => {
    const child = spawn('bash', ['-c', script], {
      cwd: opts.cwd ?? root,
      env: {
        ...process.env,
        FORCE_COLOR: '0',
        MLFLOW_TRACKING_URI: '',
        EMBREC_DATA: dataDir,
        ...opts.env,
        PATH: `${bin}:${process.env.PATH}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: stop() reaches the shards a script starts
    });
    const stop = (signal: NodeJS.Signals = 'SIGTERM') => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // gone
      }
    };
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => stop('SIGKILL'), opts.timeoutMs ?? 300_000);
    const done = new Promise<ShResult>((res, rej) => {
      child.on('error', rej);
      child.on('close', (code) => {
        clearTimeout(timer);
        res({ code, stdout, stderr });
      });
    });
    return { done, stop };
  };
  const sh: Scratch['sh'] = (script, opts = {}) => start(script, opts).done;
  return { root, sh, start };
}

/** A failed command's whole output, for the assertion message. */
export const said = (r: ShResult): string => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

/** Finished trial folders of a sweep folder (status.json says FINISHED). */
export function finishedTrials(sweepDir: string): string[] {
  if (!existsSync(sweepDir)) return [];
  return readdirSync(sweepDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .filter((d) => {
      const f = join(sweepDir, d.name, 'status.json');
      return existsSync(f) && /FINISHED/.test(readFileSync(f, 'utf8'));
    })
    .map((d) => d.name)
    .sort();
}
