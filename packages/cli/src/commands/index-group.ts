import type { CommandModule } from 'yargs';
import { indexAutoTuneCommand } from './index-autotune.ts';
import { indexSweepCommand } from './index-sweep.ts';

/** `embrec index <sweep|auto-tune>`: recall/speed tooling of the index plugins. */
export const indexCommand: CommandModule = {
  command: 'index <command>',
  describe: 'ANN index tooling: recall/speed sweeps and auto-tuning',
  builder: (y) =>
    y
      .command(indexSweepCommand as never)
      .command(indexAutoTuneCommand as never)
      .demandCommand(1),
  handler: () => {},
};
