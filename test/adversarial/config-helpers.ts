import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError, type LoadOptions, loadExperiment } from '@embrec/core';
import { builtinRegistry } from '../../packages/cli/src/builtins.ts';

/** A fresh temporary folder for one test. */
export function tempDir(prefix = 'embrec-adv-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `files` (relative path → text or bytes) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string | Uint8Array>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}

/** A small valid experiment body (YAML lines) the cases extend or edit. */
export const BASE = [
  'dataset: { type: demo, users: 30, items: 40 }',
  'split: { type: leave-one-out }',
  'model: { type: mf, dim: 4 }',
  'loss: { type: infonce }',
].join('\n');

/** Loads a file with the built-in registry; returns the ConfigError or throws if it loaded. */
export async function configError(file: string, opts: Partial<LoadOptions> = {}): Promise<ConfigError> {
  try {
    await loadExperiment(file, { registry: builtinRegistry(), ...opts });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`${file} was accepted`);
}
