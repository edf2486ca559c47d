import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateContext } from '../plugin/define.ts';
import type { TrialContext } from '../plugin/kinds.ts';
import { silentLogger } from '../util/log.ts';
import { Rng } from '../util/rng.ts';

/** A TrialContext for tests: temp folders, a seeded RNG, a silent logger, recorded metrics. */
export function makeTestContext(opts: { seed?: number; configDir?: string } = {}): TrialContext & {
  readonly logged: { values: Readonly<Record<string, number>>; step: number | undefined }[];
} {
  const root = mkdtempSync(join(tmpdir(), 'embrec-test-'));
  const logged: { values: Readonly<Record<string, number>>; step: number | undefined }[] = [];
  const seed = opts.seed ?? 42;
  return {
    trial: 'test',
    seed,
    rng: new Rng(seed),
    log: silentLogger,
    configDir: opts.configDir ?? process.cwd(),
    artifactsDir: join(root, 'artifacts'),
    checkpointDir: join(root, 'checkpoints'),
    signal: new AbortController().signal,
    threads: 1,
    progress: () => ({ tick: () => {}, done: () => {} }),
    logMetrics: (values, step) => {
      logged.push({ values, step });
    },
    logged,
  };
}

/** A CreateContext for calling a component factory directly in a test (no nested components). */
export function makeTestCreateContext(opts: { seed?: number; configDir?: string } = {}): CreateContext {
  const ctx = makeTestContext(opts);
  return {
    ...ctx,
    instantiate: () => {
      throw new Error('instantiate is not available in makeTestCreateContext: use the registry');
    },
  };
}
