import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment, setupBackend } from '@embrec/core';
import { load } from '../commands/common.ts';

/**
 * Readies a worker before it takes trials: starts the tensor backend (the runner reuses it for
 * trials with backend auto and threads 1) and runs one tiny built-in trial (demo data, mostpop,
 * full evaluation, export) into a temporary folder, deleted after. A fresh process pays about a
 * second for its first trial (module loading, cold code); without this every worker's first trial
 * paid it, which with few trials per worker was most of the scale-out overhead (docs/scale-out.md).
 * Never fails the worker: a warm-up that fails only leaves the first trial slower.
 */
export async function warmUp(): Promise<number> {
  const t0 = performance.now();
  await setupBackend('auto', { threads: 1 }).catch(() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'embrec-warm-up-'));
  try {
    const file = join(dir, 'warm-up.yaml');
    writeFileSync(
      file,
      `name: warm-up
threads: 1
dataset: { type: demo, users: 30, items: 40, genres: 2 }
split: { type: random, ratio: 0.2 }
model: { type: mostpop }
evaluate: { type: full, ks: [10], metrics: [recall, ndcg] }
`,
    );
    const { exp, registry } = await load({ file });
    await runExperiment(exp, {
      registry,
      output: join(dir, 'out'),
      progress: 'none',
      logLevel: 'error',
      echo: () => {},
      env: { ...process.env, MLFLOW_TRACKING_URI: '' },
      claim: () => ({ release: () => {} }),
    });
  } catch {
    // only slower: the real trials report their own errors
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await settle();
  return performance.now() - t0;
}

/**
 * Waits (at most 3 s) until the process is idle: after the warm-up trial V8 still compiles and
 * collects for a few hundred CPU milliseconds, which would otherwise compete with the first real
 * trials of every worker at once.
 */
async function settle(): Promise<void> {
  const end = performance.now() + 3000;
  while (performance.now() < end) {
    const before = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 200));
    const used = process.cpuUsage(before);
    if ((used.user + used.system) / 1000 < 10) return;
  }
}
