/**
 * Single-query exact search against the memory-bandwidth floor (issue 19): n × d random item
 * vectors, batch 1, k = 100, one thread. The floor is the item matrix's bytes divided by the
 * bandwidth measured in the same run by a memcpy of the same matrix (Float32Array.set; its traffic
 * counted as read + write, so the floor is optimistic). Prints ns/query for the GEMV path (default
 * for ≤ 8 queries) and the GEMM path, and each one's ratio to the floor.
 *
 *   nice -n 10 node --conditions=source --import tsx bench/ann-gemv.ts [--n 200000] [--d 128] [--reps 30]
 */
import { topkDot } from '@embrec/native';

const argv = process.argv.slice(2);
const arg = (name: string, def: string): number => {
  const i = argv.indexOf(`--${name}`);
  return Number(i >= 0 ? argv[i + 1] : def);
};
const n = arg('n', '200000');
const d = arg('d', '128');
const reps = arg('reps', '30');
const k = 100;

let seed = 1;
const rand = () => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 2 ** 32 - 0.5;
};
const items = Float32Array.from({ length: n * d }, rand);
const queries = Float32Array.from({ length: reps * d }, rand);
const bytes = items.byteLength;

/** Median seconds of fn over reps calls (after one warm-up). */
function median(fn: (r: number) => void): number {
  fn(0);
  const t: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    fn(r);
    t.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)] as number;
}

const dst = new Float32Array(items.length);
const copy = median(() => dst.set(items));
const bandwidth = (2 * bytes) / copy; // read + write
const floor = bytes / bandwidth;
const q = (r: number) => queries.subarray(r * d, (r + 1) * d);
const gemv = median((r) => topkDot(q(r), items, d, k, { path: 'gemv' }));
const gemm = median((r) => topkDot(q(r), items, d, k, { path: 'gemm' }));
const fmt = (s: number) => `${(s * 1e3).toFixed(2)} ms`;
console.log(
  `items ${n} × ${d} float32 = ${(bytes / 2 ** 20).toFixed(1)} MiB, batch 1, k ${k}, 1 thread, ${reps} reps`,
);
console.log(`memcpy bandwidth ${(bandwidth / 1e9).toFixed(2)} GB/s -> floor ${fmt(floor)} / query`);
console.log(`gemv ${fmt(gemv)} / query = ${(gemv / floor).toFixed(2)}× floor`);
console.log(`gemm ${fmt(gemm)} / query = ${(gemm / floor).toFixed(2)}× floor`);
