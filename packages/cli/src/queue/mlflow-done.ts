import { type LoadedExperiment, TAGS } from '@embrec/core';
import { MlflowClient } from '@embrec/mlflow';

/** An MLflow server and experiment a sweep's trials are mirrored to. */
interface Target {
  readonly uri: string;
  readonly experiment: string;
}

/** Where the sweep's trials go in MLflow: MLFLOW_TRACKING_URI (automatic) and its `trackers:` of type mlflow. */
function targetsOf(exp: LoadedExperiment, env: NodeJS.ProcessEnv): Target[] {
  const out = new Map<string, Target>();
  const envUri = (env.MLFLOW_TRACKING_URI ?? '').trim();
  for (const block of exp.trials[0]?.config.trackers ?? []) {
    const b = block as { type?: string; trackingUri?: string; experimentName?: string };
    if (!b.type?.endsWith('mlflow')) continue;
    const uri = b.trackingUri ?? envUri;
    if (/^https?:\/\//.test(uri)) out.set(uri, { uri, experiment: b.experimentName ?? exp.name });
  }
  if (/^https?:\/\//.test(envUri) && !out.has(envUri)) out.set(envUri, { uri: envUri, experiment: exp.name });
  return [...out.values()];
}

/**
 * The trials of a sweep already FINISHED on its MLflow server(s), as `trial + "\0" + config hash`:
 * nested runs (tag embrec.kind=trial) of the sweep's experiment, whichever machine or folder ran
 * them. `run --queue` does not enqueue those again. A server that does not answer is a warning
 * (its trials may then run again), never a stop.
 */
export async function finishedInMlflow(
  exp: LoadedExperiment,
  warn: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Set<string>> {
  const done = new Set<string>();
  for (const t of targetsOf(exp, env)) {
    const client = new MlflowClient(t.uri, { retry: { retries: 1, timeoutMs: 10_000 } });
    try {
      if (!(await client.health())) throw new Error('GET /health failed');
      const e = await client.getExperimentByName(t.experiment);
      if (!e) continue;
      const runs = await client.searchRuns({
        experimentIds: [e.experiment_id],
        filter: "attributes.status = 'FINISHED'",
      });
      for (const r of runs) {
        const tag = (k: string) => r.data.tags?.find((x) => x.key === k)?.value;
        const trial = tag(TAGS.trial);
        const hash = tag(TAGS.configHash);
        if (
          tag(TAGS.kind) === 'trial' &&
          tag(TAGS.parentRunId) &&
          trial &&
          hash &&
          r.info.status === 'FINISHED'
        )
          done.add(`${trial}\0${hash}`);
      }
    } catch (err) {
      warn(
        `MLflow at ${t.uri} did not answer (${(err as Error).message}): trials finished only there cannot be recognised and may run again`,
      );
    }
  }
  return done;
}
