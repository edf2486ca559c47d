import { UsageError } from '@embrec/core';
import type { CommandModule } from 'yargs';
import { EXIT, printError } from '../output.ts';

interface Args {
  queue: string;
  concurrency: number;
  output?: string;
  quiet: boolean;
}

export const workerCommand: CommandModule<object, Args> = {
  command: 'worker',
  describe: 'Take trials from a Redis queue (embrec run --queue) and run them, until stopped',
  builder: (y) =>
    y
      .option('queue', { type: 'string', demandOption: true, describe: 'Redis URL: redis://HOST:PORT[/DB]' })
      .option('concurrency', { type: 'number', default: 1, describe: 'Trials run at once by this worker' })
      .option('output', {
        type: 'string',
        describe: "Shared folder for run folders (default: the enqueuing run's output folder)",
      })
      .option('quiet', {
        type: 'boolean',
        default: false,
        describe: 'Only failures on the console',
      }) as never,
  handler: async (args) => {
    const ac = new AbortController();
    let interrupts = 0;
    const onSignal = () => {
      // a second signal quits at once: the running trials' jobs are taken over once their locks expire
      if (++interrupts > 1) process.exit(130);
      process.stderr.write(
        '\nworker: stopping after the running trials (Ctrl-C again to quit now; their trials are then taken over by other workers)\n',
      );
      ac.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      if (!Number.isInteger(args.concurrency) || args.concurrency < 1)
        throw new UsageError(`--concurrency expects a whole number of at least 1, found ${args.concurrency}`);
      const { runWorker } = await import('../queue/worker.ts');
      await runWorker({
        url: args.queue,
        concurrency: args.concurrency,
        output: args.output,
        signal: ac.signal,
        say: (line) => {
          if (!args.quiet || line.startsWith('✖') || line.startsWith('⚠')) process.stderr.write(`${line}\n`);
        },
      });
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
