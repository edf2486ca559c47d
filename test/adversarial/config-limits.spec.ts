import { join } from 'node:path';
import { countTrials, loadExperiment } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import { builtinRegistry } from '../../packages/cli/src/builtins.ts';
import { runCli } from '../helpers/cli.ts';
import { BASE, configError, tempDir, writeFiles } from './config-helpers.ts';

/**
 * Issue 10 item 11: a 10⁶-trial sweep took 92 s and 2.2 GB to validate and then started. The trial
 * count now comes from the axis lengths before anything is expanded; above --max-trials (default
 * 10,000) the file is refused with the count, the limit and how to raise it.
 */
const ints = '[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]';
const words = '[a, b, c, d, e, f, g, h, i, j]';
// six valid axes of ten values: every one of the 10⁶ trials would validate
const million = `${BASE}\nsweep:\n  params:\n${[
  ['model.dim', ints],
  ['model.initStd', '[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]'],
  ['seed', ints],
  ['threads', ints],
  ['description', words],
  ['output', words],
]
  .map(([p, v]) => `    ${p}: ${v}`)
  .join('\n')}\n`;

function file(body: string): string {
  const dir = tempDir();
  writeFiles(dir, { 'exp.yaml': body });
  return join(dir, 'exp.yaml');
}

describe('trial count limit', () => {
  it('a 10⁶-trial sweep is refused before expanding, with the count and the limit', async () => {
    const heap = process.memoryUsage().heapUsed;
    const e = await configError(file(million));
    expect(e.issues.length).toBe(1); // the limit is the only problem of this file
    const iss = e.issues.find((i) => i.path === 'sweep');
    expect(iss?.message).toContain('1,000,000 trials');
    expect(iss?.message).toContain('--max-trials');
    expect(iss?.message).toContain('10,000');
    expect(iss?.line).toBe(6); // the sweep's mapping (`params:`), right under `sweep:`
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(100 * 2 ** 20);
  });

  it('random search counts samples × seeds without drawing', async () => {
    const e = await configError(
      file(
        `${BASE}\nsweep:\n  mode: random\n  samples: 1000000000\n  seeds: [1, 2]\n  params:\n    model.dim: {min: 2, max: 64, int: true}\n`,
      ),
    );
    expect(e.issues.find((i) => i.path === 'sweep')?.message).toContain('2,000,000,000 trials');
  });

  it('the limit can be raised (and lowered)', async () => {
    const body = `${BASE}\nsweep:\n  params:\n    model.dim: [2, 4, 8]\n  seeds: [1, 2, 3, 4]\n`;
    const f = file(body);
    await expect(configError(f, { maxTrials: 11 })).resolves.toBeDefined();
    const ok = await loadExperiment(f, { registry: builtinRegistry(), maxTrials: 12 });
    expect(ok.trials.length).toBe(12);
  });

  it('countTrials is the product of the axis lengths times the seeds', () => {
    expect(countTrials(undefined)).toBe(1);
    expect(countTrials({ mode: 'grid', params: { a: [1, 2, 3], b: [1, 2] }, seeds: [1, 2] })).toBe(12);
    expect(countTrials({ mode: 'random', samples: 7, params: { a: { min: 0, max: 1 } } })).toBe(7);
    const huge = Object.fromEntries(
      Array.from({ length: 400 }, (_, i) => [`p${i}`, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]),
    );
    expect(countTrials({ mode: 'grid', params: huge })).toBe(Number.POSITIVE_INFINITY);
  });

  it('embrec plan and validate take --max-trials, print the count, and exit 2 above it', async () => {
    const f = file(`${BASE}\nsweep:\n  params:\n    model.dim: [2, 4, 8]\n  seeds: [1, 2, 3, 4]\n`);
    const low = await runCli(['plan', f, '--max-trials', '5']);
    expect(low.code).toBe(2);
    expect(low.stderr).toContain('12 trials');
    expect(low.stderr).toContain('--max-trials 5');
    const nan = await runCli(['validate', f, '--max-trials', 'lots']);
    expect(nan.code).toBe(2);
    expect(nan.stderr).toContain('--max-trials expects a whole number');
    const plan = await runCli(['plan', f, '--max-trials', '12']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/: 12 trial\(s\)/);
    const big = await runCli(['validate', file(million)]);
    expect(big.code).toBe(2);
    expect(big.stderr).toContain('1,000,000 trials');
  }, 300_000); // four CLI starts; generous for a loaded CI machine (not a timing assertion)

  it('embrec run refuses above the limit before creating anything', async () => {
    const out = tempDir();
    const f = file(`${BASE}\noutput: ${JSON.stringify(out)}\nsweep:\n  params:\n    model.dim: [2, 4, 8]\n`);
    const r = await runCli(['run', f, '--max-trials', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('3 trials');
  }, 120_000);
});
