import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { layout, TAGS } from '@embrec/core';
import { MARKER_FILE, MlflowClient } from '@embrec/mlflow';

type Servers = Record<string, { runId?: string; artifactUri?: string }>;

function serversOf(dir: string): Servers {
  try {
    return (JSON.parse(readFileSync(join(dir, MARKER_FILE), 'utf8')) as { servers?: Servers }).servers ?? {};
  } catch {
    return {}; // no marker (not tracked), or an unreadable one: `embrec track sync` reports it
  }
}

/**
 * Tags the sweep's MLflow parent run with its baseline (`sweep.baseline` of the experiment file), as
 * `embrec track sync` does, so that `embrec report --mlflow` compares against it by default.
 */
export async function tagBaseline(
  sweepDir: string,
  baseline: string | undefined,
  warn: (line: string) => void,
): Promise<void> {
  if (!baseline) return;
  for (const [uri, e] of Object.entries(serversOf(sweepDir))) {
    if (!e.runId) continue;
    try {
      await new MlflowClient(uri).setTag(e.runId, TAGS.baseline, baseline);
    } catch (err) {
      warn(`mlflow: the sweep's baseline tag did not reach ${uri}: ${(err as Error).message}`);
    }
  }
}

/**
 * Uploads a finished trial's per-user metric vectors (`per-user/`) to the MLflow run(s) mirroring
 * it (the trial folder's mlflow.json names them, per server), so that `embrec report --mlflow` can
 * run paired tests without the run folder. The runner logs the other files; the per-user vectors
 * are what a report needs beyond them. A failed upload is a warning: the report then says it
 * compares unpaired.
 */
export async function mirrorPerUser(trialDir: string, warn: (line: string) => void): Promise<void> {
  const perUser = layout.perUserDir(trialDir);
  if (!existsSync(perUser)) return;
  const servers = serversOf(trialDir);
  for (const [uri, e] of Object.entries(servers)) {
    if (!e.artifactUri) continue;
    try {
      await new MlflowClient(uri).uploadArtifacts({ artifact_uri: e.artifactUri }, perUser, 'per-user');
    } catch (err) {
      warn(`mlflow: the per-user vectors of ${trialDir} did not reach ${uri}: ${(err as Error).message}`);
    }
  }
}
