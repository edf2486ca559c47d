import { IdMap, UsageError } from '@embrec/core';
import { compareMetricSets } from '@embrec/eval';
import type { CommandModule } from 'yargs';
import { EXIT, fmt, printError, renderTable, type TableFormat } from '../output.ts';
import { sourceReport, sweepReport } from '../report.ts';
import { readPerUser, readRun } from '../runs.ts';

interface ReportArgs {
  sweep?: string;
  mlflow?: string;
  experiment?: string;
  run?: string;
  format: TableFormat;
  metric?: string[];
  baseline?: string;
  all: boolean;
  select?: string;
  showTest: boolean;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report [sweep]',
  describe:
    'Results table across the trials of a sweep: mean ± 95% CI over seeds, paired significance vs the baseline',
  builder: (y) =>
    y
      .positional('sweep', {
        type: 'string',
        describe: 'sweep folder (<output>/<experiment>); or --mlflow',
      })
      .option('mlflow', {
        type: 'string',
        describe: 'Build the table from an MLflow server (http://HOST:PORT) instead of a folder',
      })
      .option('experiment', {
        type: 'string',
        describe: "With --mlflow: the MLflow experiment (its latest sweep's parent run)",
      })
      .option('run', {
        type: 'string',
        describe: "With --mlflow: the sweep's parent run id",
      })
      .option('format', { choices: ['md', 'csv', 'latex'] as const, default: 'md' as const })
      .option('metric', {
        type: 'string',
        array: true,
        describe: 'Metrics to show (display names, e.g. NDCG@20)',
      })
      .option('baseline', {
        type: 'string',
        describe:
          'Baseline by axis values (model=mf, or loss.temperature=1,model=mf) or group name (default: sweep.baseline)',
      })
      .option('all', {
        type: 'boolean',
        default: false,
        describe: 'Every metric of the runs (default: the metrics the experiment asked for)',
      })
      .option('select', {
        type: 'string',
        describe:
          'Pick the trial group with the best validation mean over its seeds (e.g. valid.NDCG@20); test is shown for that group only',
      })
      .option('show-test', {
        type: 'boolean',
        default: false,
        describe: "With --select: show the other groups' test metrics too",
      }) as never,
  handler: async (args) => {
    try {
      const opts = {
        format: args.format,
        all: args.all,
        showTest: args.showTest,
        ...(args.metric ? { metrics: args.metric } : {}),
        ...(args.baseline ? { baseline: args.baseline } : {}),
        ...(args.select ? { select: args.select } : {}),
      };
      let r: ReturnType<typeof sweepReport>;
      if (args.mlflow) {
        if (args.sweep)
          throw new UsageError(
            `give either a sweep folder (${args.sweep}) or --mlflow ${args.mlflow} with --experiment/--run, not both`,
          );
        const { mlflowSource } = await import('../mlflow-report.ts');
        const { src, close } = await mlflowSource({
          uri: args.mlflow,
          experiment: args.experiment,
          run: args.run,
          warn: (l) => process.stderr.write(`⚠ ${l}\n`),
        });
        try {
          r = sourceReport(src, opts);
        } finally {
          close();
        }
      } else {
        if (!args.sweep)
          throw new UsageError(
            'embrec report needs a sweep folder (embrec report runs/my-sweep) or --mlflow http://HOST:PORT --experiment NAME',
          );
        if (args.experiment || args.run) throw new UsageError('--experiment and --run go with --mlflow');
        r = sweepReport(args.sweep, opts);
      }
      for (const w of r.warnings) process.stderr.write(`⚠ ${w}\n`);
      process.stdout.write(`${r.text}\n`);
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};

interface CompareArgs {
  runA: string;
  runB: string;
  format: TableFormat;
  metric?: string[];
  samples: number;
  pipeline: boolean;
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare <runA> <runB>',
  describe: 'Two runs side by side: metrics, paired t-test and bootstrap CI of the difference over users',
  builder: (y) =>
    y
      .positional('runA', { type: 'string', demandOption: true, describe: 'trial folder' })
      .positional('runB', { type: 'string', demandOption: true, describe: 'trial folder' })
      .option('format', { choices: ['md', 'csv', 'latex'] as const, default: 'md' as const })
      .option('metric', { type: 'string', array: true })
      .option('samples', { type: 'number', default: 2000, describe: 'bootstrap resamples' })
      .option('pipeline', {
        type: 'boolean',
        default: false,
        describe: 'compare the retrieval-pipeline metrics',
      }) as never,
  handler: (args) => {
    try {
      const ids = new IdMap();
      const which = args.pipeline ? 'pipeline' : 'model';
      const a = readPerUser(args.runA, ids, which);
      const b = readPerUser(args.runB, ids, which);
      const t = compareMetricSets(a, b, {
        samples: args.samples,
        ...(args.metric ? { metrics: args.metric } : {}),
      });
      const rows = t.rows.map((r) => [
        r.metric,
        fmt(r.a),
        fmt(r.b),
        `${r.diff >= 0 ? '+' : ''}${fmt(r.diff)} (${(r.relDiff * 100).toFixed(1)}%)`,
        `[${fmt(r.ciLow)}, ${fmt(r.ciHigh)}]`,
        Number.isNaN(r.p) ? 'n/a' : r.p < 1e-4 ? r.p.toExponential(1) : r.p.toFixed(4),
      ]);
      const header = [
        'metric',
        'A',
        'B',
        'A − B',
        `${Math.round(t.level * 100)}% CI (bootstrap)`,
        'p (paired t)',
      ];
      process.stdout.write(`${renderTable(header, rows, args.format)}\n`);
      if (args.format === 'md') {
        const ra = readRun(args.runA);
        const rb = readRun(args.runB);
        const other = Object.keys(ra.values).filter((k) => !t.rows.some((r) => r.metric === k));
        if (other.length > 0) {
          const side = other.map((k) => [
            k,
            fmt(ra.values[k] ?? Number.NaN),
            fmt(rb.values[k] ?? Number.NaN),
          ]);
          process.stdout.write(`\n${renderTable(['metric (aggregate)', 'A', 'B'], side, 'md')}\n`);
        }
        process.stdout.write(
          `\nprotocol: ${t.protocol}; ${t.users} paired users (${t.onlyA} only in A, ${t.onlyB} only in B); A = ${args.runA}, B = ${args.runB}\n`,
        );
      }
      process.exitCode = EXIT.ok;
    } catch (e) {
      process.exitCode = printError(e);
    }
  },
};
