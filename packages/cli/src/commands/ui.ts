import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLogger, DataError, UsageError } from '@embrec/core';
import { describeSync, MlflowClient, syncRuns } from '@embrec/mlflow';
import type { CommandModule } from 'yargs';
import { ensureMlflow, freePort, portFree, startLocalMlflow } from '../mlflow-server.ts';
import { EXIT, printError } from '../output.ts';

interface UiArgs {
  output?: string;
  port: number;
  sync: boolean;
}

/** The output folder: the argument, else ./runs or ./experiments/runs (the defaults of the examples). */
function outputFolder(arg: string | undefined): string {
  if (arg !== undefined) {
    const p = resolve(arg);
    if (!existsSync(p) || !statSync(p).isDirectory())
      throw new UsageError(`${arg}: no such folder (give the output folder your runs are in, e.g. runs)`);
    return p;
  }
  for (const c of ['runs', 'experiments/runs']) if (existsSync(resolve(c))) return resolve(c);
  throw new UsageError('no ./runs or ./experiments/runs here: give the output folder, e.g. embrec ui runs');
}

export const uiCommand: CommandModule<object, UiArgs> = {
  command: 'ui [output]',
  describe:
    'Start a local MLflow UI on 127.0.0.1 over an output folder (SQLite store beside the runs), sync its runs into it; Ctrl-C stops it',
  builder: (y) =>
    y
      .positional('output', {
        type: 'string',
        describe: 'output folder (default: ./runs or ./experiments/runs)',
      })
      .option('port', { type: 'number', default: 5000, describe: 'port on 127.0.0.1 (0: any free port)' })
      .option('sync', {
        type: 'boolean',
        default: true,
        describe: 'push the run folders (and their offline outboxes) to the server first',
      }) as never,
  handler: async (args) => {
    try {
      if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535)
        throw new UsageError(`--port must be a whole number from 0 to 65535, found ${args.port}`);
      const output = outputFolder(args.output);
      const port = args.port === 0 ? await freePort() : args.port;
      if (!(await portFree(port)))
        throw new UsageError(`port ${port} on 127.0.0.1 is in use (another MLflow server?): pass --port`);
      const bin = ensureMlflow((l) => process.stderr.write(`${l}\n`));
      process.stderr.write(`starting MLflow (${bin}) with its store in ${output}/.mlflow …\n`);
      const server = await startLocalMlflow(bin, output, port);
      let stopping = false;
      const stop = async (): Promise<void> => {
        if (stopping) return;
        stopping = true;
        process.stderr.write('\nstopping the MLflow server\n');
        await server.stop();
        process.exit(EXIT.ok);
      };
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stop());
      if (args.sync) {
        try {
          const summary = await syncRuns(output, new MlflowClient(server.uri), {
            log: createLogger({ level: 'warn' }),
          });
          process.stdout.write(`${describeSync(summary, server.uri)}\n`);
        } catch (e) {
          if (!(e instanceof DataError)) {
            await server.stop();
            throw e;
          }
          process.stdout.write(`nothing to sync yet: ${e.message}\n`);
        }
      }
      process.stdout.write(`MLflow UI: ${server.uri}  (runs of ${output}; Ctrl-C stops it)\n`);
      const code = await server.exited;
      if (!stopping) {
        process.stderr.write(
          `✖ the MLflow server exited by itself (code ${code}); see ${server.dir}/server.log\n`,
        );
        process.exitCode = EXIT.failure;
      }
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};
