import { createLogger, UsageError } from '@embrec/core';
import { describeSync, MlflowClient, syncRuns } from '@embrec/mlflow';
import type { CommandModule } from 'yargs';
import { EXIT, printError } from '../output.ts';

interface SyncArgs {
  runs: string;
  uri?: string;
  experiment?: string;
  artifacts: boolean;
}

const syncCommand: CommandModule<object, SyncArgs> = {
  command: 'sync <runs>',
  describe:
    'Push run folders made offline (a sweep folder or a trial folder) to an MLflow server; idempotent',
  builder: (y) =>
    y
      .positional('runs', { type: 'string', demandOption: true })
      .option('uri', { type: 'string', describe: 'Tracking server (default: MLFLOW_TRACKING_URI)' })
      .option('experiment', { type: 'string', describe: 'MLflow experiment name (default: the sweep name)' })
      .option('artifacts', { type: 'boolean', default: true, describe: 'Upload artifacts too' }) as never,
  handler: async (args) => {
    try {
      const uri = args.uri ?? process.env.MLFLOW_TRACKING_URI;
      if (!uri)
        throw new UsageError('no tracking server: pass --uri http://host:port or set MLFLOW_TRACKING_URI');
      const client = new MlflowClient(uri);
      const summary = await syncRuns(args.runs, client, {
        log: createLogger({ level: 'info' }),
        artifacts: args.artifacts,
        ...(args.experiment ? { experimentName: args.experiment } : {}),
      });
      process.stdout.write(`${describeSync(summary, uri)}\n`);
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};

export const trackCommand: CommandModule = {
  command: 'track <command>',
  describe: 'Experiment tracking (MLflow)',
  builder: (y) => y.command(syncCommand as never).demandCommand(1),
  handler: () => {},
};
