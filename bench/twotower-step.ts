// One two-tower training step (in-batch softmax, B=1024, d=64, ID tables 6040/3706, towers
// Linear(64,128)-ReLU-Linear(128,64)-LayerNorm, Adam), timed on tfjs's pure-JS cpu backend, on the
// native backend (same model code) and with the fused in-batch softmax loss; the peer is PyTorch
// doing the identical computation (bench/peers/torch_twotower_step.py), run in the same process tree.
//
//   node --conditions=source --import tsx bench/twotower-step.ts [--steps 30] [--cpu-steps 1]
//        [--no-torch] [--profile]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, setupBackend } from '@embrec/core';
import {
  dense,
  inBatchSoftmaxCrossEntropy,
  inBatchSoftmaxLoss,
  layerNorm,
  nativeAdam,
  nativeAvailable,
  registerNativeKernels,
  unregisterNativeKernels,
} from '@embrec/native';
import * as tf from '@tensorflow/tfjs-core';
import type { ProfileInfo } from '@tensorflow/tfjs-core/dist/engine.js';
import { peerPython, runPeer, sized } from './lib/smoke.ts';

// Load the addon now: a rebuild of it while the slow pure-JS step runs must not break the native runs.
if (!nativeAvailable()) throw new Error('the native addon is not built: run npm rebuild @embrec/native');

const B = sized(1024, 64);
const D = 64;
const NU = sized(6040, 300);
const NI = sized(3706, 200);
const TEMP = 0.1;

const argv = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const STEPS = sized(arg('steps', 30), 2);
const CPU_STEPS = arg('cpu-steps', 1);
const PROFILE = argv.includes('--profile');
const TORCH = !argv.includes('--no-torch');

interface Tower {
  w1: tf.Variable;
  b1: tf.Variable;
  w2: tf.Variable;
  b2: tf.Variable;
  g: tf.Variable;
  be: tf.Variable;
}

function uniform(rng: Rng, shape: number[], bound: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (rng.next() * 2 - 1) * bound;
  return tf.tensor(v, shape);
}

function normal(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return tf.tensor(v, shape);
}

/** Parameters initialised as torch does (Embedding N(0,1), Linear U(±1/sqrt(fan_in)), LayerNorm 1/0). */
function makeModel(seed: number): { U: tf.Variable; V: tf.Variable; tu: Tower; ti: Tower } {
  const rng = new Rng(seed);
  const tower = (): Tower => ({
    w1: tf.variable(uniform(rng, [D, 2 * D], 1 / Math.sqrt(D))),
    b1: tf.variable(uniform(rng, [2 * D], 1 / Math.sqrt(D))),
    w2: tf.variable(uniform(rng, [2 * D, D], 1 / Math.sqrt(2 * D))),
    b2: tf.variable(uniform(rng, [D], 1 / Math.sqrt(2 * D))),
    g: tf.variable(tf.ones([D])),
    be: tf.variable(tf.zeros([D])),
  });
  return {
    U: tf.variable(normal(rng, [NU, D])),
    V: tf.variable(normal(rng, [NI, D])),
    tu: tower(),
    ti: tower(),
  };
}

let fusedLayerNorm = false;

function tower(x: tf.Tensor2D, t: Tower): tf.Tensor2D {
  if (fusedLayerNorm) {
    // the fused ops of @embrec/native: dense layers and LayerNorm with their own gradients
    const h = dense(x, t.w1 as tf.Tensor2D, t.b1 as tf.Tensor1D, 'relu'); // [B, 128]
    const o = dense(h, t.w2 as tf.Tensor2D, t.b2 as tf.Tensor1D); // [B, 64]
    return layerNorm(o, t.g as tf.Tensor1D, t.be as tf.Tensor1D, 1e-5) as tf.Tensor2D;
  }
  const h = tf.fused.matMul({ a: x, b: t.w1 as tf.Tensor2D, bias: t.b1, activation: 'relu' }); // [B, 128]
  const o = tf.fused.matMul({ a: h, b: t.w2 as tf.Tensor2D, bias: t.b2 }); // [B, 64]
  const { mean, variance } = tf.moments(o, -1, true); // [B, 1]
  const n = tf.mul(tf.sub(o, mean), tf.rsqrt(tf.add(variance, 1e-5))); // [B, 64]
  return tf.add(tf.mul(n, t.g), t.be);
}

type LossKind = 'tfjs' | 'fused' | 'fused-qp';
type OptKind = 'tfjs' | 'native';

/** Runs `steps` timed steps after `warmup` untimed ones; returns ms per step (wall, cpu) and losses. */
async function run(
  loss: LossKind,
  optKind: OptKind,
  steps: number,
  warmup: number,
): Promise<{ wall: number; cpu: number; best: number; losses: number[]; profile?: ProfileInfo }> {
  const m = makeModel(1);
  const opt = optKind === 'native' ? nativeAdam(1e-3) : tf.train.adam(1e-3);
  const rng = new Rng(2);
  const labels = tf.eye(B);
  const losses: number[] = [];
  const step = (): void => {
    const u = tf.tensor1d(
      Int32Array.from({ length: B }, () => rng.int(NU)),
      'int32',
    );
    const i = tf.tensor1d(
      Int32Array.from({ length: B }, () => rng.int(NI)),
      'int32',
    );
    const l = opt.minimize(() => {
      const q = tower(tf.gather(m.U, u) as tf.Tensor2D, m.tu); // [B, 64]
      const p = tower(tf.gather(m.V, i) as tf.Tensor2D, m.ti); // [B, 64]
      if (loss === 'fused-qp') return inBatchSoftmaxLoss(q, p, { temperature: TEMP }); // logits stay native
      const logits = tf.matMul(q, p, false, true) as tf.Tensor2D; // [B, B]
      return loss === 'fused'
        ? inBatchSoftmaxCrossEntropy(logits, { temperature: TEMP })
        : (tf.losses.softmaxCrossEntropy(labels, tf.div(logits, TEMP)) as tf.Scalar);
    }, true) as tf.Scalar;
    losses.push(l.dataSync()[0] as number);
    tf.dispose([l, u, i]);
  };
  for (let s = 0; s < warmup; s++) step();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let best = Number.POSITIVE_INFINITY;
  for (let s = 0; s < steps; s++) {
    const ts = performance.now();
    step();
    best = Math.min(best, performance.now() - ts);
  }
  const wall = (performance.now() - t0) / steps;
  const c = process.cpuUsage(c0);
  let profile: ProfileInfo | undefined;
  if (PROFILE) {
    profile = await tf.profile(() => {
      step();
      return [];
    });
  }
  opt.dispose();
  tf.dispose([labels, m.U, m.V, ...Object.values(m.tu), ...Object.values(m.ti)]);
  return { wall, cpu: (c.user + c.system) / 1000 / steps, best, losses, ...(profile ? { profile } : {}) };
}

async function printProfile(label: string, p: ProfileInfo | undefined): Promise<void> {
  if (!p) return;
  const by = new Map<string, number>();
  let total = 0;
  for (const k of p.kernels) {
    const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
    const ms = (await k.kernelTimeMs) as number;
    by.set(key, (by.get(key) ?? 0) + ms);
    total += ms;
  }
  console.log(`\nprofile (${label}): ${total.toFixed(1)} ms in ${p.kernels.length} kernels; top 15:`);
  for (const [k, ms] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`  ${ms.toFixed(2).padStart(8)} ms  ${k}`);
  }
}

function torchPeer(): { wall: number; cpu: number; best: number; version: string } | string {
  const here = dirname(fileURLToPath(import.meta.url));
  const script = join(here, 'peers', 'torch_twotower_step.py');
  if (!existsSync(script)) return 'peer script missing';
  const r = spawnSync(peerPython(), [script], { encoding: 'utf8', env: { ...process.env, THREADS: '1' } });
  const m = /torch (\S+) threads=\d+ step_ms_wall=([\d.]+) step_ms_cpu=([\d.]+) step_ms_min=([\d.]+)/.exec(
    r.stdout ?? '',
  );
  if (!m) return `not available (${(r.stderr || r.stdout || 'no output').trim().split('\n').pop()})`;
  return { version: m[1] as string, wall: Number(m[2]), cpu: Number(m[3]), best: Number(m[4]) };
}

interface Row {
  name: string;
  wall: number;
  cpu: number;
  best: number;
  steps: number;
  loss0?: number;
}
const rows: Row[] = [];
const row = (
  name: string,
  r: { wall: number; cpu: number; best: number; losses: number[] },
  steps: number,
): Row => ({
  name,
  wall: r.wall,
  cpu: r.cpu,
  best: r.best,
  steps,
  loss0: r.losses[0] as number,
});

if (CPU_STEPS > 0) {
  await setupBackend('cpu');
  unregisterNativeKernels();
  rows.push(row('tfjs cpu (pure JS)', await run('tfjs', 'tfjs', CPU_STEPS, 0), CPU_STEPS));
}

const info = await setupBackend('native', { threads: 1 });
registerNativeKernels();
const same = await run('tfjs', 'tfjs', STEPS, 3);
rows.push(row('native (same model code)', same, STEPS));
await printProfile('native, same model code', same.profile);
const fused = await run('fused', 'tfjs', STEPS, 3);
rows.push(row('native + fused softmax CE', fused, STEPS));
await printProfile('native, fused CE', fused.profile);
fusedLayerNorm = true;
const all = await run('fused-qp', 'native', STEPS, 3);
fusedLayerNorm = false;
rows.push(row('native + fused q·pᵀ+CE, dense, LayerNorm, Adam', all, STEPS));
await printProfile('native, fused CE, LayerNorm, Adam', all.profile);

const peer = !TORCH
  ? 'skipped (--no-torch)'
  : runPeer('torch_twotower_step.py')
    ? torchPeer()
    : 'skipped (smoke run)';
if (typeof peer !== 'string') {
  rows.push({
    name: `PyTorch ${peer.version} (1 thread)`,
    wall: peer.wall,
    cpu: peer.cpu,
    best: peer.best,
    steps: 50,
  });
}

console.log(`\nTwo-tower step: B=${B}, d=${D}, tables ${NU}/${NI}, towers 64-128-64 + LayerNorm, Adam`);
console.log(`backend: ${info.detail}`);
console.log(
  '| run | mean ms/step (wall) | mean ms/step (CPU) | fastest step (wall) | steps | first loss | vs PyTorch (CPU) | vs PyTorch (fastest) |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
const ref = typeof peer === 'string' ? undefined : peer;
for (const r of rows) {
  const vc = ref ? `${(r.cpu / ref.cpu).toFixed(2)}x` : 'n/a';
  const vb = ref ? `${(r.best / ref.best).toFixed(2)}x` : 'n/a';
  console.log(
    `| ${r.name} | ${r.wall.toFixed(1)} | ${r.cpu.toFixed(1)} | ${r.best.toFixed(1)} | ${r.steps} | ${r.loss0?.toFixed(4) ?? ''} | ${vc} | ${vb} |`,
  );
}
if (typeof peer === 'string') console.log(`PyTorch peer: ${peer}`);
