import {
  DEFAULT_MAX_TRIALS,
  type LoadedExperiment,
  loadExperiment,
  type Registry,
  UsageError,
} from '@embrec/core';
import { builtinRegistry } from '../builtins.ts';

export interface ExperimentArgs {
  file: string;
  set?: string[] | undefined;
  /** `--max-trials`: sweeps above it are refused (counted before expanding). */
  maxTrials?: number | undefined;
}

/** Loads and validates an experiment file with the built-in plugins plus the file's own. */
export async function load(args: ExperimentArgs): Promise<{ exp: LoadedExperiment; registry: Registry }> {
  const max = args.maxTrials ?? DEFAULT_MAX_TRIALS;
  if (!Number.isInteger(max) || max < 1)
    throw new UsageError(
      `--max-trials expects a whole number of at least 1, found ${String(args.maxTrials)}`,
    );
  const registry = builtinRegistry();
  const exp = await loadExperiment(args.file, {
    registry,
    set: args.set ?? [],
    maxTrials: max,
  });
  return { exp, registry };
}

export const setOption = {
  type: 'string',
  array: true,
  description: 'Override a config value: --set model.dim=128 (value parsed as YAML)',
} as const;

export const maxTrialsOption = {
  type: 'number',
  default: DEFAULT_MAX_TRIALS,
  description: 'Refuse sweeps of more trials than this (counted from the axis lengths before expanding)',
} as const;
