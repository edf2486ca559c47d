import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeTracking, sig } from '../../packages/cli/src/output.ts';

const root = mkdtempSync(join(tmpdir(), 'embrec-output-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('sig', () => {
  it('rounds to 4 significant digits', () => {
    expect(sig(0.071007701)).toBe('0.07101');
    expect(sig(11.410833)).toBe('11.41');
    expect(sig(123456)).toBe('1.235e+5');
    expect(sig(0)).toBe('0.000');
    expect(sig(Number.NaN)).toBe('n/a');
  });
});

describe('describeTracking (the end of every run)', () => {
  it('names the tracking URI, run id and run page from mlflow.json', () => {
    const dir = join(root, 'tracked');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'mlflow.json'),
      JSON.stringify({
        servers: {
          'http://127.0.0.1:5000': { experimentId: '3', runId: 'abc123', artifactUri: 'x', complete: true },
        },
      }),
    );
    expect(describeTracking(dir)).toBe(
      'MLflow: http://127.0.0.1:5000  run abc123  http://127.0.0.1:5000/#/experiments/3/runs/abc123',
    );
  });
  it("without a sweep run, names the trials' runs", () => {
    const dir = join(root, 'single');
    mkdirSync(join(dir, 'run'), { recursive: true });
    writeFileSync(
      join(dir, 'run', 'mlflow.json'),
      JSON.stringify({
        servers: { 'http://h:1/': { experimentId: '2', runId: 'r9', artifactUri: 'x', complete: true } },
      }),
    );
    expect(describeTracking(dir)).toBe(
      'MLflow: http://h:1/  run r9 (run)  http://h:1/#/experiments/2/runs/r9',
    );
  });
  it('says what waits in an outbox and how to push it', () => {
    const dir = join(root, 'outbox');
    mkdirSync(join(dir, 'trial-a'), { recursive: true });
    writeFileSync(join(dir, 'trial-a', 'mlflow-outbox.jsonl'), '{}\n');
    expect(describeTracking(dir)).toBe(
      `MLflow: 1 run folder not yet pushed (server unreachable): embrec track sync ${dir} --uri <server>`,
    );
  });
  it('without tracking, points at embrec ui', () => {
    const dir = join(root, 'plain');
    mkdirSync(dir, { recursive: true });
    expect(describeTracking(dir)).toBe(
      `MLflow: not tracked (MLFLOW_TRACKING_URI unset); \`embrec ui ${root}\` shows these runs in a local MLflow UI`,
    );
  });
});
