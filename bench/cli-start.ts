/**
 * Start time of the `embrec` command: wall time of `embrec --help` through the package's bin
 * (packages/cli/bin/embrec.js, the built dist JavaScript with plain node), beside `node -e 0`.
 *   npm run bench -- cli-start [--runs 10]
 * Builds first (`tsc -b`, a no-op when dist/ is current). Prints median, min and max in seconds.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const at = argv.indexOf('--runs');
const runs = at >= 0 ? Number(argv[at + 1]) : 10;
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`✖ --runs: expected a whole number ≥ 1, found ${argv[at + 1]}\n`);
  process.exit(2);
}

execFileSync(
  process.execPath,
  [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);

function time(args: string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const t = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    out.push(t);
  }
  return out.sort((a, b) => a - b);
}

const row = (label: string, t: number[]) =>
  `| ${label} | ${t[Math.floor(t.length / 2)]!.toFixed(3)} | ${t[0]!.toFixed(3)} | ${t[t.length - 1]!.toFixed(3)} |`;
const help = time([join(root, 'packages', 'cli', 'bin', 'embrec.js'), '--help']);
const bare = time(['-e', '0']);
process.stdout.write(
  `${runs} starts each, seconds of wall time\n\n| command | median | min | max |\n|---|---|---|---|\n`,
);
process.stdout.write(`${row('embrec --help', help)}\n${row('node -e 0', bare)}\n`);
