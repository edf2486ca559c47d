/**
 * Lists the benchmarks in bench/ and runs the ones named.
 *   npm run bench                          # list them, with the first line of each one's description
 *   npm run bench -- <name> [<name>…] [options]   # run them in turn; options go to each
 * A benchmark is a bench/*.ts file that no other bench file imports (those are helpers such as
 * eval-common.ts); its description is the first sentence of its header comment.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export interface Benchmark {
  name: string;
  file: string;
  description: string;
}

/** The first sentence of a file's leading comment (`//` lines or a `/** … *\/` block). */
export function headerSummary(source: string): string {
  const lines: string[] = [];
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('/**') || line.startsWith('/*')) {
      lines.push(line.replace(/^\/\*\*?/, '').replace(/\*\/$/, ''));
      if (line.endsWith('*/')) break;
    } else if (line.startsWith('*/')) break;
    else if (line.startsWith('*') || line.startsWith('//')) lines.push(line.replace(/^(\*|\/\/)/, ''));
    else if (line === '' && lines.length === 0) continue;
    else break;
  }
  const text = lines
    .map((l) => l.trim())
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  const end = text.search(/\.(\s|$)/);
  const first = end < 0 ? text : text.slice(0, end);
  return first.length > 100 ? `${first.slice(0, 99)}…` : first;
}

/** The benchmarks of a bench folder, by name. */
export function listBenchmarks(dir = here): Benchmark[] {
  const files = readdirSync(dir).filter(
    (f) => f.endsWith('.ts') && !f.startsWith('.') && !f.startsWith('_') && f !== 'run.ts',
  );
  const sources = new Map(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
  const imported = new Set<string>();
  for (const src of sources.values())
    for (const m of src.matchAll(/from '\.\/([^']+\.ts)'/g)) imported.add(m[1]!);
  return files
    .filter((f) => !imported.has(f))
    .sort()
    .map((f) => ({ name: f.slice(0, -3), file: join(dir, f), description: headerSummary(sources.get(f)!) }));
}

function main(argv: string[]): number {
  const all = listBenchmarks();
  const names: string[] = [];
  let i = 0;
  for (; i < argv.length && !argv[i]!.startsWith('-'); i++) names.push(argv[i]!);
  const rest = argv.slice(i);
  if (names.length === 0) {
    const width = Math.max(...all.map((b) => b.name.length));
    process.stdout.write(
      'Benchmarks in bench/ (npm run bench -- <name> [options]; docs/benchmarks.md has results):\n',
    );
    for (const b of all) process.stdout.write(`  ${b.name.padEnd(width)}  ${b.description}\n`);
    return 0;
  }
  const unknown = names.filter((n) => !all.some((b) => b.name === n));
  if (unknown.length > 0) {
    process.stderr.write(
      `✖ unknown benchmark ${unknown.map((n) => `"${n}"`).join(', ')}; available: ${all.map((b) => b.name).join(', ')}\n`,
    );
    return 2;
  }
  for (const name of names) {
    const b = all.find((x) => x.name === name)!;
    process.stderr.write(`bench: ${name} ${rest.join(' ')}\n`);
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', b.file, ...rest], {
      stdio: 'inherit',
    });
    if (r.status !== 0) {
      process.stderr.write(`✖ benchmark ${name} exited ${r.status ?? r.signal}\n`);
      return r.status ?? 1;
    }
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
