import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { repoRoot } from '../helpers/cli.ts';

/** A sweep of the sleep-plugin model: `powers.length × seeds.length` trials, each waiting `ms`. */
export function sleepSweep(opts: {
  name?: string;
  ms: number;
  powers: number[];
  seeds: number[];
  extra?: string;
  fail?: boolean[];
}): {
  dir: string;
  file: string;
  out: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'embrec-scale-'));
  const plugin = relative(dir, join(repoRoot, 'test', 'fixtures', 'sleep-plugin'));
  const file = join(dir, 'sweep.yaml');
  writeFileSync(
    file,
    `name: ${opts.name ?? 'sleepy'}
plugins: [${plugin}]
threads: 1
dataset: { type: demo, users: 60, items: 80, genres: 4 }
split: { type: random, ratio: 0.2 }
model: { type: sleep/popular, ms: ${opts.ms} }
evaluate: { type: full, ks: [10], metrics: [recall, ndcg] }
${opts.extra ?? ''}
sweep:
  seeds: [${opts.seeds.join(', ')}]
  params:
    model.power: [${opts.powers.join(', ')}]
${opts.fail ? `    model.fail: [${opts.fail.join(', ')}]\n` : ''}`,
  );
  const out = join(dir, 'out');
  mkdirSync(out);
  return { dir, file, out };
}

/** Every trial folder of a sweep folder with its status and metrics. */
export function trialsOf(sweepDir: string): Map<string, { status: string; metrics: Record<string, number> }> {
  const m = new Map<string, { status: string; metrics: Record<string, number> }>();
  for (const n of readdirSync(sweepDir)) {
    if (n.startsWith('.') || n === 'sweep.json' || n.endsWith('.svg') || n.endsWith('.png')) continue;
    let status = '?';
    let metrics: Record<string, number> = {};
    try {
      status = (JSON.parse(readFileSync(join(sweepDir, n, 'status.json'), 'utf8')) as { status: string })
        .status;
      metrics = (
        JSON.parse(readFileSync(join(sweepDir, n, 'metrics.json'), 'utf8')) as {
          values: Record<string, number>;
        }
      ).values;
    } catch {
      // a folder without status/metrics shows as '?' and fails the test's checks
    }
    m.set(n, { status, metrics });
  }
  return m;
}
