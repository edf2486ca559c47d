import type { CommandModule } from 'yargs';

/** One `embrec` command: its usage line and description, and the module that implements it. */
export interface CommandEntry {
  command: string;
  describe: string;
  load(): Promise<CommandModule>;
}

/**
 * Every `embrec` command. A command's module is imported only when that command runs (or shows its
 * own help): importing them all loads the whole framework (tfjs, zod schemas, inversify) — most of
 * a second that `embrec --help` would wait for lines it already has here.
 * test/packaging/cli-commands.spec.ts checks these lines against the modules.
 */
export const COMMANDS: readonly CommandEntry[] = [
  {
    command: 'run <file>',
    describe: 'Run an experiment file (every trial of its sweep); finished trials are skipped',
    load: async () => (await import('./commands/run.ts')).runCommand as CommandModule,
  },
  {
    command: 'plan <file>',
    describe: "Print every trial's resolved config (defaults filled in) without running anything",
    load: async () => (await import('./commands/plan.ts')).planCommand as CommandModule,
  },
  {
    command: 'validate <file>',
    describe: 'Check an experiment file and report every problem at once',
    load: async () => (await import('./commands/plan.ts')).validateCommand as CommandModule,
  },
  {
    command: 'plugins',
    describe: 'List every component with its kind, package and parameters',
    load: async () => (await import('./commands/plugins.ts')).pluginsCommand as CommandModule,
  },
  {
    command: 'schema',
    describe: 'Write the JSON Schema of experiment files (for editor autocompletion)',
    load: async () => (await import('./commands/plugins.ts')).schemaCommand as CommandModule,
  },
  {
    command: 'report [sweep]',
    describe:
      'Results table across the trials of a sweep: mean ± 95% CI over seeds, paired significance vs the baseline',
    load: async () => (await import('./commands/results.ts')).reportCommand as CommandModule,
  },
  {
    command: 'compare <runA> <runB>',
    describe: 'Two runs side by side: metrics, paired t-test and bootstrap CI of the difference over users',
    load: async () => (await import('./commands/results.ts')).compareCommand as CommandModule,
  },
  {
    command: 'worker',
    describe: 'Take trials from a Redis queue (embrec run --queue) and run them, until stopped',
    load: async () => (await import('./commands/worker.ts')).workerCommand as CommandModule,
  },
  {
    command: 'track <command>',
    describe: 'Experiment tracking (MLflow)',
    load: async () => (await import('./commands/track.ts')).trackCommand as CommandModule,
  },
  {
    command: 'index <command>',
    describe: 'ANN index tooling: recall/speed sweeps and auto-tuning',
    load: async () => (await import('./commands/index-group.ts')).indexCommand as CommandModule,
  },
  {
    command: 'analyze <run>',
    describe:
      'Embedding analysis of a finished trial: neighbours, t-SNE/UMAP maps, attribute structure, popularity bias → artifacts/analysis/report.html',
    load: async () => (await import('./commands/analyze.ts')).analyzeCommand as CommandModule,
  },
  {
    command: 'recommend <run>',
    describe: "Top-k items for a user from a finished trial's embeddings (exact search, seen items excluded)",
    load: async () => (await import('./commands/recommend.ts')).recommendCommand as CommandModule,
  },
  {
    command: 'similar-items <run>',
    describe: "Nearest items to an item by cosine of a finished trial's item embeddings (exact search)",
    load: async () => (await import('./commands/similar-items.ts')).similarItemsCommand as CommandModule,
  },
  {
    command: 'ui [output]',
    describe:
      'Start a local MLflow UI on 127.0.0.1 over an output folder (SQLite store beside the runs), sync its runs into it; Ctrl-C stops it',
    load: async () => (await import('./commands/ui.ts')).uiCommand as CommandModule,
  },
  {
    command: 'finance <measure> <run>',
    describe:
      'Finance measures of a finished sweep or trial beside their baselines: securities (sector purity, loading R²), clients (style NMI, same-style peers), cold-start (Recall@20)',
    load: async () => (await import('./commands/finance.ts')).financeCommand as CommandModule,
  },
  {
    command: 'export <run>',
    describe:
      'Export a finished trial as a self-contained serving bundle (embeddings, index, id maps, item metadata, pipeline, manifest)',
    load: async () => (await import('./commands/export.ts')).exportCommand as CommandModule,
  },
  {
    command: 'serve <bundle>',
    describe:
      'Serve a bundle (or a finished run, exported on the fly to <run>/bundle) over HTTP: recommendations, similar items, metrics, a page at /',
    load: async () => (await import('./commands/serve.ts')).serveCommand as CommandModule,
  },
];

/** The command's name: the first word of its usage line. */
export function commandName(entry: CommandEntry): string {
  return entry.command.split(' ')[0] ?? entry.command;
}

/**
 * The yargs module for each command: the chosen one (named by the first non-option argument) is
 * imported; the others are listed by their usage line only, and import their module if run.
 */
export async function commandModules(argv: readonly string[]): Promise<CommandModule[]> {
  const name = argv.find((a) => !a.startsWith('-'));
  return await Promise.all(
    COMMANDS.map(async (c): Promise<CommandModule> => {
      if (commandName(c) === name) return await c.load();
      return {
        command: c.command,
        describe: c.describe,
        handler: async (args) => {
          await (await c.load()).handler(args);
        },
      };
    }),
  );
}
