import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli } from '../helpers/cli.ts';

/**
 * A tiny finished run (demo data, MF, exact index, an MMR re-ranker unless `pipeline` names other
 * ranker / re-ranker sections) exported with the real CLI: `embrec run` then `embrec export`.
 * Returns the bundle folder and the run's root.
 */
export async function tinyBundle(
  name: string,
  pipeline = 'rerankers: [{ type: mmr, lambda: 0.7 }]',
  split = '{ type: random, ratio: 0.2 }',
  model = `model: { type: mf, dim: 16, train: { epochs: 2, batchSize: 256, lr: 0.02 } }
loss: { type: bpr }
sampler: { type: uniform }`,
): Promise<{ root: string; bundle: string; trial: string }> {
  const root = mkdtempSync(join(tmpdir(), `embrec-serve-${name}-`));
  writeFileSync(
    join(root, 'tiny.yaml'),
    `name: ${name}
seed: 3
output: runs
dataset: { type: demo, users: 150, items: 200, genres: 5 }
split: ${split}
${model}
index: { type: exact }
retrieve: { k: 50 }
${pipeline}
evaluate: { type: full, ks: [10] }
`,
  );
  const run = await runCli(['run', join(root, 'tiny.yaml')]);
  expect(run.stderr).not.toContain('✖');
  expect(run.code).toBe(0);
  const trial = join(root, 'runs', name, 'run');
  const bundle = join(root, 'bundle');
  const exp = await runCli(['export', join(root, 'runs', name), '--out', bundle]);
  expect(exp.stderr).not.toContain('✖');
  expect(exp.code).toBe(0);
  return { root, bundle, trial };
}
