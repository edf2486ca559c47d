import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findMlflow, freePort, spawnMlflowServer } from '../../packages/cli/src/mlflow-server.ts';

/**
 * Starts a real MLflow tracking server for tests: `mlflow server` on a free loopback port with a
 * SQLite store and a local artifact folder in a temp directory, waits for /health, and stops it
 * (the whole process group) after. `kill()` stops it hard, as a crashed server; `restart()` starts
 * it again on the same port and store.
 *
 * mlflow is found on PATH, in $EMBREC_MLFLOW, or in the venv scripts/mlflow-setup.sh makes.
 */

export interface MlflowTestServer {
  readonly uri: string;
  readonly port: number;
  readonly dir: string;
  /** Stops the server like a crash (SIGKILL to its process group). */
  kill(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

// discovery (PATH, $EMBREC_MLFLOW, the setup script's venv) and free ports are shared with `embrec ui`
export { findMlflow, freePort };

const setupScript = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'mlflow-setup.sh');

/**
 * The mlflow executable; when there is none, runs scripts/mlflow-setup.sh once (pip install into a
 * venv; EMBREC_MLFLOW_AUTOINSTALL=0 turns this off) and fails with what to do if that did not help.
 */
export function ensureMlflow(): string {
  let bin = findMlflow();
  if (!bin && process.env.EMBREC_MLFLOW_AUTOINSTALL !== '0') {
    process.stderr.write('mlflow not found: running scripts/mlflow-setup.sh (pip install, a few minutes)\n');
    spawnSync('bash', [setupScript], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 20 * 60_000 });
    bin = findMlflow();
  }
  if (!bin) {
    throw new Error(
      'mlflow is not installed: the tracking tests need a real MLflow server. Run scripts/mlflow-setup.sh (it pip-installs mlflow into ~/.cache/embrec/mlflow-venv), or set EMBREC_MLFLOW to the mlflow executable.',
    );
  }
  return bin;
}

export async function startMlflowServer(opts: { timeoutMs?: number } = {}): Promise<MlflowTestServer> {
  const bin = ensureMlflow();
  const dir = mkdtempSync(join(tmpdir(), 'embrec-mlflow-'));
  const port = await freePort();
  const uri = `http://127.0.0.1:${port}`;
  const timeoutMs = opts.timeoutMs ?? 180_000; // a loaded CI machine can take a minute
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    child = spawnMlflowServer(bin, dir, port);
    // if the test process ends without stop() (a timeout), the server goes with it
    const pid = child.pid;
    process.once('exit', () => {
      try {
        if (pid) process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    });
    const started = Date.now();
    let exited: number | null = null;
    child.once('exit', (code) => {
      exited = code ?? -1;
    });
    while (Date.now() - started < timeoutMs) {
      if (exited !== null)
        throw new Error(
          `mlflow server exited with code ${exited} while starting; see ${join(dir, 'server.log')}`,
        );
      try {
        const r = await fetch(`${uri}/health`, { signal: AbortSignal.timeout(2000) });
        if (r.ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    await halt('SIGKILL');
    throw new Error(
      `mlflow server did not answer ${uri}/health within ${timeoutMs} ms; see ${join(dir, 'server.log')}`,
    );
  };

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c?.pid || c.exitCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    try {
      process.kill(-c.pid, signal); // the server and its uvicorn workers
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 10_000);
    await gone;
    clearTimeout(timer);
  };

  await start();
  return {
    uri,
    port,
    dir,
    kill: () => halt('SIGKILL'),
    stop: () => halt('SIGTERM'),
    restart: async () => {
      await halt('SIGTERM');
      await start();
    },
  };
}

/** True when an mlflow executable can be found (for messages, never for skipping). */
export function mlflowAvailable(): boolean {
  return findMlflow() !== undefined;
}
