import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFile, tinyExperiment, workspace } from './runner-fixture.ts';

describe('--quiet still writes logs.txt (issue 10, item 12)', () => {
  it('the console gets warnings only; the trial log keeps every info line', async () => {
    const w = workspace(tinyExperiment());
    // `embrec run --quiet` runs with logLevel "warn"
    const r = await runFile(w.file, { output: w.out, logLevel: 'warn' });
    expect(r.outcome.finished).toEqual(['run']);
    expect(r.console.filter((l) => l.startsWith('stage '))).toEqual([]);
    const log = readFileSync(join(r.outcome.dir, 'run', 'logs.txt'), 'utf8');
    expect(log).toMatch(/INFO stage fit: /);
    expect(log).toMatch(/INFO data: 60 users/);
  });
});
