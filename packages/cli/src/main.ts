#!/usr/bin/env node
import { createRequire } from 'node:module';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commandModules } from './commands.ts';

/** EXIT.usage of output.ts, which this file does not import: it loads @embrec/core (slow `--help`). */
const USAGE_EXIT = 2;
/** The package's version (all embrec packages share one: packages/core/src/version.ts). */
const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/**
 * A closed stdout (`embrec plan … | head`) ends the process quietly, as Unix tools do, instead of an
 * EPIPE stack trace.
 */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

/** The `embrec` command line. Exit codes: 0 success, 1 run failure, 2 usage or config error. */
export async function main(argv: string[]): Promise<void> {
  exitQuietlyOnClosedPipe(process.stdout);
  let cli = yargs(argv)
    .scriptName('embrec')
    .usage(
      '$0 <command> [options]\n\nembrec: embedding-based recommendation experiments from declarative files',
    );
  for (const command of await commandModules(argv)) cli = cli.command(command as never);
  await cli
    .demandCommand(1, 'Say which command to run (embrec --help lists them)')
    .strict()
    .recommendCommands()
    .version(version)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`✖ ${msg}\n  (embrec --help lists commands and options)\n`);
      process.exit(USAGE_EXIT);
    })
    .parseAsync();
}

await main(hideBin(process.argv));
