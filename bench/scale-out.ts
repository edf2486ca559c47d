/**
 * Scale-out: a sweep of trials that mostly wait (test/fixtures/sleep-plugin's `sleep/popular`, not a
 * built-in, so this machine's two cores do not limit it) run through `embrec run --queue` by 1, 2, 4
 * and 8 `embrec worker` processes on one local Redis (appendonly yes, loopback).
 * Goal (issue 18): throughput ≥ 0.9× linear at each worker count; reports the overhead per trial.
 *
 *   node --conditions=source --import tsx bench/scale-out.ts [--trials 16] [--ms 4000] [--workers 1,2,4,8]
 *
 * Time per round: from the follower's "enqueued" line (workers already started, warmed up and idle)
 * to its exit (every trial finished). Linear = workers × 1000 / ms trials per second. Overhead per
 * trial = elapsed × workers / trials − ms: what a trial costs beyond its sleep (loading the
 * experiment, the demo data, evaluation, the run folder, the queue round trips), in wall time.
 * CPU per trial = the CPU seconds (user + system, from /proc) the workers spent during the round,
 * divided by the trials: unlike wall time it does not grow with the machine's load, so it says how
 * much work a trial adds; on a loaded machine each CPU millisecond costs several wall milliseconds.
 */
import { readFileSync } from 'node:fs';
import { startCli } from '../test/scale-out/proc.ts';
import { redisCli, startRedis } from '../test/scale-out/redis.ts';
import { sleepSweep } from '../test/scale-out/sweep.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const trials = Number(arg('trials', '16'));
const ms = Number(arg('ms', '4000'));
const counts = arg('workers', '1,2,4,8').split(',').map(Number);
const env = { MLFLOW_TRACKING_URI: '' };

/** CPU seconds (user + system) a live process used so far (Linux /proc; NaN elsewhere). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s)
  } catch {
    return Number.NaN;
  }
}
const load1 = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

const redis = await startRedis();
const rows: string[] = [];
const loads: number[] = [];
try {
  for (const w of counts) {
    redisCli(redis.port, 'FLUSHALL');
    const s = sleepSweep({
      name: `bench-${w}`,
      ms,
      powers: [1],
      seeds: Array.from({ length: trials }, (_, i) => i + 1),
    });
    const workers = Array.from({ length: w }, () =>
      startCli(['worker', '--queue', redis.url, '--output', s.out], env),
    );
    // workers are started and idle (backend and a tiny trial warmed up) before the clock starts
    await Promise.all(workers.map((p) => p.waitFor(/^worker .* on redis:.*\n/m, 300_000)));
    const cpu0 = workers.reduce((a, p) => a + cpuSeconds(p.child.pid), 0);
    loads.push(load1());
    const follow = startCli(['run', s.file, '--output', s.out, '--queue', redis.url, '--json'], env);
    await follow.waitFor(/enqueued/, 120_000);
    const t0 = performance.now();
    const done = await follow.exited;
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = workers.reduce((a, p) => a + cpuSeconds(p.child.pid), 0) - cpu0;
    loads.push(load1());
    if (done.code !== 0) throw new Error(`the sweep failed: ${follow.stderr()}`);
    const throughput = trials / elapsed;
    const linear = (w * 1000) / ms;
    const overhead = (elapsed * w) / trials - ms / 1000;
    rows.push(
      `| ${w} | ${trials} | ${elapsed.toFixed(1)} s | ${throughput.toFixed(3)} | ${linear.toFixed(3)} | ${(throughput / linear).toFixed(2)} | ${overhead.toFixed(2)} s | ${((1000 * cpu) / trials).toFixed(0)} ms |`,
    );
    console.log(rows.at(-1));
    for (const p of workers) p.child.kill('SIGTERM');
    await Promise.all(workers.map((p) => p.exited));
  }
} finally {
  await redis.stop();
}
console.log(`\n| workers | trials | elapsed | trials/s | linear | × linear | overhead/trial (wall) | worker CPU/trial |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

1-minute load average during the rounds: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} (${Math.max(...loads) > 2 ? 'measured under load' : 'quiet machine'})`);
