import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset, Splits } from '@embrec/core';
import { lightgcnSchema, loadLightGcn as loadLightGcnFolder } from '@embrec/data';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const dataRoot = process.env.EMBREC_DATA ?? path.resolve(repoRoot, '../shared/data');

/** A LightGCN-format folder of the shared data, through @embrec/data's loader. */
export async function loadLightGcn(sub: string): Promise<Dataset & { givenSplits: Splits }> {
  const dir = path.join(dataRoot, sub);
  const d = loadLightGcnFolder(dir, lightgcnSchema.parse({ path: dir }));
  if (!d.givenSplits) throw new Error(`${sub}: no given splits`);
  return d as Dataset & { givenSplits: Splits };
}

/** Wall and CPU seconds of an async function. */
export async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { value, wall, cpu: (c.user + c.system) / 1e6 };
}

export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? c.toFixed(4) : c)));
  const w = cells[0]!.map((_, j) => Math.max(...cells.map((r) => r[j]!.length)));
  return cells.map((r) => `| ${r.map((c, j) => c.padEnd(w[j]!)).join(' | ')} |`).join('\n');
}
