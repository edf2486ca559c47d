#!/usr/bin/env node
// The `embrec` command: runs the built JavaScript in ../dist with plain Node (no TypeScript loader).
// In the embrec repository `npm install` builds it (the root `prepare` script, `npm run build`);
// `npm run embrec -- …` runs the TypeScript sources through tsx instead, with no build step.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    `embrec: ${fileURLToPath(main)} is missing: the CLI has not been built.\n` +
      '  In the embrec repository run `npm run build` (or `npm run embrec -- <args>` to run the sources).\n',
  );
  process.exit(1);
}
await import(main.href);
