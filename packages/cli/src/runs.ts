import { existsSync, readFileSync } from 'node:fs';
import {
  type IdMap,
  layout,
  type MetricSet,
  readStatus,
  readPerUser as readTrialPerUser,
  type SweepRecord,
  UsageError,
} from '@embrec/core';

export interface RunFolder {
  readonly dir: string;
  readonly protocol: string;
  readonly values: Record<string, number>;
  readonly status: string;
}

export function readRun(dir: string): RunFolder {
  const mf = layout.metrics(dir);
  if (!existsSync(mf)) {
    const st = readStatus(dir);
    throw new UsageError(
      st
        ? `${dir} is a run folder with status ${st.status} and no metrics${st.error ? `: ${st.error.split('\n')[0]}` : ''}`
        : `${dir} is not a run folder (expected ${mf})`,
    );
  }
  const m = JSON.parse(readFileSync(mf, 'utf8')) as { protocol: string; values: Record<string, number> };
  return { dir, protocol: m.protocol, values: m.values, status: readStatus(dir)?.status ?? 'UNKNOWN' };
}

/**
 * Per-user metric vectors of a run as a MetricSet, with user IDs mapped through `ids` (shared by
 * the runs being paired, so that the same external user gets the same index).
 */
export function readPerUser(dir: string, ids: IdMap, which: 'model' | 'pipeline' = 'model'): MetricSet {
  const run = readRun(dir);
  const suffix = ' (pipeline)';
  const perUser: Record<string, Float32Array> = {};
  let users: readonly string[] | undefined;
  // core's reader: the .npy + users.csv layout, and the .f32 + users.json one of runs before 0.2
  for (const [display, v] of Object.entries(readTrialPerUser(dir))) {
    const isPipe = display.endsWith(suffix);
    if (isPipe !== (which === 'pipeline') || (!isPipe && display.includes(' ('))) continue;
    users ??= v.users;
    if (v.users.length !== users.length)
      throw new UsageError(
        `${dir}: per-user "${display}" covers ${v.users.length} users, others ${users.length}`,
      );
    perUser[isPipe ? display.slice(0, -suffix.length) : display] = v.values;
  }
  return {
    protocol: run.protocol,
    values: run.values,
    users: Int32Array.from(users ?? [], (u) => ids.add(u)),
    perUser,
  };
}

export function readSweep(dir: string): SweepRecord {
  const f = layout.sweepFile(dir);
  if (!existsSync(f))
    throw new UsageError(`${dir} is not a sweep folder (expected ${f}); run the experiment first`);
  return JSON.parse(readFileSync(f, 'utf8')) as SweepRecord;
}
