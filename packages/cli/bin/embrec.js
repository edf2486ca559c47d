#!/usr/bin/env node
// Runs the TypeScript sources through tsx with the `source` export condition, so the workspace
// needs no build step. (A published build would point here at dist/ instead.)
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const main = join(here, '..', 'src', 'main.ts');
const child = spawn(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', main, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
// Ctrl-C reaches the child through the terminal's process group: it stops after the current step and
// keeps finished trials. This launcher waits for it instead of exiting first; SIGTERM is forwarded.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
