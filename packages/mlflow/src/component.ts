import { defineComponent, UsageError } from '@embrec/core';
import { z } from 'zod';
import { MlflowClient } from './mlflow-client.ts';
import { MlflowTracker } from './mlflow-tracker.ts';

/** `trackers: [{ type: mlflow }]`: mirror every run to an MLflow tracking server. */
export const mlflowTrackerComponent = defineComponent({
  kind: 'tracker',
  type: 'mlflow',
  description:
    'Mirrors runs to an MLflow tracking server (a sweep is a parent run, each trial a nested run); failed calls are queued for `embrec track sync`',
  // the automatic tracker: a sweep mirrors to MLflow when MLFLOW_TRACKING_URI names an http(s)
  // server, even when the file lists no `trackers:`
  automatic: (env) => /^https?:\/\//.test(env.MLFLOW_TRACKING_URI ?? ''),
  schema: z.strictObject({
    trackingUri: z
      .string()
      .optional()
      .describe(
        'http(s)://host:port of the MLflow server (default: the MLFLOW_TRACKING_URI environment variable)',
      ),
    experimentName: z
      .string()
      .min(1)
      .optional()
      .describe("MLflow experiment (default: the experiment's name)"),
    retries: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(3)
      .describe('retries per call on network errors and 5xx'),
    backoffMs: z.number().int().min(0).default(250).describe('first retry wait, doubled on each retry'),
    maxBackoffMs: z.number().int().min(0).default(4000),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(15_000)
      .describe('the most one call may take: headers, body and retries with their waits'),
    artifacts: z.boolean().default(true).describe('upload artifacts (config, metrics files, plots)'),
  }),
  create(params, _deps, ctx) {
    const uri = params.trackingUri ?? process.env.MLFLOW_TRACKING_URI;
    if (!uri || !/^https?:\/\//.test(uri)) {
      throw new UsageError(
        `tracker "mlflow": expected an http(s) tracking URI in trackers[].trackingUri or MLFLOW_TRACKING_URI, found ${uri ? `"${uri}"` : 'none'} (run folders are always written; MLflow mirroring needs a server: mlflow server --port 5000)`,
      );
    }
    const client = new MlflowClient(uri, {
      retry: {
        retries: params.retries,
        backoffMs: params.backoffMs,
        maxBackoffMs: params.maxBackoffMs,
        timeoutMs: params.timeoutMs,
      },
    });
    return new MlflowTracker({
      client,
      log: ctx.log.child('mlflow'),
      experimentName: params.experimentName,
      fallbackDir: ctx.checkpointDir,
      searchFrom: ctx.checkpointDir,
      gitDir: ctx.configDir,
      artifacts: params.artifacts,
    });
  },
});
