#!/usr/bin/env node
// Runs the TypeScript sources through tsx with the `source` export condition, so the workspace
// needs no build step. (A published build would point here at dist/ instead.)
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const main = join(here, '..', 'src', 'main.ts');
const r = spawnSync(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', main, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? (r.signal ? 130 : 1));
