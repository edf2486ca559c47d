import { EmbrecError, type RunEvent, UsageError } from '@embrec/core';
import type { CommandModule } from 'yargs';
import { describeTracking, EXIT, fmt, printError } from '../output.ts';
import { renderSweepPlots } from '../plots.ts';
import { load, maxTrialsOption, setOption } from './common.ts';

interface Args {
  file: string;
  set?: string[];
  output?: string;
  json: boolean;
  force: boolean;
  only?: string[];
  quiet: boolean;
  'max-failures': number;
  shard?: string;
  queue?: string;
  retries: number;
}

function describeEvent(e: RunEvent): string | undefined {
  switch (e.type) {
    case 'sweep-start':
      return `▶ ${e.experiment}: ${e.trials} trial${e.trials === 1 ? '' : 's'} (${e.toRun} to run) → ${e.dir}`;
    case 'trial-skip':
      return `↷ ${e.trial}: skipped, ${e.reason}`;
    case 'trial-start':
      return `● trial ${e.index}/${e.total}: ${e.trial}`;
    case 'trial-end': {
      const m = Object.entries(e.metrics)
        .slice(0, 8)
        .map(([k, v]) => `${k}=${fmt(v)}`)
        .join('  ');
      const recs = (e.samples ?? [])
        .map(
          (s) =>
            `  user ${s.user} (recently: ${s.recent.join('; ')})\n${s.recommended
              .map((r, i) => `    ${i + 1}. ${r.name}  score ${fmt(r.score, 3)}${r.hit ? '  ✓ in test' : ''}`)
              .join('\n')}`,
        )
        .join('\n');
      return `${e.status === 'FINISHED' ? '✔' : '✖'} ${e.trial}: ${e.status}${m ? `  ${m}` : ''}${e.error ? `\n${e.error}` : ''}${recs ? `\n  recommendations for a few test users:\n${recs}` : ''}`;
    }
    case 'warning':
      return `⚠ ${e.message}`;
    case 'sweep-end':
      return `■ ${e.experiment}: ${e.finished} finished, ${e.failed} failed, ${e.skipped} skipped → ${e.dir}\n${describeTracking(e.dir)}`;
    default:
      return undefined;
  }
}

export const runCommand: CommandModule<object, Args> = {
  command: 'run <file>',
  describe: 'Run an experiment file (every trial of its sweep); finished trials are skipped',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'experiment file (YAML or JSON)' })
      .option('set', setOption)
      .option('max-trials', maxTrialsOption)
      .option('output', {
        type: 'string',
        describe: 'Folder for run folders (default: the file\'s "output")',
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'Print machine-readable JSON lines on stdout',
      })
      .option('force', { type: 'boolean', default: false, describe: 'Re-run trials that finished before' })
      .option('only', {
        type: 'string',
        array: true,
        describe:
          'Run only these trials (by name, as `embrec plan` prints them; an unknown name is an error)',
      })
      .option('quiet', {
        type: 'boolean',
        default: false,
        describe: 'Only warnings and errors on the console (logs.txt stays complete)',
      })
      .option('max-failures', {
        type: 'number',
        default: 10,
        describe: 'Stop the sweep once this many trials failed',
      })
      .option('shard', {
        type: 'string',
        describe: 'Run only shard I of N (every N-th trial), coordinating per trial: --shard 2/3',
      })
      .option('queue', {
        type: 'string',
        describe:
          'Enqueue the trials on a Redis queue (redis://HOST:PORT) for embrec worker, and follow them',
      })
      .option('retries', {
        type: 'number',
        default: 2,
        describe:
          'Times a failed trial is tried again (after the other trials; with --queue by any worker) before it is marked failed',
      }) as never,
  handler: async (args) => {
    const ac = new AbortController();
    let interrupts = 0;
    const onSignal = () => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      process.stderr.write(
        '\ninterrupt: stopping after the current step (Ctrl-C again to quit now); finished trials are kept\n',
      );
      ac.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const maxFailures = args['max-failures'];
      if (!Number.isInteger(maxFailures) || maxFailures < 1)
        throw new UsageError(`--max-failures expects a whole number of at least 1, found ${maxFailures}`);
      const retries = args.retries;
      if (!Number.isInteger(retries) || retries < 0)
        throw new UsageError(`--retries expects a whole number of at least 0, found ${retries}`);
      const { exp, registry } = await load(args);
      if (args.only) {
        // a name that matches no trial would silently run nothing: say which names exist
        const names = exp.trials.map((t) => t.name);
        const unknown = args.only.filter((n) => !names.includes(n));
        if (unknown.length > 0) {
          const shown = names.slice(0, 6).map((n) => `"${n}"`);
          throw new UsageError(
            `--only ${unknown.map((n) => `"${n}"`).join(', ')}: no trial of "${exp.name}" has that name; its trials are ${shown.join(', ')}${names.length > shown.length ? `, … (${names.length} in all)` : ''} (\`embrec plan\` lists them; a name has every axis value and the seed)`,
          );
        }
      }
      if (args.queue) {
        const { runOnQueue } = await import('../queue/enqueue.ts');
        process.exitCode = await runOnQueue(exp, args.queue, { ...args, signal: ac.signal });
        return;
      }
      const shard = args.shard ? await import('../queue/shard.ts') : undefined;
      const part =
        shard && args.shard ? shard.shardTrials(exp.trials, shard.parseShard(args.shard)) : undefined;
      const only = part
        ? part.map((t) => t.name).filter((n) => !args.only || args.only.includes(n))
        : args.only;
      const claim = part ? (await import('../queue/lease.ts')).tryLease : undefined;
      const { runWithRetries } = await import('../queue/retry.ts');
      const outcome = await runWithRetries(
        exp,
        {
          registry,
          signal: ac.signal,
          progress: args.json ? 'none' : process.stderr.isTTY ? 'bar' : 'lines',
          logLevel: args.quiet ? 'warn' : 'info',
          force: args.force,
          maxFailures,
          ...(claim ? { claim } : { onSweepEnd: renderSweepPlots }),
          ...(only ? { only } : {}),
          ...(args.output ? { output: args.output } : {}),
          onEvent: (e) => {
            if (args.json) process.stdout.write(`${JSON.stringify(e)}\n`);
            else if (
              !args.quiet ||
              e.type === 'warning' ||
              (e.type === 'trial-end' && e.status !== 'FINISHED')
            ) {
              const line = describeEvent(e);
              if (line) process.stderr.write(`${line}\n`);
            }
          },
        },
        retries,
      );
      if (outcome.aborted) process.exitCode = 130;
      else process.exitCode = outcome.failed.length > 0 ? EXIT.failure : EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
      // another run holds the sweep folder: a usage error, nothing was run
      if (e instanceof EmbrecError && e.code === 'E_LOCKED') process.exitCode = EXIT.usage;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
