import { type LoadedExperiment, loadExperiment, type Registry } from '@embrec/core';
import { builtinRegistry } from '../builtins.ts';

export interface ExperimentArgs {
  file: string;
  set?: string[] | undefined;
}

/** Loads and validates an experiment file with the built-in plugins plus the file's own. */
export async function load(args: ExperimentArgs): Promise<{ exp: LoadedExperiment; registry: Registry }> {
  const registry = builtinRegistry();
  const exp = await loadExperiment(args.file, { registry, set: args.set ?? [] });
  return { exp, registry };
}

export const setOption = {
  type: 'string',
  array: true,
  description: 'Override a config value: --set model.dim=128 (value parsed as YAML)',
} as const;
