import { appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrialContext } from '../plugin/kinds.ts';
import type { Logger, LogLevel } from '../util/log.ts';
import { createLogger } from '../util/log.ts';
import { Rng } from '../util/rng.ts';
import { appendLine, WriteError } from './fs.ts';
import { layout } from './layout.ts';
import { makeProgress, type ProgressMode } from './progress.ts';

export interface TrialEnv {
  readonly trial: string;
  readonly seed: number;
  readonly threads: number;
  readonly configDir: string;
  readonly stagingDir: string;
  readonly checkpointDir: string;
  readonly signal: AbortSignal;
  readonly progress: ProgressMode;
  readonly logLevel: LogLevel;
  readonly echo: (level: LogLevel, line: string) => void;
  readonly onMetrics: (values: Readonly<Record<string, number>>, step: number | undefined) => void;
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/**
 * The trial's logger: every line from info up (debug too at level debug) goes to logs.txt in the
 * trial folder, whatever the console's level (`--quiet` keeps the file complete); lines at or above
 * `env.logLevel` also go to the console.
 */
export function trialLogger(env: TrialEnv): Logger {
  const file = layout.logs(env.stagingDir);
  mkdirSync(env.stagingDir, { recursive: true });
  const echoFrom = LEVELS.indexOf(env.logLevel);
  return createLogger({
    level: env.logLevel === 'debug' ? 'debug' : 'info',
    sink: (level, line) => {
      try {
        appendFileSync(file, `${new Date().toISOString()} ${level.toUpperCase()} ${line}\n`);
      } catch (e) {
        throw new WriteError(file, e);
      }
      if (LEVELS.indexOf(level) >= echoFrom) env.echo(level, line);
    },
  });
}

/** A TrialContext for one component: its own RNG stream forked from the trial seed by name. */
export function makeTrialContext(env: TrialEnv, log: Logger, component: string): TrialContext {
  const artifactsDir = layout.artifacts(env.stagingDir);
  mkdirSync(artifactsDir, { recursive: true });
  mkdirSync(env.checkpointDir, { recursive: true });
  const history = layout.history(env.stagingDir);
  return {
    trial: env.trial,
    seed: env.seed,
    rng: new Rng(env.seed).fork(component),
    log: log.child(component),
    configDir: env.configDir,
    artifactsDir,
    checkpointDir: join(env.checkpointDir, component.replace(/[/:]/g, '_')),
    signal: env.signal,
    threads: env.threads,
    progress: (label, total) =>
      makeProgress(env.progress, `${env.trial} ${label}`, total, (line) => log.info(line)),
    logMetrics: (values, step) => {
      appendLine(history, JSON.stringify({ step: step ?? null, values, time: Date.now(), component }));
      env.onMetrics(values, step);
    },
  };
}

/**
 * A TrialContext for a component used outside a trial (the index tools, the server): no artifacts to
 * keep (the folders are the system's temp folder), seed 0, warnings only, one thread, no progress
 * or metrics. `trial` names the caller in log lines.
 */
export function standaloneContext(trial: string): TrialContext {
  const dir = tmpdir();
  return {
    trial,
    seed: 0,
    rng: new Rng(0),
    log: createLogger({ level: 'warn' }),
    configDir: process.cwd(),
    artifactsDir: dir,
    checkpointDir: dir,
    signal: new AbortController().signal,
    threads: 1,
    progress: () => ({ tick: () => {}, done: () => {} }),
    logMetrics: () => {},
  };
}
