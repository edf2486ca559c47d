import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli.ts';

/** A long-running `embrec …` child (a worker, a following run) whose stderr lines can be awaited. */
export interface Proc {
  readonly child: ChildProcess;
  stderr(): string;
  /** Resolves when a stderr line matches. */
  waitFor(re: RegExp, ms?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Proc {
  const main = join(repoRoot, 'packages', 'cli', 'src', 'main.ts');
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', main, ...args], {
    cwd: repoRoot,
    env: { ...process.env, FORCE_COLOR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const waiters: { re: RegExp; res: (l: string) => void }[] = [];
  child.stdout?.resume();
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
    for (const w of [...waiters]) {
      const m = err.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.res(m[0]);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('close', (code, signal) => res({ code, signal })),
  );
  return {
    child,
    stderr: () => err,
    exited,
    waitFor: (re, ms = 120_000) =>
      new Promise((res, rej) => {
        const m = err.match(re);
        if (m) return res(m[0]);
        const t = setTimeout(() => rej(new Error(`timed out waiting for ${re} in:\n${err}`)), ms);
        waiters.push({
          re,
          res: (l) => {
            clearTimeout(t);
            res(l);
          },
        });
      }),
  };
}
