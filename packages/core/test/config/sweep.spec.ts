import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { axisLabels } from '../../src/config/sweep.ts';
import {
  ConfigError,
  coreVersion,
  defineComponent,
  definePlugin,
  loadExperiment,
  Registry,
} from '../../src/index.ts';
import type { SweepRecord } from '../../src/runner/layout.ts';
import { writeSweepRecord } from '../../src/runner/sweep-util.ts';

/** A registry of tiny components, enough to validate experiment files without the real plugins. */
function registry(): Registry {
  const stub = () => ({}) as never;
  const r = new Registry(coreVersion);
  r.add(
    definePlugin({
      meta: { name: '@embrec/test', version: '1.0.0', namespace: 'embrec' },
      engines: { '@embrec/core': '*' },
      components: [
        defineComponent({
          kind: 'dataset',
          type: 'd',
          description: '',
          schema: z.strictObject({ n: z.number().default(5) }),
          create: stub,
        }),
        defineComponent({
          kind: 'splitter',
          type: 's',
          description: '',
          schema: z.strictObject({}),
          create: stub,
        }),
        defineComponent({
          kind: 'model',
          type: 'mf',
          description: '',
          schema: z.strictObject({ dim: z.number().int().default(8) }),
          create: stub,
        }),
        defineComponent({
          kind: 'model',
          type: 'tt',
          description: '',
          schema: z.strictObject({
            dim: z.number().int().default(8),
            hidden: z.array(z.number()).default([16]),
          }),
          create: stub,
        }),
        defineComponent({
          kind: 'loss',
          type: 'infonce',
          description: '',
          schema: z.strictObject({ temperature: z.number().default(0.1) }),
          create: stub,
        }),
        defineComponent({
          kind: 'evaluator',
          type: 'full',
          description: '',
          schema: z.strictObject({ ks: z.array(z.number()).default([10]) }),
          create: stub,
        }),
      ],
    }),
  );
  return r;
}

function write(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'embrec-cfg-'));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

const base = 'dataset: d\nsplit: s\nmodel: { type: mf }\nloss: { type: infonce }\n';

describe('experiment files', () => {
  it('fills defaults, qualifies types and names the single trial "run"', async () => {
    const dir = write({ 'e.yaml': base });
    const exp = await loadExperiment(join(dir, 'e.yaml'), { registry: registry() });
    expect(exp.name).toBe('e');
    expect(exp.trials.map((t) => t.name)).toEqual(['run']);
    const c = exp.trials[0]!.config;
    expect(c.dataset).toEqual({ type: 'embrec/d', n: 5 });
    expect(c.model).toEqual({ type: 'embrec/mf', dim: 8 });
    expect(c.evaluate).toEqual({ type: 'embrec/full', ks: [10] });
    expect(c.seed).toBe(42);
  });

  it('merges extends (child wins, a changed type replaces the block), then --set, then environment variables', async () => {
    const dir = write({
      'base.yaml': `${base}seed: 1\n`,
      'e.yaml': `extends: ./base.yaml\nmodel: { type: tt, dim: 4 }\ndataset: { type: d, n: "$\{N_ITEMS:-7}" }\n`,
    });
    const exp = await loadExperiment(join(dir, 'e.yaml'), {
      registry: registry(),
      set: ['seed=9', 'model.hidden=[1, 2]'],
      env: {},
    });
    const c = exp.trials[0]!.config;
    expect(c.model).toEqual({ type: 'embrec/tt', dim: 4, hidden: [1, 2] });
    expect(c.seed).toBe(9);
    expect(c.dataset).toEqual({ type: 'embrec/d', n: 7 }); // a whole ${...} reads as the number it spells
    const withEnv = await loadExperiment(join(dir, 'e.yaml'), {
      registry: registry(),
      env: { N_ITEMS: '3' },
    });
    expect(withEnv.trials[0]!.config.dataset).toEqual({ type: 'embrec/d', n: 3 });
    const bad = await loadExperiment(join(dir, 'e.yaml'), {
      registry: registry(),
      env: { N_ITEMS: 'many' },
    }).catch((e) => e);
    expect(bad).toBeInstanceOf(ConfigError);
  });

  it('expands a grid × seeds sweep with whole component blocks into named trials and groups', async () => {
    const dir = write({
      'e.yaml': `${base}sweep:\n  seeds: [1, 2]\n  params:\n    model: [{ type: mf }, { type: tt, dim: 4 }]\n    loss.temperature: [0.05, 0.5, 1]\n`,
    });
    const exp = await loadExperiment(join(dir, 'e.yaml'), { registry: registry() });
    expect(exp.trials.length).toBe(2 * 3 * 2);
    const names = exp.trials.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('model=tt(dim=4),loss.temperature=0.5,seed=2');
    const t = exp.trials.find((x) => x.name === 'model=tt(dim=4),loss.temperature=0.5,seed=2')!;
    expect(t.group).toBe('model=tt(dim=4),loss.temperature=0.5');
    expect(t.config.seed).toBe(2);
    expect(t.config.model).toEqual({ type: 'embrec/tt', dim: 4, hidden: [16] });
    expect(t.config.loss).toEqual({ type: 'embrec/infonce', temperature: 0.5 });
  });

  it("sweep.json records each group's axis values unshortened (long names are cut with a hash)", async () => {
    const dir = write({
      'e.yaml': `${base}sweep:\n  seeds: [1]\n  params:\n    model: [{ type: mf }, { type: tt, dim: 4, hidden: [${'128, '.repeat(20)}128] }]\n`,
    });
    const exp = await loadExperiment(join(dir, 'e.yaml'), { registry: registry() });
    const out = mkdtempSync(join(tmpdir(), 'embrec-sweep-'));
    writeSweepRecord(out, exp);
    const rec = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as SweepRecord;
    const long = exp.trials[1]!.group;
    expect(long).toMatch(/\^[0-9a-f]{16}$/); // shortened
    expect(rec.axes?.[long]).toEqual({ model: `tt(dim=4,hidden=[${'128,'.repeat(20)}128])` });
    expect(rec.axes?.[exp.trials[0]!.group]).toEqual({ model: 'mf' });
    expect(axisLabels([['loss.temperature', 0.5]])).toEqual({ 'loss.temperature': '0.5' });
  });

  it('draws a seeded random search: same seed, same trials; ranges respected', async () => {
    const text = `${base}seed: 3\nsweep:\n  mode: random\n  samples: 6\n  params:\n    loss.temperature: { min: 0.01, max: 1, log: true }\n    model.dim: [8, 16, 32]\n`;
    const a = await loadExperiment(join(write({ 'e.yaml': text }), 'e.yaml'), { registry: registry() });
    const b = await loadExperiment(join(write({ 'e.yaml': text }), 'e.yaml'), { registry: registry() });
    expect(a.trials.map((t) => t.name)).toEqual(b.trials.map((t) => t.name));
    expect(a.trials.length).toBe(6);
    for (const t of a.trials) {
      const temp = (t.config.loss as unknown as { temperature: number }).temperature;
      expect(temp).toBeGreaterThanOrEqual(0.01);
      expect(temp).toBeLessThanOrEqual(1);
      expect([8, 16, 32]).toContain((t.config.model as unknown as { dim: number }).dim);
    }
    const c = await loadExperiment(join(write({ 'e.yaml': text.replace('seed: 3', 'seed: 4') }), 'e.yaml'), {
      registry: registry(),
    });
    expect(c.trials.map((t) => t.name)).not.toEqual(a.trials.map((t) => t.name));
  });

  it('reports every problem of every trial once, with lines', async () => {
    const dir = write({ 'e.yaml': `${base}sweep:\n  params:\n    model.dim: [8, "x", -1.5]\n` });
    const err = await loadExperiment(join(dir, 'e.yaml'), { registry: registry() }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues.map((i) => i.path)).toEqual(['model.dim', 'model.dim']);
    expect(issues[0]!.message).toContain('found the string "x"');
    expect(issues[1]!.message).toMatch(/expected int/);
  });
});

describe('registry', () => {
  const plugin = (range: string, ns = 'x') =>
    definePlugin({
      // the `embrec` namespace is reserved for the @embrec/ scope
      meta: { name: ns === 'embrec' ? '@embrec/p' : `p-${ns}`, version: '2.0.0', namespace: ns },
      engines: { '@embrec/core': range },
      components: [
        defineComponent({
          kind: 'model',
          type: 'm',
          description: '',
          schema: z.strictObject({}),
          create: () => ({}) as never,
        }),
      ],
    });
  it('refuses a plugin whose engines range excludes this core', () => {
    const r = new Registry('0.1.0');
    expect(() => r.add(plugin('^2.0.0'))).toThrow(
      'plugin p-x@2.0.0 expects @embrec/core ^2.0.0, but 0.1.0 is installed',
    );
    r.add(plugin('>=0.1.0 <1'));
    expect(r.get('model', 'x/m').plugin.meta.name).toBe('p-x');
  });
  it('refuses duplicates and malformed plugins', () => {
    const r = new Registry('0.1.0');
    r.add(plugin('*'));
    expect(() => r.add(plugin('*'))).toThrow(/registered twice/);
    expect(() => r.add({ meta: { name: 'bad' } } as never)).toThrow(/not a valid embrec plugin/);
  });
  it('suggests the closest type and lists the available ones', () => {
    const r = new Registry('0.1.0');
    r.add(plugin('*', 'embrec'));
    const l = r.lookup('model', 'mm');
    expect(l.ok).toBe(false);
    if (!l.ok) expect(l.message).toBe('Unknown model type "mm". Did you mean "m"? Available: m');
  });
});
