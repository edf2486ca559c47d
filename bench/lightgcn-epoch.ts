/**
 * LightGCN training and full-ranking evaluation speed: embrec's `lightgcn` (native CSR propagation
 * through the shared trainer, BPR, one uniform negative, batch ego L2, Adam) beside the PyTorch peer
 * bench/peers/lightgcn_torch.py (torch.sparse.mm propagation, the same dim, layers, batch, sampler and
 * loss) in the same invocation on the same CPU threads. Each side times --steps training steps on the
 * full graph after --warm warm-up steps (extrapolated to one epoch of the training file), then one
 * full-ranking evaluation of all test users (propagation + scores + top-20 with training items masked
 * + Recall@20 / NDCG@20). Prints a table with the two ratios and the peak RSS of each process.
 *
 *   node --conditions=source --import tsx bench/lightgcn-epoch.ts [--data ml-1m-lightgcnpp]
 *        [--steps 20] [--warm 3] [--batch 2048] [--dim 64] [--layers 2] [--threads 1]
 *        [--layouts coo,csr] [--no-torch]
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CreateContext, setupBackend } from '@embrec/core';
import { createComponent, makeTestContext, makeTestCreateContext } from '@embrec/core/testing';
import { builtinMetric, FullEvaluator, topkBackend } from '@embrec/eval';
import { bprComponent, uniformSampler } from '@embrec/losses';
import { lightGcnComponent } from '@embrec/models';
import { dataRoot, loadLightGcn, table } from './eval-common.ts';
import { peerPython, runPeer, sized } from './lib/smoke.ts';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (k: string, d: string): string => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? (process.argv[i + 1] ?? d) : d;
};
const sub = arg('data', 'ml-1m-lightgcnpp');
const steps = sized(Number(arg('steps', '20')), 2);
const warm = sized(Number(arg('warm', '3')), 1);
const batch = Number(arg('batch', '2048'));
const dim = Number(arg('dim', '64'));
const layers = Number(arg('layers', '2'));
const threads = Number(arg('threads', '1'));
const layouts = arg('layouts', 'coo,csr').split(',');

const info = await setupBackend('native', { threads });
const data = await loadLightGcn(sub);
const { train, test } = data.givenSplits;
const n = train.users.length;
const stepsPerEpoch = Math.ceil(n / batch);

// training: the real trainer on the full graph, stopped from its progress callback after warm + steps
class Enough extends Error {}
const ticks: number[] = [];
const cpuTicks: number[] = []; // process CPU µs at each tick (less sensitive to other jobs than wall time)
const base = makeTestContext({ seed: 1 });
const ctx = {
  ...base,
  threads,
  progress: () => ({
    tick: () => {
      if (ticks.length >= warm + steps) return; // the evaluator ticks too
      ticks.push(performance.now());
      const c = process.cpuUsage();
      cpuTicks.push(c.user + c.system);
      if (ticks.length >= warm + steps) throw new Enough();
    },
    done: () => {},
  }),
};
const cctx = { ...makeTestCreateContext({ seed: 1 }), ...ctx } as CreateContext;
const loss = await createComponent(bprComponent, {}, {}, cctx);
const sampler = await createComponent(uniformSampler, { num: 1 }, {}, cctx);
const model = await createComponent(
  lightGcnComponent,
  { dim, layers, l2: 1e-4, train: { epochs: 1, batchSize: batch, lr: 1e-3, checkpoint: false } },
  { loss, sampler },
  cctx,
);
try {
  await model.fit({ dataset: data, splits: data.givenSplits, ctx });
} catch (e) {
  if (!(e instanceof Enough)) throw e;
}
if (ticks.length < warm + steps) throw new Error(`only ${ticks.length} steps ran (the epoch is shorter)`);
const msPerStep = (ticks[warm + steps - 1]! - ticks[warm - 1]!) / steps;
const cpuMsPerStep = (cpuTicks[warm + steps - 1]! - cpuTicks[warm - 1]!) / 1000 / steps;

// evaluation: propagation (scorer) + native top-K over all test users + metrics
const ev = new FullEvaluator({
  ks: [20],
  metrics: [builtinMetric('recall'), builtinMetric('ndcg')],
  batchSize: 2048,
  aggregates: false,
  backend: topkBackend({ threads }),
});
const t0 = performance.now();
const c0 = process.cpuUsage();
const metrics = await ev.evaluate({ scorer: model.scorer(), mask: [train], target: test, train, ctx });
const evalS = (performance.now() - t0) / 1000;
const evalCpu = (({ user, system }) => (user + system) / 1e6)(process.cpuUsage(c0));
model.dispose?.();
const rssMB = process.resourceUsage().maxRSS / 1024;

const rows: (string | number)[][] = [
  [
    'implementation',
    'ms/step wall (CPU)',
    's/epoch wall',
    'train ratio wall (CPU)',
    'eval s wall (CPU)',
    'eval ratio wall (CPU)',
    'peak RSS MB',
    'Recall@20 / NDCG@20',
  ],
];
const ours = {
  name: `embrec lightgcn (${info.name}: ${info.detail})`,
  ms: msPerStep,
  cpu: cpuMsPerStep,
  eval: evalS,
  evalCpu,
  mem: rssMB,
  quality: `${metrics.values['Recall@20']?.toFixed(4)} / ${metrics.values['NDCG@20']?.toFixed(4)}`,
};
interface Row {
  name: string;
  ms: number;
  cpu: number;
  eval: number;
  evalCpu: number;
  mem: number;
  quality: string;
}
const peers: Row[] = [];
if (runPeer('lightgcn_torch.py', !process.argv.includes('--no-torch'))) {
  for (const layout of layouts) {
    const r = spawnSync(
      peerPython(),
      [
        join(here, 'peers/lightgcn_torch.py'),
        ...['--data', join(dataRoot, sub), '--batch', String(batch), '--dim', String(dim)],
        ...['--layers', String(layers), '--steps', String(steps), '--warm', String(warm)],
        ...['--threads', String(threads), '--layout', layout],
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) {
      console.error(`peer (${layout}) failed: ${r.stderr.split('\n').slice(-4).join(' ')}`);
      continue;
    }
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      peer: string;
      msPerStep: number;
      cpuMsPerStep: number;
      evalSeconds: number;
      evalCpuSeconds: number;
      peakRssMB: number;
      recall: number;
      ndcg: number;
    };
    peers.push({
      name: j.peer,
      ms: j.msPerStep,
      cpu: j.cpuMsPerStep,
      eval: j.evalSeconds,
      evalCpu: j.evalCpuSeconds,
      mem: j.peakRssMB,
      quality: `${j.recall.toFixed(4)} / ${j.ndcg.toFixed(4)}`,
    });
  }
}
// the ratios are ours ÷ the faster peer (< 1 = embrec faster)
const best = (f: (r: Row) => number) => Math.min(...peers.map(f));
const ratio = (r: Row, f: (r: Row) => number) => (peers.length ? (f(r) / best(f)).toFixed(2) : '-');
for (const r of [ours, ...peers]) {
  rows.push([
    r.name,
    `${r.ms.toFixed(1)} (${r.cpu.toFixed(1)})`,
    ((r.ms * stepsPerEpoch) / 1000).toFixed(1),
    `${ratio(r, (x) => x.ms)} (${ratio(r, (x) => x.cpu)})`,
    `${r.eval.toFixed(2)} (${r.evalCpu.toFixed(2)})`,
    `${ratio(r, (x) => x.eval)} (${ratio(r, (x) => x.evalCpu)})`,
    r.mem.toFixed(0),
    r.quality,
  ]);
}
console.log(
  `${sub}: ${n} training pairs, ${train.userIds.size} users + ${train.itemIds.size} items, dim ${dim}, K ${layers}, batch ${batch}, ${stepsPerEpoch} steps/epoch, ${threads} thread(s), ${steps} timed steps after ${warm} warm-up; ratios = this row ÷ the fastest PyTorch row, wall and (process CPU) (quality after ${warm + steps} steps, a sanity check only)`,
);
console.log(table(rows));
