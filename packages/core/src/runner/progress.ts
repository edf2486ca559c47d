import cliProgress from 'cli-progress';
import type { Progress } from '../plugin/kinds.ts';

export type ProgressMode = 'bar' | 'lines' | 'none';

/** A progress bar on a terminal, one plain line when the task completes otherwise, nothing in --json mode. */
export function makeProgress(
  mode: ProgressMode,
  label: string,
  total: number,
  write: (line: string) => void,
): Progress {
  if (mode === 'none' || total <= 0) return { tick: () => {}, done: () => {} };
  if (mode === 'bar') {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% {value}/{total} eta {eta_formatted} {info}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: '' });
    return {
      tick: (n = 1, info) => bar.increment(n, { info: info ? formatInfo(info) : '' }),
      done: () => bar.stop(),
    };
  }
  // Not a terminal (CI logs, pipes, logs.txt): one line when the task completes (one per epoch for the
  // trainer), so a long run's log stays readable.
  let value = 0;
  let reported = false;
  const start = Date.now();
  return {
    tick: (n = 1, info) => {
      value += n;
      if (reported || value < total) return;
      reported = true;
      const secs = ((Date.now() - start) / 1000).toFixed(1);
      write(`${label}: ${total}/${total} (${secs}s)${info ? ` ${formatInfo(info)}` : ''}`);
    },
    done: () => {},
  };
}

function formatInfo(info: Record<string, string | number>): string {
  return Object.entries(info)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toPrecision(4)) : v}`)
    .join(' ');
}
