/**
 * EMBREC_BENCH_SMOKE=1: the benchmarks' smoke mode, honoured here and only here. Each benchmark asks
 * `sized(full, tiny)` for its sizes (data points, steps, repetitions, seeds) and `runPeer(name)` before
 * starting its Python peer, so that test/docs/bench-commands.spec.ts can run every command
 * docs/benchmarks.md shows, with its exact arguments, in seconds: the same code paths, the same table
 * printed, at tiny sizes and without the peer (Python peers are installed by scripts/bench-setup.sh,
 * which the test suite does not run). Numbers printed in smoke mode measure nothing.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export const smoke = process.env.EMBREC_BENCH_SMOKE === '1';

if (smoke)
  process.stdout.write(
    'smoke run (EMBREC_BENCH_SMOKE=1): tiny sizes, no Python peer; the numbers mean nothing\n',
  );

/** `full` normally, `tiny` in smoke mode. */
export function sized<T>(full: T, tiny: T): T {
  return smoke ? tiny : full;
}

/** Whether to start the Python peer `name`: not in smoke mode (a line says so), else `wanted`. */
export function runPeer(name: string, wanted = true): boolean {
  if (!wanted) return false;
  if (smoke) {
    process.stdout.write(`smoke run: peer ${name} skipped\n`);
    return false;
  }
  return true;
}

/**
 * The Python that runs the peers that need no venv of their own: $EMBREC_BENCH_PYTHON, else the venv
 * scripts/bench-setup.sh makes (~/.cache/embrec/bench-venv), else python3 on PATH.
 */
export function peerPython(): string {
  if (process.env.EMBREC_BENCH_PYTHON) return process.env.EMBREC_BENCH_PYTHON;
  const venv = path.join(homedir(), '.cache', 'embrec', 'bench-venv', 'bin', 'python');
  return existsSync(venv) ? venv : 'python3';
}
