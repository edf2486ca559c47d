import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, EmbrecError } from '@embrec/core';

/** Exit codes: 0 success, 1 run failure, 2 usage or config error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Prints an error the way users should see it (never a bare stack trace unless EMBREC_DEBUG=1). */
export function printError(e: unknown): number {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.format()}\n`);
    return EXIT.usage;
  }
  if (e instanceof EmbrecError) {
    process.stderr.write(`${e.format()}\n`);
    if (process.env.EMBREC_DEBUG && e.cause instanceof Error) process.stderr.write(`${e.cause.stack}\n`);
    return e.code === 'E_USAGE' ||
      e.code.startsWith('E_CONFIG') ||
      e.code === 'E_UNKNOWN_TYPE' ||
      e.code.startsWith('E_PLUGIN_')
      ? EXIT.usage
      : EXIT.failure;
  }
  const err = e as Error;
  process.stderr.write(`✖ ${err?.message ?? String(e)}\n`);
  if (process.env.EMBREC_DEBUG && err?.stack) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write('  (set EMBREC_DEBUG=1 for the stack trace)\n');
  return EXIT.failure;
}

/** Formats a number for tables. */
export function fmt(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000 || (Math.abs(x) < 1e-3 && x !== 0)) return x.toExponential(2);
  return x.toFixed(digits);
}

/** A number to `digits` significant digits (`0.07101`, `11.41`, `1.235e+5`); NaN prints as `n/a`. */
export function sig(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'n/a';
  if (!Number.isFinite(x)) return String(x);
  return x.toPrecision(digits);
}

export type TableFormat = 'md' | 'csv' | 'latex';

/** Renders a table as Markdown, CSV or LaTeX. */
export function renderTable(header: string[], rows: string[][], format: TableFormat): string {
  if (format === 'csv') {
    const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    return [header, ...rows].map((r) => r.map(q).join(',')).join('\n');
  }
  if (format === 'latex') {
    const esc = (s: string) =>
      s
        .replace(/([&%$#_{}])/g, '\\$1')
        .replace(/±/g, '$\\pm$')
        .replace(/@/g, '@');
    return [
      `\\begin{tabular}{l${'r'.repeat(header.length - 1)}}`,
      '\\toprule',
      `${header.map(esc).join(' & ')} \\\\`,
      '\\midrule',
      ...rows.map((r) => `${r.map(esc).join(' & ')} \\\\`),
      '\\bottomrule',
      '\\end{tabular}',
    ].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * Where a finished sweep went in MLflow, from its folders' tracking files (`mlflow.json`: the run
 * per server; `mlflow-outbox.jsonl`: what waits for an unreachable server): the tracking URI and
 * run id with the run's page, the command that pushes an outbox, or how to see the folder in MLflow.
 */
export function describeTracking(sweepDir: string): string {
  const lines: string[] = [];
  const runsOf = (dir: string, label: string): string[] => {
    const marker = join(dir, 'mlflow.json');
    if (!existsSync(marker)) return [];
    try {
      const m = JSON.parse(readFileSync(marker, 'utf8')) as {
        servers?: Record<string, { experimentId?: string; runId?: string }>;
      };
      return Object.entries(m.servers ?? {})
        .filter(([, e]) => e.runId)
        .map(
          ([uri, e]) =>
            `MLflow: ${uri}  run ${e.runId}${label}  ${uri.replace(/\/$/, '')}/#/experiments/${e.experimentId}/runs/${e.runId}`,
        );
    } catch {
      return [`MLflow: ${marker} is unreadable`];
    }
  };
  const trials = existsSync(sweepDir)
    ? readdirSync(sweepDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
        .map((d) => d.name)
    : [];
  lines.push(...runsOf(sweepDir, ''));
  // no sweep run (a single trial): the trials' own runs, a few of them
  if (lines.length === 0) {
    const per = trials.flatMap((t) => runsOf(join(sweepDir, t), ` (${t})`));
    lines.push(...per.slice(0, 5));
    if (per.length > 5) lines.push(`MLflow: … and ${per.length - 5} more trial runs`);
  }
  let waiting = existsSync(join(sweepDir, 'mlflow-outbox.jsonl')) ? 1 : 0;
  for (const t of trials) if (existsSync(join(sweepDir, t, 'mlflow-outbox.jsonl'))) waiting++;
  if (waiting > 0)
    lines.push(
      `MLflow: ${waiting} run folder${waiting === 1 ? '' : 's'} not yet pushed (server unreachable): embrec track sync ${sweepDir} --uri <server>`,
    );
  if (lines.length === 0)
    lines.push(
      `MLflow: not tracked (MLFLOW_TRACKING_URI unset); \`embrec ui ${dirname(sweepDir)}\` shows these runs in a local MLflow UI`,
    );
  return lines.join('\n');
}
