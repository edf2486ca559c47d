import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbrecError } from '@embrec/core';

/**
 * The local MLflow server behind `embrec ui`. MLflow is an external service (like a database): a
 * Python program found on PATH, in $EMBREC_MLFLOW, or in the venv that ./scripts/mlflow-setup.sh
 * makes (~/.cache/embrec/mlflow-venv, or $EMBREC_MLFLOW_VENV). embrec's own computation stays Node.
 */

/** The mlflow executable, or undefined when none answers `--version`. */
export function findMlflow(): string | undefined {
  const candidates = [
    process.env.EMBREC_MLFLOW,
    'mlflow',
    join(
      process.env.EMBREC_MLFLOW_VENV ?? join(homedir(), '.cache', 'embrec', 'mlflow-venv'),
      'bin',
      'mlflow',
    ),
  ];
  for (const c of candidates) {
    if (!c) continue;
    const r = spawnSync(c, ['--version'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return c;
  }
  return undefined;
}

/** scripts/mlflow-setup.sh of the repository this CLI runs from (absent in an installed package). */
export function setupScript(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url)); // packages/cli/src or packages/cli/dist
  const p = resolve(here, '..', '..', '..', 'scripts', 'mlflow-setup.sh');
  return existsSync(p) ? p : undefined;
}

const MISSING =
  'MLflow is not installed. `embrec ui` runs a local MLflow server (Python): run ./scripts/mlflow-setup.sh from the embrec repository (it checks for python3 and pip-installs mlflow into ~/.cache/embrec/mlflow-venv), or install mlflow >= 3.7 yourself and put it on PATH or in EMBREC_MLFLOW';

/**
 * The mlflow executable; when there is none, runs ./scripts/mlflow-setup.sh once (it needs python3
 * and the network to PyPI; EMBREC_MLFLOW_AUTOINSTALL=0 turns this off) and fails with what to do
 * if that did not help.
 */
export function ensureMlflow(log: (line: string) => void): string {
  let bin = findMlflow();
  const script = setupScript();
  if (!bin && script && process.env.EMBREC_MLFLOW_AUTOINSTALL !== '0') {
    log(`mlflow not found: running ${script} (pip install, a few minutes)`);
    spawnSync('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 20 * 60_000 });
    bin = findMlflow();
  }
  if (!bin) throw new EmbrecError('E_MLFLOW_MISSING', MISSING);
  return bin;
}

/** A free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

/** True when nothing listens on 127.0.0.1:port. */
export async function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

export interface LocalMlflow {
  readonly uri: string;
  /** The SQLite store, artifacts and server log: `<output>/.mlflow/`. */
  readonly dir: string;
  /** Stops the server (SIGTERM to its process group, SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** Resolves when the server exits by itself, with its exit code. */
  readonly exited: Promise<number>;
}

/**
 * Spawns `mlflow server` on 127.0.0.1:`port` with its SQLite store, artifacts and `server.log` in `dir`,
 * in its own process group (so killing the group reaches the uvicorn workers too).
 */
export function spawnMlflowServer(bin: string, dir: string, port: number): ChildProcess {
  const fd = openSync(join(dir, 'server.log'), 'a');
  try {
    return spawn(
      bin,
      [
        'server',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--backend-store-uri',
        `sqlite:///${join(dir, 'mlflow.db')}`,
        '--artifacts-destination',
        join(dir, 'artifacts'),
        '--workers',
        '1',
      ],
      {
        cwd: dir,
        detached: true,
        stdio: ['ignore', fd, fd],
        env: { ...process.env, MLFLOW_TRACKING_URI: '', MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false' },
      },
    );
  } finally {
    closeSync(fd);
  }
}

/**
 * Starts `mlflow server` on 127.0.0.1:port with a SQLite store and artifact folder in
 * `<output>/.mlflow/` (beside the runs), in its own process group, and waits for /health.
 */
export async function startLocalMlflow(
  bin: string,
  output: string,
  port: number,
  timeoutMs = 180_000,
): Promise<LocalMlflow> {
  const dir = join(output, '.mlflow');
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'server.log');
  const uri = `http://127.0.0.1:${port}`;
  const child = spawnMlflowServer(bin, dir, port);
  const pid = child.pid;
  const killGroup = (sig: NodeJS.Signals): void => {
    try {
      if (pid) process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  // however this process ends, the server does not outlive it
  process.once('exit', () => killGroup('SIGKILL'));
  let code: number | null = null;
  const exited = new Promise<number>((res) =>
    child.once('exit', (c, s) => {
      code = c ?? (s ? 128 : -1);
      res(code);
    }),
  );
  const stop = async (): Promise<void> => {
    if (code !== null) return;
    killGroup('SIGTERM');
    const timer = setTimeout(() => killGroup('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const tail = () =>
    existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-5).join('\n    ') : '(no log)';
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (code !== null)
      throw new EmbrecError(
        'E_MLFLOW_START',
        `the MLflow server exited with code ${code} while starting (log: ${log}):\n    ${tail()}`,
      );
    try {
      const r = await fetch(`${uri}/health`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return { uri, dir, stop, exited };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  await stop();
  throw new EmbrecError(
    'E_MLFLOW_START',
    `the MLflow server did not answer ${uri}/health within ${timeoutMs / 1000} s (log: ${log})`,
  );
}
