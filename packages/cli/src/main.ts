#!/usr/bin/env node
import { coreVersion } from '@embrec/core';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { indexCommand } from './commands/index-group.ts';
import { planCommand, validateCommand } from './commands/plan.ts';
import { pluginsCommand, schemaCommand } from './commands/plugins.ts';
import { compareCommand, reportCommand } from './commands/results.ts';
import { runCommand } from './commands/run.ts';
import { trackCommand } from './commands/track.ts';
import { EXIT } from './output.ts';

/** The `embrec` command line. Exit codes: 0 success, 1 run failure, 2 usage or config error. */
export async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('embrec')
    .usage(
      '$0 <command> [options]\n\nembrec: embedding-based recommendation experiments from declarative files',
    )
    .command(runCommand as never)
    .command(planCommand as never)
    .command(validateCommand as never)
    .command(pluginsCommand as never)
    .command(schemaCommand as never)
    .command(reportCommand as never)
    .command(compareCommand as never)
    .command(trackCommand as never)
    .command(indexCommand as never)
    .demandCommand(1, 'Say which command to run (embrec --help lists them)')
    .strict()
    .recommendCommands()
    .version(coreVersion)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`✖ ${msg}\n  (embrec --help lists commands and options)\n`);
      process.exit(EXIT.usage);
    })
    .parseAsync();
}

await main(hideBin(process.argv));
