import { parseGrid, runSweepTool } from '@embrec/indexes';
import type { CommandModule } from 'yargs';
import { EXIT, printError } from '../output.ts';

export interface IndexToolArgs {
  input: string;
  index?: string[] | undefined;
  grid?: string[] | undefined;
  k?: number | undefined;
  queries: number;
  batch: number[];
  threads: number[];
  'min-time': number;
  out?: string | undefined;
  'x-param'?: string | undefined;
  seed: number;
}

/** Options shared by `index sweep` and `index auto-tune`. */
export function indexToolOptions<T>(y: import('yargs').Argv<T>): import('yargs').Argv<T> {
  return y
    .positional('input', {
      type: 'string',
      demandOption: true,
      describe: 'experiment file (its latest run), run folder, embeddings folder, .npy or .f32',
    })
    .option('index', {
      type: 'string',
      array: true,
      describe:
        'index to sweep (repeatable): exact | hnsw:M=32 | faiss:IVF1024,PQ16x4fs | "{type: faiss, factory: HNSW32}"',
    })
    .option('grid', {
      type: 'string',
      array: true,
      describe: 'override a search-parameter grid: nprobe=1,4,16',
    })
    .option('k', {
      type: 'number',
      describe: 'cutoff (default: the experiment’s retrieve.k capped at 100, else 100)',
    })
    .option('queries', {
      type: 'number',
      default: 1000,
      describe: 'queries, sampled from the user embeddings (else items)',
    })
    .option('batch', { type: 'number', array: true, default: [1, 256], describe: 'queries per search call' })
    .option('threads', { type: 'number', array: true, default: [1, 2], describe: 'threads per call' })
    .option('min-time', { type: 'number', default: 0.5, describe: 'seconds of timing per setting and mode' })
    .option('out', { type: 'string', describe: 'output folder (default <run>/artifacts/index-sweep)' })
    .option('seed', { type: 'number', default: 0 }) as never;
}

export const indexSweepCommand: CommandModule<object, IndexToolArgs> = {
  command: 'sweep <input>',
  describe: 'Recall@k against exact search and queries/s over an index parameter grid; Pareto front and plot',
  builder: (y) =>
    indexToolOptions(y).option('x-param', {
      type: 'string',
      describe: 'plot recall against this search parameter (nprobe) instead of queries/s',
    }) as never,
  handler: async (args) => {
    try {
      const res = await runSweepTool({
        input: args.input,
        ...(args.index === undefined ? {} : { indexes: args.index }),
        ...(args.grid === undefined ? {} : { grid: parseGrid(args.grid) }),
        ...(args.k === undefined ? {} : { k: args.k }),
        queries: args.queries,
        batchSizes: args.batch,
        threads: args.threads,
        minTime: args['min-time'],
        ...(args.out === undefined ? {} : { out: args.out }),
        ...(args['x-param'] === undefined ? {} : { xParam: args['x-param'] }),
        seed: args.seed,
        log: (l) => process.stderr.write(`${l}\n`),
      });
      const { readFile } = await import('node:fs/promises');
      const md = await readFile(res.files.md, 'utf8');
      process.stdout.write(md.slice(md.indexOf('## Pareto')));
      process.stdout.write(
        `\nwrote ${res.files.json}, ${res.files.md}, ${res.files.svg}, ${res.files.png}\n`,
      );
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};
