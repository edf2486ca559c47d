import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { load } from '../../packages/cli/src/commands/common.ts';
import { runExperiment } from '../../packages/core/src/runner/run.ts';
import { runFile, tinyExperiment, workspace } from './runner-fixture.ts';

describe('embrec only replaces folders it made, and never writes outside the output folder (issue 10, item 5)', () => {
  it('a pre-existing trial folder without the marker survives a run and a --force rerun', async () => {
    const w = workspace(tinyExperiment().replace('name: tiny', 'name: victim'));
    const keep = join(w.out, 'victim', 'run', 'keep');
    mkdirSync(keep, { recursive: true });
    writeFileSync(join(keep, 'precious.txt'), 'mine');
    for (const force of [false, true]) {
      const r = await runFile(w.file, { output: w.out, force });
      expect(readFileSync(join(keep, 'precious.txt'), 'utf8')).toBe('mine');
      expect(r.outcome.finished).toEqual([]);
      expect(r.outcome.failed.map((f) => f.trial)).toEqual(['run']);
      expect(r.outcome.failed[0]!.error.message).toContain(join(w.out, 'victim', 'run'));
      expect(r.outcome.failed[0]!.error.message).toContain('.embrec-trial');
      // the refused trial leaves nothing behind
      expect(readdirSync(join(w.out, 'victim', 'run'))).toEqual(['keep']);
      const staging = join(w.out, 'victim', '.staging');
      expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
    }
  });

  it('folders embrec made carry its marker and are replaced on --force', async () => {
    const w = workspace(tinyExperiment());
    const first = await runFile(w.file, { output: w.out });
    expect(existsSync(join(first.outcome.dir, '.embrec-sweep'))).toBe(true);
    expect(existsSync(join(first.outcome.dir, 'run', '.embrec-trial'))).toBe(true);
    const second = await runFile(w.file, { output: w.out, force: true });
    expect(second.outcome.finished).toEqual(['run']);
  });

  for (const name of ['../victim', '..']) {
    it(`an experiment named "${name}" that slipped past validation writes nothing outside the output folder`, async () => {
      const w = workspace(tinyExperiment());
      const victim = join(w.dir, 'victim', 'run', 'keep');
      mkdirSync(victim, { recursive: true });
      const { exp, registry } = await load({ file: w.file });
      const before = readdirSync(w.dir).sort();
      await expect(
        runExperiment({ ...exp, name }, { registry, output: w.out, progress: 'none', echo: () => {} }),
      ).rejects.toThrow(/outside the output folder/);
      expect(existsSync(victim)).toBe(true);
      expect(readdirSync(w.dir).sort()).toEqual(before);
      expect(readdirSync(join(w.dir, 'victim'))).toEqual(['run']);
      expect(existsSync(join(w.dir, 'sweep.json'))).toBe(false);
    });
  }
});
