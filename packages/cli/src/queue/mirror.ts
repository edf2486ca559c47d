import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { layout } from '@embrec/core';
import { MARKER_FILE, MlflowClient } from '@embrec/mlflow';

/**
 * Uploads a finished trial's per-user metric vectors (`per-user/`) to the MLflow run(s) mirroring
 * it (the trial folder's mlflow.json names them, per server), so that `embrec report --mlflow` can
 * run paired tests without the run folder. The runner logs the other files; the per-user vectors
 * are what a report needs beyond them. A failed upload is a warning: the report then says it
 * compares unpaired.
 */
export async function mirrorPerUser(trialDir: string, warn: (line: string) => void): Promise<void> {
  const marker = join(trialDir, MARKER_FILE);
  const perUser = layout.perUserDir(trialDir);
  if (!existsSync(marker) || !existsSync(perUser)) return;
  let servers: Record<string, { runId?: string; artifactUri?: string }> = {};
  try {
    servers = (JSON.parse(readFileSync(marker, 'utf8')) as { servers?: typeof servers }).servers ?? {};
  } catch {
    return; // an unreadable marker: `embrec track sync` reports it
  }
  for (const [uri, e] of Object.entries(servers)) {
    if (!e.artifactUri) continue;
    try {
      await new MlflowClient(uri).uploadArtifacts({ artifact_uri: e.artifactUri }, perUser, 'per-user');
    } catch (err) {
      warn(`mlflow: the per-user vectors of ${trialDir} did not reach ${uri}: ${(err as Error).message}`);
    }
  }
}
