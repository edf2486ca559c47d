import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtinRegistry } from '../../../cli/src/builtins.ts';
import { loadExperiment } from '../../src/config/load.ts';
import type { AnyComponentDefinition } from '../../src/plugin/define.ts';
import { defineComponent, definePlugin } from '../../src/plugin/define.ts';
import { layout } from '../../src/runner/layout.ts';
import { runExperiment } from '../../src/runner/run.ts';
import { coreVersion } from '../../src/version.ts';

// The analyze stages take their component from the registry, like every other section: a third-party
// plugin's analysis kind runs in place of @embrec/eval's. Its check runs before training, its report
// lands in artifacts/analysis/ only when complete, and its numbers join the trial's metrics.
const root = mkdtempSync(join(tmpdir(), 'embrec-analyze-stage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function registry() {
  const r = builtinRegistry();
  const mostpop = r.get('model', 'mostpop').def;
  // the same model without its static `scorer: 'scores'`: validate cannot tell, the stage must
  const { scorer: _s, ...undeclared } = mostpop;
  r.add(
    definePlugin({
      meta: { name: 'acme-analysis', version: '1.0.0', namespace: 'acme' },
      engines: { '@embrec/core': `^${coreVersion}` },
      components: [
        defineComponent({
          kind: 'analysis',
          type: 'count',
          description: 'counts the items; writes a note',
          schema: z.strictObject({ fail: z.boolean().default(false) }),
          create: (p) => ({
            check: ({ ctx }) => ctx.log.info('acme check ran'),
            async analyze(input) {
              writeFileSync(join(input.outDir, 'note.txt'), `${input.items.ids.size} items, ${input.model}`);
              if (p.fail) throw new Error('disk on fire');
              return { metrics: { 'Acme items': input.items.ids.size } };
            },
          }),
        }),
        { ...undeclared, type: 'popular' } as AnyComponentDefinition,
      ],
    }),
  );
  return r;
}

async function run(name: string, lines: string) {
  const file = join(root, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}
seed: 1
output: runs
dataset: { type: demo, users: 60, items: 80, genres: 3 }
split: { type: random, ratio: 0.2 }
evaluate: { type: full, ks: [10] }
${lines}`,
  );
  const reg = registry();
  const exp = await loadExperiment(file, { registry: reg });
  const out = await runExperiment(exp, { registry: reg, progress: 'none', echo: () => {}, env: {} });
  return { out, trial: layout.trialDir(out.dir, 'run') };
}

const MF =
  'model: { type: mf, dim: 8, train: { epochs: 2, batchSize: 128 } }\nloss: { type: bpr }\nsampler: { type: uniform }\n';

describe('the analyze stages', () => {
  it("run a plugin's analysis component: checked before fit, written after export, numbers as metrics", async () => {
    const { out, trial } = await run('acme-ok', `${MF}analysis: { type: acme/count }\n`);
    expect(out.failed).toEqual([]);
    expect(readFileSync(join(trial, 'artifacts', 'analysis', 'note.txt'), 'utf8')).toBe(
      '80 items, embrec/mf',
    );
    const metrics = JSON.parse(readFileSync(layout.metrics(trial), 'utf8')).values;
    expect(metrics['Acme items']).toBe(80);
    expect(metrics['NDCG@10']).toBeGreaterThanOrEqual(0);
    const log = readFileSync(layout.logs(trial), 'utf8');
    expect(log.indexOf('acme check ran')).toBeGreaterThan(-1);
    expect(log.indexOf('acme check ran')).toBeLessThan(log.indexOf('stage fit:'));
    expect(Object.keys(JSON.parse(readFileSync(layout.stages(trial), 'utf8')))).toContain('analyze');
  }, 120_000);

  it('a failing analysis fails the trial, attributed to the plugin, and leaves no partial folder', async () => {
    const { out, trial } = await run('acme-fail', `${MF}analysis: { type: acme/count, fail: true }\n`);
    expect(out.failed).toHaveLength(1);
    expect(out.failed[0]!.error.message).toBe(
      '(plugin acme-analysis) analysis "acme/count" failed in stage "analyze" (analyze): disk on fire',
    );
    expect(existsSync(layout.analysis(trial))).toBe(false);
    expect(readdirSync(layout.artifacts(trial)).filter((f) => f.includes('analysis'))).toEqual([]);
  }, 120_000);

  it('a model without item embeddings that does not say so: a clear error at the analyze stage', async () => {
    const { out, trial } = await run(
      'acme-scores',
      'model: { type: acme/popular }\nanalysis: { type: acme/count }\n',
    );
    expect(out.failed).toHaveLength(1);
    expect(out.failed[0]!.error.message).toContain(
      'the analysis needs item embeddings, but model "acme/popular" scores users directly and has none',
    );
    expect(existsSync(layout.analysis(trial))).toBe(false);
  }, 120_000);

  it('no analysis: section, no analyze stages', async () => {
    const { trial } = await run('acme-none', MF);
    expect(Object.keys(JSON.parse(readFileSync(layout.stages(trial), 'utf8')))).not.toContain('analyze');
    expect(readFileSync(layout.logs(trial), 'utf8')).not.toContain('acme check ran');
  }, 120_000);
});
