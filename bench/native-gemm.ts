// GEMM throughput from Node (@embrec/native sgemm on zero-copy Float32Arrays, and through tfjs's
// BatchMatMul with the native kernel registered) against OpenBLAS called from C in the same run
// (bench/native-gemm/gemm.c, compiled here with cc), alternating the two for --rounds rounds (default 5). One BLAS
// thread everywhere.
//
//   node --conditions=source --import tsx bench/native-gemm.ts [--reps 30] [--rounds 5] [--no-tfjs-cpu]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupBackend } from '@embrec/core';
import {
  blasConfig,
  getThreads,
  registerNativeKernels,
  sgemm,
  unregisterNativeKernels,
} from '@embrec/native';
import * as tf from '@tensorflow/tfjs-core';
import { sized } from './lib/smoke.ts';

const argv = process.argv.slice(2);
const REPS = (() => {
  const i = argv.indexOf('--reps');
  return sized(i >= 0 ? Number(argv[i + 1]) : 30, 1);
})();
const TFJS_CPU = !argv.includes('--no-tfjs-cpu');
const ROUNDS = (() => {
  const i = argv.indexOf('--rounds');
  return sized(i >= 0 ? Number(argv[i + 1]) : 5, 1);
})();
const SHAPES: [number, number, number][] = sized(
  [
    [1024, 64, 1024],
    [100000, 64, 256],
  ],
  [
    [256, 64, 256],
    [2000, 64, 256],
  ],
);

function stats(f: () => void, reps: number): { best: number; mean: number } {
  f(); // warm-up
  let best = Number.POSITIVE_INFINITY;
  let total = 0;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    const dt = performance.now() - t0;
    total += dt;
    best = Math.min(best, dt);
  }
  return { best, mean: total / reps };
}

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
}

// Compile the C peer.
const here = dirname(fileURLToPath(import.meta.url));
const exe = join(mkdtempSync(join(tmpdir(), 'embrec-gemm-')), 'gemm');
const cc = spawnSync('cc', ['-O2', '-o', exe, join(here, 'native-gemm', 'gemm.c'), '-lopenblas'], {
  encoding: 'utf8',
});
if (cc.status !== 0) throw new Error(`could not compile the C peer: ${cc.stderr}`);

await setupBackend('native', { threads: 1 });
const gflops = (M: number, K: number, N: number, ms: number): number => (2 * M * K * N) / (ms * 1e6);
const lines: string[] = [];
for (const [M, K, N] of SHAPES) {
  const reps = M * N > 1e7 ? Math.max(5, Math.floor(REPS / 3)) : REPS;
  const A = rand(M * K);
  const B = rand(K * N);
  const C = new Float32Array(M * N);
  // Alternate the C peer and Node for ROUNDS rounds and keep each side's best: on a shared machine
  // the load changes from second to second, and alternating exposes both to the same conditions.
  let cBest = Number.POSITIVE_INFINITY;
  let cMeanSum = 0;
  let node = { best: Number.POSITIVE_INFINITY, mean: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const c = spawnSync(exe, [String(M), String(K), String(N), String(reps)], {
      encoding: 'utf8',
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
    });
    const m = /best_ms=([\d.]+) mean_ms=([\d.]+)/.exec(c.stdout);
    if (!m) throw new Error(`C peer failed: ${c.stderr}`);
    cBest = Math.min(cBest, Number(m[1]));
    cMeanSum += Number(m[2]);
    const r = stats(() => sgemm({ M, N, K, A, B, C }), reps);
    node = { best: Math.min(node.best, r.best), mean: node.mean + r.mean / ROUNDS };
  }
  const cMean = cMeanSum / ROUNDS;

  registerNativeKernels();
  const ta = tf.tensor2d(A, [M, K]);
  const tb = tf.tensor2d(B, [K, N]);
  const viaTf = stats(() => tf.matMul(ta, tb).dispose(), reps);
  let pure: { best: number; mean: number } | undefined;
  if (TFJS_CPU && M * N <= 1024 * 1024) {
    unregisterNativeKernels();
    pure = stats(() => tf.matMul(ta, tb).dispose(), 2);
    registerNativeKernels();
  }
  tf.dispose([ta, tb]);

  const shape = `(${M}×${K})·(${K}×${N})`;
  const row = (name: string, best: number, mean: number): string =>
    `| ${shape} | ${name} | ${best.toFixed(3)} | ${mean.toFixed(3)} | ${gflops(M, K, N, best).toFixed(1)} | ${(cBest / best).toFixed(2)}x |`;
  lines.push(row('C: cblas_sgemm', cBest, cMean));
  lines.push(row('Node: @embrec/native sgemm', node.best, node.mean));
  lines.push(row('Node: tf.matMul, native kernel', viaTf.best, viaTf.mean));
  if (pure) lines.push(row('Node: tf.matMul, tfjs cpu (pure JS)', pure.best, pure.mean));
}

const t = getThreads();
console.log(`GEMM, row-major float32, ${blasConfig()}, ${t.blas} BLAS thread(s)`);
console.log('| shape | caller | best ms | mean ms | GFLOP/s (best) | speed vs C (best) |');
console.log('|---|---|---:|---:|---:|---:|');
for (const l of lines) console.log(l);
rmSync(dirname(exe), { recursive: true, force: true });
