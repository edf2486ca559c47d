import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunOptions, runExperiment, type SweepOutcome } from '@embrec/core';
import { load } from '../../packages/cli/src/commands/common.ts';

/** A tiny MF experiment on the built-in demo data: trains in well under a second. */
export function tinyExperiment(extra = ''): string {
  return `name: tiny
seed: 7
dataset: { type: demo, users: 60, items: 80, genres: 4 }
split: { type: random, ratio: 0.2 }
model: { type: mf, dim: 8, train: { epochs: 3, batchSize: 64, lr: 0.05 } }
loss: { type: bpr }
sampler: { type: uniform }
evaluate: { type: full, ks: [10] }
${extra}`;
}

/** A temp folder with the experiment file written into it; `out` is the output folder. */
export function workspace(yaml: string, file = 'exp.yaml'): { dir: string; file: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'embrec-adv-'));
  const out = join(dir, 'out');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(dir, file), yaml);
  return { dir, file: join(dir, file), out };
}

export interface Ran {
  outcome: SweepOutcome;
  console: string[];
}

/** Loads the file the way `embrec run` does and runs it in-process. */
export async function runFile(
  file: string,
  opts: Partial<RunOptions> & { set?: string[] } = {},
): Promise<Ran> {
  const { exp, registry } = await load({ file, set: opts.set ?? [] });
  const console: string[] = [];
  const outcome = await runExperiment(exp, {
    registry,
    progress: 'none',
    echo: (_l, line) => console.push(line),
    env: { MLFLOW_TRACKING_URI: '' },
    ...opts,
  });
  return { outcome, console };
}

export function readLines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}
