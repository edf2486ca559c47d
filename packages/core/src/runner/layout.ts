import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The run folder layout. A sweep folder `<output>/<experiment>/` holds `sweep.json` and one folder per
 * finished trial. A trial is built in `.staging/<trial>/` and renamed into place when it ends, so a
 * trial folder is always complete; checkpoints live in `.checkpoints/<trial>/` across restarts,
 * stamped with the key of the config and data that produced them (checkpoint-key.ts).
 */
export const layout = {
  sweepFile: (sweepDir: string) => join(sweepDir, 'sweep.json'),
  trialDir: (sweepDir: string, trial: string) => join(sweepDir, trial),
  stagingDir: (sweepDir: string, trial: string) => join(sweepDir, '.staging', trial),
  checkpointDir: (sweepDir: string, trial: string) => join(sweepDir, '.checkpoints', trial),
  config: (trialDir: string) => join(trialDir, 'config.json'),
  params: (trialDir: string) => join(trialDir, 'params.json'),
  metrics: (trialDir: string) => join(trialDir, 'metrics.json'),
  history: (trialDir: string) => join(trialDir, 'metrics-history.jsonl'),
  perUserDir: (trialDir: string) => join(trialDir, 'per-user'),
  artifacts: (trialDir: string) => join(trialDir, 'artifacts'),
  /** The embedding analysis (the `analysis:` stage and `embrec analyze`): report.html, analysis.json. */
  analysis: (trialDir: string) => join(trialDir, 'artifacts', 'analysis'),
  logs: (trialDir: string) => join(trialDir, 'logs.txt'),
  status: (trialDir: string) => join(trialDir, 'status.json'),
  stages: (trialDir: string) => join(trialDir, 'stages.json'),
};

export interface TrialStatus {
  status: 'FINISHED' | 'FAILED' | 'KILLED';
  startTime: number;
  endTime: number;
  tags: Record<string, string>;
  error?: string;
  /** Fingerprint of the data files the trial read (checkpoint-key.ts): a change reruns the trial. */
  data?: string;
}

export function readStatus(trialDir: string): TrialStatus | undefined {
  const p = layout.status(trialDir);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as TrialStatus;
  } catch {
    return undefined;
  }
}

export interface SweepRecord {
  name: string;
  experiment: string;
  file: string;
  trials: string[];
  groups: Record<string, string>;
  /** Per group: its sweep axis values, unshortened (group names over 96 bytes are cut). */
  axes?: Record<string, Record<string, string>>;
  baseline?: string;
  createdAt: number;
}
