import type { CommandModule } from 'yargs';

/** `embrec index <sweep|auto-tune>`: recall/speed tooling of the index plugins. */
export const indexCommand: CommandModule = {
  command: 'index <command>',
  describe: 'ANN index tooling: recall/speed sweeps and auto-tuning',
  builder: (y) => y.demandCommand(1),
  handler: () => {},
};
