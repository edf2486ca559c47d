import { join } from 'node:path';
import { loadExperiment } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import { builtinRegistry } from '../../packages/cli/src/builtins.ts';
import { configError, tempDir, writeFiles } from './config-helpers.ts';

/**
 * Issue 10 item 4: a loss that needs explicit negatives with an in-batch sampler (or none) used to
 * pass `validate` and fail only at fit. The loss's `needs` and the sampler's `mode` are static
 * component metadata now, so validation reports the pair with the file and line.
 */
const head = [
  'dataset: { type: demo, users: 30, items: 40 }',
  'split: { type: leave-one-out }',
  'model: { type: mf, dim: 4 }',
];

function exp(lines: string[]): string {
  const dir = tempDir();
  writeFiles(dir, { 'exp.yaml': `${[...head, ...lines].join('\n')}\n` });
  return join(dir, 'exp.yaml');
}

describe('incompatible loss and sampler fail validation', () => {
  for (const loss of ['bpr', 'triplet', 'sampled-softmax', 'ccl']) {
    it(`${loss} with sampler in-batch is an error at sampler, with its line`, async () => {
      const e = await configError(exp([`loss: ${loss}`, 'sampler: in-batch']));
      const iss = e.issues.find((i) => i.path === 'sampler');
      expect(iss?.message).toMatch(new RegExp(`loss "${loss}" needs explicit negatives`));
      expect(iss?.message).toContain('uniform');
      expect(iss?.line).toBe(5);
    });
    it(`${loss} with no sampler is an error at loss, with its line`, async () => {
      const e = await configError(exp([`loss: { type: ${loss} }`]));
      const iss = e.issues.find((i) => i.path === 'loss');
      expect(iss?.message).toMatch(/needs explicit negatives.*no sampler/);
      expect(iss?.line).toBe(4);
    });
  }

  it('a sweep over the sampler reports the bad combination', async () => {
    const e = await configError(
      exp(['loss: bpr', 'sampler: uniform', 'sweep:', '  params:', '    sampler: [uniform, in-batch]']),
    );
    expect(e.issues.some((i) => i.path === 'sampler' && /needs explicit negatives/.test(i.message))).toBe(
      true,
    );
  });

  it('compatible pairs still validate', async () => {
    const registry = builtinRegistry();
    for (const lines of [
      ['loss: bpr', 'sampler: uniform'],
      ['loss: triplet', 'sampler: { type: mixed, num: 8 }'],
      ['loss: infonce', 'sampler: in-batch'],
      ['loss: infonce'],
    ]) {
      const loaded = await loadExperiment(exp(lines), { registry });
      expect(loaded.trials.length).toBe(1);
    }
  });

  it('built-in losses and samplers carry the static metadata that the instances report', async () => {
    const registry = builtinRegistry();
    for (const c of registry.list('loss')) expect(['in-batch', 'negatives']).toContain(c.def.needs);
    for (const c of registry.list('sampler')) expect(['in-batch', 'explicit', 'mixed']).toContain(c.def.mode);
  });
});

describe('static metadata agrees with the built instances', () => {
  it('each loss instance reports the needs, each sampler the mode, of its definition', async () => {
    const registry = builtinRegistry();
    const ctx = {} as never;
    for (const c of registry.list('loss')) {
      const inst = await c.def.create(c.def.schema.parse({}), {} as never, ctx);
      expect((inst as { needs: string }).needs, c.qualifiedType).toBe(c.def.needs);
    }
    for (const c of registry.list('sampler')) {
      const inst = await c.def.create(c.def.schema.parse({}), {} as never, ctx);
      expect((inst as { mode: string }).mode, c.qualifiedType).toBe(c.def.mode);
    }
  });
});
