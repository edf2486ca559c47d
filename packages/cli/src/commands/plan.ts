import { sweepDirOf } from '@embrec/core';
import { stringify } from 'yaml';
import type { CommandModule } from 'yargs';
import { EXIT, printError } from '../output.ts';
import { load, maxTrialsOption, setOption } from './common.ts';

interface Args {
  file: string;
  set?: string[];
  maxTrials?: number;
  json: boolean;
  verbose?: boolean;
}

export const planCommand: CommandModule<object, Args> = {
  command: 'plan <file>',
  describe: "Print every trial's resolved config (defaults filled in) without running anything",
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true })
      .option('set', setOption)
      .option('max-trials', maxTrialsOption)
      .option('json', { type: 'boolean', default: false })
      .option('verbose', {
        type: 'boolean',
        default: false,
        describe: "Every trial's resolved config as YAML (default: one line per trial)",
      }) as never,
  handler: async (args) => {
    try {
      const { exp } = await load(args);
      const dir = sweepDirOf(exp);
      if (args.json) {
        process.stdout.write(
          `${JSON.stringify({ experiment: exp.name, dir, trials: exp.trials.map((t) => ({ name: t.name, group: t.group, config: t.config })) }, null, 2)}\n`,
        );
      } else {
        process.stdout.write(`# ${exp.name}: ${exp.trials.length} trial(s) → ${dir}\n`);
        if (args.verbose)
          for (const t of exp.trials) process.stdout.write(`---\n# trial: ${t.name}\n${stringify(t.config)}`);
        else {
          for (const t of exp.trials) process.stdout.write(`${t.name}\n`);
          process.stdout.write("# --verbose prints each trial's resolved config (defaults filled in)\n");
        }
      }
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};

export const validateCommand: CommandModule<object, Args> = {
  command: 'validate <file>',
  describe: 'Check an experiment file and report every problem at once',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true })
      .option('set', setOption)
      .option('max-trials', maxTrialsOption) as never,
  handler: async (args) => {
    try {
      const { exp } = await load(args);
      process.stdout.write(`✔ ${args.file}: valid, ${exp.trials.length} trial(s)\n`);
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};
