import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataError, type IdMap, layout, UsageError } from '@embrec/core';
import type { DataConfig } from './replay.ts';

/** What analyze reads from a trial folder besides the embeddings. */
export interface TrialInfo {
  readonly dir: string;
  readonly name: string;
  readonly model: string;
  readonly config: DataConfig;
  /** The experiment file's folder (relative data paths in the config resolve from it). */
  readonly configDir: string;
  /** The experiment's `plugins:` (resolved from configDir), whose components the data may need. */
  readonly plugins: readonly string[];
  readonly metrics: Readonly<Record<string, number>>;
}

export function readTrialInfo(dir: string): TrialInfo {
  const cfgPath = layout.config(dir);
  if (!existsSync(cfgPath))
    throw new UsageError(
      `${dir} is not a trial folder (expected ${cfgPath}); give <output>/<experiment>/<trial>`,
    );
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as DataConfig & {
    name: string;
    model: { type: string };
    plugins?: string[];
  };
  const sweepFile = layout.sweepFile(dirname(dir));
  let configDir = dirname(dir);
  if (existsSync(sweepFile)) {
    const sweep = JSON.parse(readFileSync(sweepFile, 'utf8')) as { file?: string };
    if (sweep.file) configDir = dirname(sweep.file);
  }
  const metricsPath = layout.metrics(dir);
  const metrics = existsSync(metricsPath)
    ? (JSON.parse(readFileSync(metricsPath, 'utf8')) as { values: Record<string, number> }).values
    : {};
  return {
    dir,
    name: cfg.name,
    model: cfg.model.type,
    config: { seed: cfg.seed, dataset: cfg.dataset, transforms: cfg.transforms ?? [], split: cfg.split },
    configDir,
    plugins: cfg.plugins ?? [],
    metrics,
  };
}

/**
 * The model's learned per-item bias, when its saved weights (`artifacts/model/weights.json` +
 * `weights.bin`, float32 offsets and lengths) hold a variable named like `item…bias` with one value
 * per item; aligned to `rows` through the model's `item-ids.json`. Undefined when there is none.
 */
export function readItemBias(dir: string, rows: IdMap): Float32Array | undefined {
  const mdir = join(layout.artifacts(dir), 'model');
  const index = join(mdir, 'weights.json');
  if (!existsSync(index) || !existsSync(join(mdir, 'item-ids.json'))) return undefined;
  const vars = JSON.parse(readFileSync(index, 'utf8')) as { name: string; offset: number; length: number }[];
  const ids = JSON.parse(readFileSync(join(mdir, 'item-ids.json'), 'utf8')) as string[];
  const v = vars.find((w) => /item/i.test(w.name) && /bias/i.test(w.name) && w.length === ids.length);
  if (!v) return undefined;
  const buf = readFileSync(join(mdir, 'weights.bin'));
  if ((v.offset + v.length) * 4 > buf.byteLength)
    throw new DataError(`${join(mdir, 'weights.bin')}: variable "${v.name}" runs past the end of the file`);
  const all = new Float32Array(buf.buffer, buf.byteOffset + v.offset * 4, v.length);
  const out = new Float32Array(rows.size).fill(Number.NaN);
  ids.forEach((id, i) => {
    const r = rows.get(id);
    if (r !== undefined) out[r] = all[i]!;
  });
  return out;
}
