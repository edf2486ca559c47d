/** Small pieces of a sweep: its folder, record, config hash, git commit, backend set-up, error text. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { setupBackend } from '../backend.ts';
import type { LoadedExperiment } from '../config/load.ts';
import type { TrialConfig } from '../config/sections.ts';
import { axisLabels } from '../config/sweep.ts';
import { EmbrecError } from '../errors.ts';
import { writeJsonAtomic } from './fs.ts';
import { layout, type SweepRecord } from './layout.ts';
import { assertInside } from './marker.ts';
import { flattenParams, paramsHash } from './run-names.ts';

/** The hash a trial's resolved config is recognised by (resume; the MLflow config-hash tag). */
export function configHash(cfg: unknown): string {
  return paramsHash(flattenParams(cfg));
}

export function gitCommit(dir: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

/** The folder a sweep writes to: `<output>/<experiment name>` (output relative to the experiment file). */
export function sweepDirOf(exp: LoadedExperiment, output?: string): string {
  const out = output ?? exp.trials[0]?.config.output ?? 'runs';
  const base = isAbsolute(out) ? out : output ? resolve(out) : resolve(exp.dir, out);
  return assertInside(base, join(base, exp.name), `experiment name "${exp.name}"`);
}

/** Sets up the tensor backend a trial asks for (core's setupBackend); returns its description. */
export async function defaultSetupBackend(
  name: TrialConfig['backend'],
  threads: number,
): Promise<string | undefined> {
  const r = await setupBackend(name, { threads });
  return `${r.name} (${r.detail})`;
}

/** Writes sweep.json (the trials, their groups, the baseline), keeping the first run's creation time. */
export function writeSweepRecord(dir: string, exp: LoadedExperiment): void {
  const groups: Record<string, string> = {};
  const axes: Record<string, Record<string, string>> = {};
  for (const t of exp.trials) {
    groups[t.name] = t.group;
    axes[t.group] ??= axisLabels(t.assignments);
  }
  const record: SweepRecord = {
    name: exp.name,
    experiment: exp.name,
    file: exp.file,
    trials: exp.trials.map((t) => t.name),
    groups,
    axes,
    createdAt: Date.now(),
  };
  if (exp.sweep?.baseline) record.baseline = exp.sweep.baseline;
  const prev = existsSync(layout.sweepFile(dir))
    ? (JSON.parse(readFileSync(layout.sweepFile(dir), 'utf8')) as SweepRecord)
    : undefined;
  if (prev) record.createdAt = prev.createdAt;
  writeJsonAtomic(layout.sweepFile(dir), record);
}

export function formatError(e: Error): string {
  if (e instanceof EmbrecError) {
    const cause = e.cause instanceof Error && process.env.EMBREC_DEBUG ? `\n${e.cause.stack}` : '';
    return `${e.format()}${cause}`;
  }
  return process.env.EMBREC_DEBUG ? (e.stack ?? e.message) : e.message;
}
