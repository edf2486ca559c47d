import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLines, runFile, tinyExperiment, workspace } from './runner-fixture.ts';

/** Training losses per epoch, from a trial's metrics-history.jsonl. */
function losses(trialDir: string): number[] {
  const file = join(trialDir, 'metrics-history.jsonl');
  if (!existsSync(file)) return [];
  return readLines(file)
    .map((l) => JSON.parse(l) as { step: number; values: { loss?: number } })
    .filter((e) => e.values.loss !== undefined)
    .map((e) => e.values.loss!);
}

/** Runs an experiment file and interrupts it once epoch 1 has finished (its checkpoint is written). */
function runInterrupted(file: string, output: string) {
  const ac = new AbortController();
  return runFile(file, {
    output,
    progress: 'lines',
    signal: ac.signal,
    echo: (_l, line) => {
      if (line.includes('epoch 1/3')) ac.abort(); // printed when epoch 1 completes
    },
  });
}

// the data fingerprint hashes content: a fresh copy of the same bytes (new mtime) keeps finished
// trials and checkpoints; a changed byte reruns even when size and mtime are put back
const csvExperiment = () =>
  tinyExperiment().replace(
    'dataset: { type: demo, users: 60, items: 80, genres: 4 }',
    'dataset: { type: csv, path: data.csv, columns: { user: user, item: item } }',
  );
const csvRows = (n: number) => {
  const lines = ['user,item'];
  for (let u = 0; u < n; u++) for (let j = 0; j < 8; j++) lines.push(`u${u},i${(u * 7 + j * 3) % 40}`);
  return `${lines.join('\n')}\n`;
};

const statusOf = (trialDir: string) =>
  JSON.parse(readFileSync(join(trialDir, 'status.json'), 'utf8')) as {
    status: string;
    tags: Record<string, string>;
  };

describe('checkpoints are keyed by the config that produced them (issue 10, item 1)', () => {
  for (const force of [false, true]) {
    it(`a run that differs only in lr never resumes the other's checkpoint${force ? ' (--force)' : ''}`, async () => {
      const w = workspace(tinyExperiment());
      const first = await runFile(w.file, { output: w.out });
      const trialDir = join(first.outcome.dir, 'run');
      expect(first.outcome.finished).toEqual(['run']);
      const a = losses(trialDir);
      expect(a).toHaveLength(3);
      const firstHash = statusOf(trialDir).tags['embrec.config_hash'];

      const second = await runFile(w.file, { output: w.out, set: ['model.train.lr=0.01'], force });
      expect(second.outcome.finished).toEqual(['run']);
      const b = losses(trialDir);
      expect(b).toHaveLength(3); // trained from epoch 0, not "resumed" after the last epoch
      expect(b).not.toEqual(a);
      const log = readFileSync(join(trialDir, 'logs.txt'), 'utf8');
      expect(log).toContain(`starting from scratch: checkpoint belongs to config ${firstHash}`);
      expect(log).not.toContain('resuming training');
      expect(statusOf(trialDir).tags['embrec.config_hash']).not.toBe(firstHash);
    });
  }

  it('--force with the same config discards the checkpoint and trains again', async () => {
    const w = workspace(tinyExperiment());
    const first = await runFile(w.file, { output: w.out });
    const trialDir = join(first.outcome.dir, 'run');
    const a = losses(trialDir);
    const second = await runFile(w.file, { output: w.out, force: true });
    expect(second.outcome.finished).toEqual(['run']);
    expect(losses(trialDir)).toEqual(a); // same seed, same config, from scratch: same curve
    const log = readFileSync(join(trialDir, 'logs.txt'), 'utf8');
    expect(log).not.toContain('resuming training');
    expect(log).toContain('--force: discarding the checkpoint');
  });

  it('a change of the data file (same config) starts from scratch', async () => {
    const w = workspace(csvExperiment());
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(w.dir, 'data.csv'), csvRows(30));
    const first = await runFile(w.file, { output: w.out });
    expect(first.outcome.finished).toEqual(['run']);
    writeFileSync(join(w.dir, 'data.csv'), csvRows(40));
    const second = await runFile(w.file, { output: w.out, only: ['run'] });
    // the data changed: the finished trial is not skipped and its checkpoint is not resumed
    expect(second.outcome.skipped).toEqual([]);
    const log = readFileSync(join(first.outcome.dir, 'run', 'logs.txt'), 'utf8');
    expect(log).toContain('starting from scratch: checkpoint belongs to config');
    expect(log).not.toContain('resuming training');
  });

  it('the same bytes with a new mtime (a copy, a touch) keep a finished trial and a checkpoint', async () => {
    const { writeFileSync, utimesSync } = await import('node:fs');
    const w = workspace(csvExperiment());
    const data = join(w.dir, 'data.csv');
    writeFileSync(data, csvRows(30));
    const first = await runInterrupted(w.file, w.out);
    expect(first.outcome.aborted).toBe(true);
    writeFileSync(data, csvRows(30)); // rewritten: same bytes, a new mtime
    utimesSync(data, new Date(2001, 0, 1), new Date(2001, 0, 1));
    const resumed = await runFile(w.file, { output: w.out });
    expect(resumed.outcome.finished).toEqual(['run']);
    const log = readFileSync(join(first.outcome.dir, 'run', 'logs.txt'), 'utf8');
    expect(log).toContain('resuming training');
    expect(log).not.toContain('starting from scratch');
    utimesSync(data, new Date(), new Date());
    const again = await runFile(w.file, { output: w.out });
    expect(again.outcome.skipped).toEqual(['run']);
  });

  it('a changed byte reruns even with the size and mtime put back', async () => {
    const { writeFileSync, statSync, utimesSync } = await import('node:fs');
    const w = workspace(csvExperiment());
    const data = join(w.dir, 'data.csv');
    writeFileSync(data, csvRows(30));
    const first = await runFile(w.file, { output: w.out });
    expect(first.outcome.finished).toEqual(['run']);
    const before = statSync(data);
    const edited = csvRows(30).replace('u0,i0', 'u0,i9'); // same length
    expect(edited.length).toBe(csvRows(30).length);
    writeFileSync(data, edited);
    utimesSync(data, before.atime, before.mtime);
    const second = await runFile(w.file, { output: w.out });
    expect(second.outcome.skipped).toEqual([]);
    expect(second.outcome.finished).toEqual(['run']);
  });

  it('a trial recorded with the earlier (size + mtime) fingerprint is still skipped', async () => {
    const { writeFileSync } = await import('node:fs');
    const { legacyDataFingerprint } = await import('../../packages/core/src/runner/checkpoint-key.ts');
    const w = workspace(csvExperiment());
    writeFileSync(join(w.dir, 'data.csv'), csvRows(30));
    const first = await runFile(w.file, { output: w.out });
    const trialDir = join(first.outcome.dir, 'run');
    const st = JSON.parse(readFileSync(join(trialDir, 'status.json'), 'utf8')) as { data: string };
    expect(st.data).toMatch(/^c1-[0-9a-f]{12}$/);
    const cfg = JSON.parse(readFileSync(join(trialDir, 'config.json'), 'utf8'));
    writeFileSync(
      join(trialDir, 'status.json'),
      JSON.stringify({ ...st, data: legacyDataFingerprint(cfg, w.dir) }),
    );
    const second = await runFile(w.file, { output: w.out });
    expect(second.outcome.skipped).toEqual(['run']);
    // recognised, it is restamped in the content form
    expect(JSON.parse(readFileSync(join(trialDir, 'status.json'), 'utf8')).data).toBe(st.data);
    // a legacy record of other data is not
    writeFileSync(join(trialDir, 'status.json'), JSON.stringify({ ...st, data: '0123456789ab' }));
    const third = await runFile(w.file, { output: w.out });
    expect(third.outcome.skipped).toEqual([]);
  });
});

describe('a resumed trial records every epoch (issue 10, item 3)', () => {
  it('metrics-history.jsonl holds the epochs before the interruption too', async () => {
    const w = workspace(tinyExperiment());
    const first = await runInterrupted(w.file, w.out);
    expect(first.outcome.aborted).toBe(true);
    const second = await runFile(w.file, { output: w.out });
    expect(second.outcome.finished).toEqual(['run']);
    const trialDir = join(second.outcome.dir, 'run');
    const log = readFileSync(join(trialDir, 'logs.txt'), 'utf8');
    expect(log).toContain('resuming training from the checkpoint after epoch 1');
    const steps = readLines(join(trialDir, 'metrics-history.jsonl')).map(
      (l) => (JSON.parse(l) as { step: number }).step,
    );
    expect(steps).toEqual([0, 1, 2]);
  });
});
