import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '@embrec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinRegistry } from '../../packages/cli/src/builtins.ts';

const root = mkdtempSync(join(tmpdir(), 'embrec-extends-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const base = [
  'name: base',
  'dataset: { type: demo, users: 50, items: 60 }',
  'split: { type: random, ratio: 0.2, valid: { ratio: 0.1 } }',
  'model: { type: mf, dim: 4, train: { epochs: 2, earlyStopping: { metric: NDCG@10, patience: 1 } } }',
  'loss: { type: infonce, temperature: 0.1 }',
  'sampler: { type: in-batch }',
  'evaluate: { type: full, ks: [10] }',
  'sweep:',
  '  seeds: [1, 2]',
  '  params: { loss.temperature: [0.1, 1], model.dim: [4, 8] }',
  '',
].join('\n');

describe('extends: null removes an inherited key', () => {
  writeFileSync(join(root, 'base.yaml'), base);

  it('drops a sweep axis and a nested key', async () => {
    writeFileSync(
      join(root, 'child.yaml'),
      [
        'extends: base.yaml',
        'name: child',
        'sweep: { params: { model.dim: null } }',
        'model: { train: { earlyStopping: null } }',
        '',
      ].join('\n'),
    );
    const exp = await loadExperiment(join(root, 'child.yaml'), { registry: builtinRegistry(), set: [] });
    expect(exp.trials.map((t) => t.name)).toEqual([
      'loss.temperature=0.1,seed=1',
      'loss.temperature=0.1,seed=2',
      'loss.temperature=1,seed=1',
      'loss.temperature=1,seed=2',
    ]);
    const train = (exp.trials[0]!.config as unknown as { model: { train: Record<string, unknown> } }).model
      .train;
    expect(train.earlyStopping).toBeUndefined();
    expect(train.epochs).toBe(2);
    // the base itself keeps both axes
    const b = await loadExperiment(join(root, 'base.yaml'), { registry: builtinRegistry(), set: [] });
    expect(b.trials).toHaveLength(8);
  });

  it('dropping the whole sweep leaves one trial', async () => {
    writeFileSync(join(root, 'single.yaml'), 'extends: base.yaml\nname: single\nsweep: null\n');
    const exp = await loadExperiment(join(root, 'single.yaml'), { registry: builtinRegistry(), set: [] });
    expect(exp.trials.map((t) => t.name)).toEqual(['run']);
  });
});
