import { parseGrid, runAutoTuneTool, settingLabel } from '@embrec/indexes';
import type { CommandModule } from 'yargs';
import { EXIT, printError } from '../output.ts';
import { type IndexToolArgs, indexToolOptions } from './index-sweep.ts';

interface Args extends IndexToolArgs {
  target: number;
  from?: string | undefined;
}

export const indexAutoTuneCommand: CommandModule<object, Args> = {
  command: 'auto-tune <input>',
  describe: 'The fastest index setting reaching a target recall@k (one batch size × threads mode)',
  builder: (y) =>
    indexToolOptions(y)
      .option('target', { type: 'number', default: 0.95, describe: 'target recall@k' })
      .option('from', { type: 'string', describe: 'choose from a sweep.json instead of measuring' }) as never,
  handler: async (args) => {
    try {
      const res = await runAutoTuneTool({
        input: args.input,
        target: args.target,
        ...(args.from === undefined ? {} : { from: args.from }),
        ...(args.index === undefined ? {} : { indexes: args.index }),
        ...(args.grid === undefined ? {} : { grid: parseGrid(args.grid) }),
        ...(args.k === undefined ? {} : { k: args.k }),
        queries: args.queries,
        batchSizes: args.batch,
        threads: args.threads,
        minTime: args['min-time'],
        seed: args.seed,
        log: (l) => process.stderr.write(`${l}\n`),
      });
      const mode = `batch ${res.mode.batch}, ${res.mode.threads} thread(s)`;
      if (res.best === undefined) {
        process.stdout.write(
          `✖ no setting reached recall ${args.target} (${mode}); the best recall measured was ${res.maxRecall.toFixed(4)}\n`,
        );
        process.exitCode = EXIT.failure;
        return;
      }
      const b = res.best;
      process.stdout.write(
        `✔ ${settingLabel(b)}: recall@${b.k} ${b.recall.toFixed(4)} at ${b.qps.toFixed(0)} q/s, p99 ${b.p99Ms.toFixed(2)} ms (${mode})\n`,
      );
      process.stdout.write(`${JSON.stringify({ index: b.index, params: b.params })}\n`);
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};
