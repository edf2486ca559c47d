import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadExperiment } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import { builtinRegistry } from '../packages/cli/src/builtins.ts';
import { experimentJsonSchema } from '../packages/cli/src/schema.ts';
import { repoRoot } from './helpers/cli.ts';

const dir = join(repoRoot, 'experiments');
const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f) && !f.startsWith('_'));

/** Every shipped experiment file is a doc example: it must validate (plan) with the built-ins. */
describe('experiments/', () => {
  it('ships the quickstart and the chapter exercises', () => {
    expect(files).toContain('quickstart.yaml');
  });
  for (const f of files) {
    it(`${f} validates and expands into trials`, async () => {
      const exp = await loadExperiment(join(dir, f), { registry: builtinRegistry() });
      expect(exp.trials.length).toBeGreaterThan(0);
      for (const t of exp.trials) expect(t.config.model.type).toMatch(/\//);
    });
  }
});

describe('embrec schema', () => {
  it('describes every section, with the registered types of each kind', () => {
    const s = experimentJsonSchema(builtinRegistry()) as {
      properties: Record<string, { anyOf?: { properties?: { type?: { enum?: string[] } } }[] }>;
    };
    const modelTypes = (s.properties.model?.anyOf ?? []).flatMap((v) => v.properties?.type?.enum ?? []);
    expect(modelTypes).toEqual(expect.arrayContaining(['two-tower', 'embrec/two-tower', 'mf', 'ease']));
    for (const key of [
      'dataset',
      'split',
      'model',
      'loss',
      'sampler',
      'index',
      'evaluate',
      'trackers',
      'sweep',
    ]) {
      expect(s.properties[key], key).toBeDefined();
    }
  });
});
