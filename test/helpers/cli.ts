import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const main = join(repoRoot, 'packages', 'cli', 'src', 'main.ts');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `embrec` CLI in a child process. */
export function runCli(
  args: readonly string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    onStdoutLine?: (line: string, kill: (sig: NodeJS.Signals) => void) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', main, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: { ...process.env, FORCE_COLOR: '0', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (b: Buffer) => {
      const s = b.toString();
      stdout += s;
      if (opts.onStdoutLine) {
        pending += s;
        let nl = pending.indexOf('\n');
        while (nl >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          opts.onStdoutLine(line, (sig) => child.kill(sig));
          nl = pending.indexOf('\n');
        }
      }
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('error', rej);
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr }));
  });
}
