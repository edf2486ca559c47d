import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadExperiment } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import { builtinRegistry } from '../../packages/cli/src/builtins.ts';
import { repoRoot, runCli } from '../helpers/cli.ts';

const dir = join(repoRoot, 'test', 'fixtures', 'bad-configs');
const files = readdirSync(dir)
  .filter((f) => /^\d\d-/.test(f) && !f.endsWith('-b.yaml'))
  .sort();

async function message(file: string): Promise<string> {
  try {
    await loadExperiment(join(dir, file), {
      registry: builtinRegistry(),
      env: { ...process.env, EMBREC_SURELY_UNSET_VAR: '' },
    });
  } catch (e) {
    if (e instanceof ConfigError) return e.format().replaceAll(repoRoot, '<root>');
    throw e;
  }
  throw new Error(`${file} was accepted`);
}

/** Each malformed experiment file gives one readable message (snapshot) and, from the CLI, exit 2. */
describe('malformed experiment files', () => {
  it('has a corpus of at least 15 cases', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  for (const f of files) {
    it(f, async () => {
      const msg = await message(f);
      expect(msg.split('\n')[0]).toMatch(/^<root>\/test\/fixtures\/bad-configs\/\d\d-/);
      expect(msg).toContain('✖');
      expect(msg).toContain('→ at ');
      expect(msg).toMatchSnapshot();
    });
  }

  it('reports every problem of a file at once', async () => {
    const msg = await message('21-many-problems.yaml');
    expect(msg.match(/✖/g)?.length).toBe(4);
  });

  // The CLI maps every config error to exit code 2 and prints the same message, no stack trace.
  for (const f of [
    '01-bad-yaml.yaml',
    '03-unknown-model-type.yaml',
    '10-circular-a.yaml',
    '21-many-problems.yaml',
  ]) {
    it(`embrec validate ${f} exits 2`, async () => {
      const r = await runCli(['validate', join(dir, f)]);
      expect(r.code).toBe(2);
      expect(r.stderr.replaceAll(repoRoot, '<root>').trim()).toBe((await message(f)).trim());
    });
  }
});
