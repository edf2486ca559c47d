import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '@embrec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { builtinRegistry } from '../../packages/cli/src/builtins.ts';
import { repoRoot } from '../helpers/cli.ts';

// Every ```yaml block in README.md and docs/*.md is validated as an experiment file: whole files
// as they are, fragments (`index: …`, `dataset: …`) merged over a minimal experiment, so a doc
// that names a component or parameter that does not exist fails here. Blocks that are not
// experiment files (a Kubernetes Job) are listed by name, so a new one cannot slip through.
const NOT_EXPERIMENTS = new Map([['docs/scale-out.md', 'a Kubernetes Job manifest']]);
// docs/plugins.md's block uses its third-party plugin: test/packaging/pack-install.spec.ts runs it.
const RUN_ELSEWHERE = new Map([['docs/plugins.md', 'test/packaging/pack-install.spec.ts']]);

const root = mkdtempSync(join(tmpdir(), 'embrec-docs-yaml-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MINIMAL: Record<string, unknown> = {
  name: 'docs-fragment',
  dataset: { type: 'demo', users: 50, items: 60 },
  split: { type: 'random', ratio: 0.2 },
  model: { type: 'mf', dim: 4 },
  loss: { type: 'infonce' },
  sampler: { type: 'in-batch' },
  evaluate: { type: 'full', ks: [10] },
};

function blocks(): { file: string; index: number; text: string }[] {
  const files = [
    'README.md',
    ...readdirSync(join(repoRoot, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  return files.flatMap((file) =>
    [...readFileSync(join(repoRoot, file), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m, index) => ({
      file,
      index,
      text: m[1]!,
    })),
  );
}

/** Top-level chunks of a block; a block that repeats a key (alternatives, one per line) is split. */
function chunks(text: string): string[] {
  const starts = text.split('\n').flatMap((l, i) => (/^[A-Za-z_]\w*:/.test(l) ? [i] : []));
  const keys = starts.map((i) => text.split('\n')[i]!.split(':')[0]);
  if (new Set(keys).size === keys.length) return [text];
  const lines = text.split('\n');
  return starts.map((s, j) => lines.slice(s, starts[j + 1] ?? lines.length).join('\n'));
}

describe('YAML blocks in the docs are valid experiment files', () => {
  const all = blocks();
  it('finds the blocks', () => {
    expect(all.length).toBeGreaterThanOrEqual(6);
  });
  for (const b of all) {
    const why = NOT_EXPERIMENTS.get(b.file) ?? RUN_ELSEWHERE.get(b.file);
    it(`${b.file} block ${b.index + 1}${why ? ` (skipped: ${why})` : ''}`, async () => {
      if (NOT_EXPERIMENTS.has(b.file)) {
        expect(parse(b.text)).toHaveProperty('apiVersion');
        return;
      }
      if (RUN_ELSEWHERE.has(b.file)) {
        const e2e = readFileSync(join(repoRoot, RUN_ELSEWHERE.get(b.file)!), 'utf8');
        expect(e2e).toContain(b.file);
        return;
      }
      for (const [ci, chunk] of chunks(b.text).entries()) {
        const doc = parse(chunk) as Record<string, unknown>;
        const whole = 'name' in doc && 'dataset' in doc;
        const dir = mkdtempSync(join(root, 'b-'));
        // a whole file may extend ./base.yaml (an empty base here)
        writeFileSync(join(dir, 'base.yaml'), '{}\n');
        const file = join(dir, `block-${ci}.yaml`);
        writeFileSync(file, whole ? chunk : JSON.stringify({ ...MINIMAL, ...doc }));
        await expect(
          loadExperiment(file, { registry: builtinRegistry(), set: [] }),
          `${b.file} block ${b.index + 1}:\n${chunk}`,
        ).resolves.toBeDefined();
      }
    });
  }
});
