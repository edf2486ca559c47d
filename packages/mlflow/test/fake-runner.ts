import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flattenParams, phaseMetrics } from '../src/mlflow-names.ts';
import type { TrackedRunInfoWithDir } from '../src/mlflow-tracker.ts';

/**
 * Writes run folders in the layout the runner writes (see src/run-folder.ts) and calls a
 * tracker the way the runner does, so the tracking tests need no runner. Metric values are a
 * function of the trial's parameters, so tests can check what arrived.
 */

export interface FakeTracker {
  startSweep(info: TrackedRunInfoWithDir): Promise<void>;
  startTrial(info: TrackedRunInfoWithDir): Promise<void>;
  logMetrics(values: Readonly<Record<string, number>>, step?: number): Promise<void>;
  logArtifact(localPath: string, artifactPath: string): Promise<void>;
  endTrial(status: 'FINISHED' | 'FAILED' | 'KILLED'): Promise<void>;
  endSweep(status: 'FINISHED' | 'FAILED' | 'KILLED'): Promise<void>;
}

export interface FakeTrial {
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly dim: number;
  readonly temperature: number;
}

/** A 3 × 2 grid: model.dim × loss.temperature. */
export function grid3x2(): FakeTrial[] {
  const out: FakeTrial[] = [];
  for (const dim of [16, 32, 64])
    for (const temperature of [0.05, 0.1]) {
      out.push({
        name: `dim=${dim},temperature=${temperature}`,
        dim,
        temperature,
        config: {
          name: 'ex',
          seed: 1,
          model: { type: 'mf', dim, train: { epochs: 3, lr: 0.01 } },
          loss: { type: 'infonce', temperature },
          evaluate: { type: 'full', ks: [10, 20], metrics: ['recall', 'ndcg'] },
        },
      });
    }
  return out;
}

export const EPOCHS = 3;
export const finalMetrics = (t: FakeTrial): Record<string, number> => ({
  'Recall@20': t.dim / 1000 + t.temperature,
  'NDCG@10': t.dim / 2000 + t.temperature / 2,
});
export const epochLoss = (t: FakeTrial, step: number): number => 1 / (step + 1) + t.dim / 100;

export function writeSweep(
  dir: string,
  name: string,
  experiment: string,
  trials: readonly FakeTrial[],
): void {
  mkdirSync(dir, { recursive: true });
  const sweep = { name, experiment, trials: trials.map((t) => t.name), createdAt: new Date().toISOString() };
  writeFileSync(join(dir, 'sweep.json'), JSON.stringify(sweep, null, 2));
}

/**
 * Runs one trial: writes its folder and mirrors it to `tracker` when given. `onStep` runs after
 * each epoch (a test kills the server there).
 */
export async function runTrial(
  sweepDir: string,
  experiment: string,
  t: FakeTrial,
  tracker?: FakeTracker,
  onStep?: (step: number) => Promise<void>,
): Promise<string> {
  const dir = join(sweepDir, t.name);
  mkdirSync(join(dir, 'artifacts'), { recursive: true });
  mkdirSync(join(dir, 'per-user'), { recursive: true });
  const params = flattenParams(t.config);
  const startTime = Date.now();
  writeFileSync(join(dir, 'config.json'), JSON.stringify(t.config, null, 2));
  writeFileSync(join(dir, 'params.json'), JSON.stringify(params, null, 2));
  await tracker?.startTrial({ experiment, name: t.name, params, tags: { 'embrec.seed': '1' }, dir });
  const history: string[] = [];
  for (let step = 0; step < EPOCHS; step++) {
    const values = { loss: epochLoss(t, step) };
    history.push(JSON.stringify({ step, values, time: startTime + step }));
    writeFileSync(join(dir, 'metrics-history.jsonl'), `${history.join('\n')}\n`);
    await tracker?.logMetrics(values, step);
    await onStep?.(step);
  }
  const final = finalMetrics(t);
  writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ values: final, protocol: 'full' }, null, 2));
  writeFileSync(join(dir, 'per-user', 'recall_at_20.f32'), Buffer.from(new Float32Array([0.5, 0, 1]).buffer));
  writeFileSync(join(dir, 'artifacts', 'plot.svg'), `<svg><text>${t.name}</text></svg>`);
  writeFileSync(join(dir, 'logs.txt'), `trial ${t.name}\n`);
  await tracker?.logMetrics(phaseMetrics('test', final)); // as the runner does
  await tracker?.logArtifact(join(dir, 'config.json'), 'config.json');
  await tracker?.logArtifact(join(dir, 'metrics.json'), 'metrics.json');
  await tracker?.logArtifact(join(dir, 'artifacts'), 'artifacts');
  writeFileSync(
    join(dir, 'status.json'),
    JSON.stringify(
      { status: 'FINISHED', startTime, endTime: Date.now(), tags: { 'embrec.seed': '1' } },
      null,
      2,
    ),
  );
  await tracker?.endTrial('FINISHED');
  return dir;
}
