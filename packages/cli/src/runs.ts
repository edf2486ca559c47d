import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type IdMap, layout, type MetricSet, readStatus, type SweepRecord, UsageError } from '@embrec/core';

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
  const pu = layout.perUserDir(dir);
  const indexFile = join(pu, 'index.json');
  if (!existsSync(indexFile))
    throw new UsageError(`${dir} has no per-user metrics (${indexFile} is missing)`);
  const index = JSON.parse(readFileSync(indexFile, 'utf8')) as Record<string, string>;
  const prefix = which === 'pipeline' ? 'pipeline.' : '';
  const users = JSON.parse(readFileSync(join(pu, `${prefix}users.json`), 'utf8')) as string[];
  const perUser: Record<string, Float32Array> = {};
  for (const [display, file] of Object.entries(index)) {
    const isPipe = display.endsWith(' (pipeline)');
    if (isPipe !== (which === 'pipeline')) continue;
    const buf = readFileSync(join(pu, file));
    const arr = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
    if (arr.length !== users.length)
      throw new UsageError(`${join(pu, file)} has ${arr.length} values for ${users.length} users`);
    perUser[isPipe ? display.slice(0, -' (pipeline)'.length) : display] = arr;
  }
  return {
    protocol: run.protocol,
    values: run.values,
    users: Int32Array.from(users, (u) => ids.add(u)),
    perUser,
  };
}

export function readSweep(dir: string): SweepRecord {
  const f = layout.sweepFile(dir);
  if (!existsSync(f))
    throw new UsageError(`${dir} is not a sweep folder (expected ${f}); run the experiment first`);
  return JSON.parse(readFileSync(f, 'utf8')) as SweepRecord;
}
