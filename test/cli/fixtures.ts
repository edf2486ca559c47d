import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeTrial {
  /** Trial folder name, e.g. `power=1,dim=8,seed=1`. */
  readonly name: string;
  readonly group: string;
  /** Final (test) metrics. */
  readonly values: Record<string, number>;
  /** Per-user values of the test metrics (users u0, u1, …). */
  readonly perUser?: Record<string, number[]>;
  /** metrics-history.jsonl lines (per-epoch validation values). */
  readonly history?: Record<string, number>[];
  /** model.train.earlyStopping.metric in config.json. */
  readonly earlyStopping?: string;
  readonly status?: 'FINISHED' | 'FAILED';
}

/**
 * A tiny synthetic sweep folder in the run-folder layout (sweep.json, one folder per trial with
 * metrics.json, status.json, config.json, per-user/, metrics-history.jsonl): what `embrec report`
 * reads, without training anything.
 */
export function writeSweep(
  dir: string,
  trials: readonly FakeTrial[],
  opts: { baseline?: string; experimentFile?: string; axes?: Record<string, Record<string, string>> } = {},
): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'sweep.json'),
    JSON.stringify({
      name: 'fake',
      experiment: 'fake',
      file: opts.experimentFile ?? join(dir, 'missing.yaml'),
      trials: trials.map((t) => t.name),
      groups: Object.fromEntries(trials.map((t) => [t.name, t.group])),
      createdAt: 0,
      ...(opts.baseline ? { baseline: opts.baseline } : {}),
      ...(opts.axes ? { axes: opts.axes } : {}),
    }),
  );
  for (const t of trials) {
    const td = join(dir, t.name);
    mkdirSync(join(td, 'per-user'), { recursive: true });
    writeFileSync(join(td, 'metrics.json'), JSON.stringify({ protocol: 'full', values: t.values }));
    writeFileSync(
      join(td, 'status.json'),
      JSON.stringify({ status: t.status ?? 'FINISHED', startTime: 0, endTime: 1, tags: {} }),
    );
    writeFileSync(
      join(td, 'config.json'),
      JSON.stringify({
        model: {
          type: 'embrec/mf',
          train: t.earlyStopping ? { earlyStopping: { metric: t.earlyStopping } } : {},
        },
      }),
    );
    if (t.history)
      writeFileSync(
        join(td, 'metrics-history.jsonl'),
        t.history
          .map((values, step) => JSON.stringify({ step, values, time: 0, component: 'model:mf' }))
          .join('\n'),
      );
    const pu = t.perUser ?? {};
    const index: Record<string, string> = {};
    let users = 0;
    for (const [m, xs] of Object.entries(pu)) {
      const file = `${m.replace('@', '_at_').toLowerCase()}.f32`;
      writeFileSync(join(td, 'per-user', file), Buffer.from(new Float32Array(xs).buffer));
      index[m] = file;
      users = xs.length;
    }
    writeFileSync(join(td, 'per-user', 'index.json'), JSON.stringify(index));
    writeFileSync(
      join(td, 'per-user', 'users.json'),
      JSON.stringify(Array.from({ length: users }, (_, i) => `u${i}`)),
    );
  }
}
