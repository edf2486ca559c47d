/**
 * Time per training epoch of embrec's ID two-tower (L2-normalised embeddings, in-batch InfoNCE with
 * logQ, τ = 0.1, Adam) on a LightGCN-format data set, beside the identical PyTorch model
 * (bench/peers/torch_train.py) run in the same invocation on the same CPU threads. Both time
 * `--steps` steps after a warm-up and extrapolate to one epoch of the training file.
 *
 * `--optimizer-precision float32` trains embrec with `train.optimizerPrecision: float32` (single-precision
 * Adam, as the peer's). `--rounds R` repeats the whole comparison R times, alternating embrec and the
 * peers, and reports each implementation's median ms/step (with the range) and the ratio of medians.
 *
 * `--history g` adds the SimpleX-style user tower (`model.user.history` mean, weight g; the row's
 * positive left out of its history) to both. `--pool N` adds N uniform negatives shared by the batch
 * (the `mixed` sampler: in-batch plus the pool, logQ on both, accidental hits masked) to both; a list
 * (`--pool 0,1024,4096`) times each size in turn.
 *
 *   node --conditions=source --import tsx bench/train-epoch.ts [--data ml-1m-lightgcnpp] [--steps 60]
 *        [--batch 1024] [--dim 64] [--tau 0.1] [--history 0.5] [--pool 0,1024] [--threads 1]
 *        [--optimizer-precision float32] [--rounds 3] [--no-torch]
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeInteractions, Rng, setupBackend } from '@embrec/core';
import { createComponent, makeTestContext, makeTestCreateContext } from '@embrec/core/testing';
import { inBatchSampler, infonceComponent, mixedSampler } from '@embrec/losses';
import { twoTowerComponent } from '@embrec/models';
import { lightgcnSchema, loadLightGcn } from '../packages/data/src/datasets/lightgcn/component.ts';
import { peerPython, runPeer, sized } from './lib/smoke.ts';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (k: string, d: string): string => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? (process.argv[i + 1] ?? d) : d;
};
const dataRoot = process.env.EMBREC_DATA ?? resolve(here, '../../shared/data');
const dataDir = join(dataRoot, arg('data', 'ml-1m-lightgcnpp'));
const steps = sized(Number(arg('steps', '60')), 2);
const batch = Number(arg('batch', '1024'));
const dim = Number(arg('dim', '64'));
const threads = Number(arg('threads', '1'));
const tau = Number(arg('tau', '0.1'));
const history = process.argv.includes('--history') ? Number(arg('history', '0.5')) : undefined;
const pools = arg('pool', '0').split(',').map(Number);
const precision = arg('optimizer-precision', 'float64');
if (precision !== 'float64' && precision !== 'float32')
  throw new Error(`train-epoch: --optimizer-precision must be float64 or float32, got ${precision}`);
const asked = Number(arg('rounds', '1'));
if (!Number.isInteger(asked) || asked < 1)
  throw new Error(`train-epoch: --rounds must be a positive integer, got ${arg('rounds', '1')}`);
const rounds = sized(asked, 1);

const info = await setupBackend('native', { threads });
const data = loadLightGcn(dataDir, lightgcnSchema.parse({ valid: null }));
const train = data.givenSplits!.train;
const n = train.users.length;
const stepsPerEpoch = Math.ceil(n / batch);
// a random subset of (warm-up + steps) batches, with the full ID maps (same table sizes)
const order = new Rng(1).shuffle(Int32Array.from({ length: n }, (_, i) => i));
const warm = sized(5, 1);
const take = (k: number) => order.subarray(0, Math.min(k * batch, n));
// the subset holds at most one epoch: on a small set fewer than `steps` steps follow the warm-up
const timed = Math.ceil(take(warm + steps).length / batch) - Math.ceil(take(warm).length / batch);
if (timed < 1)
  throw new Error(`train-epoch: ${n} training rows leave no step after the ${warm}-step warm-up`);
async function timeSteps(k: number, pool: number): Promise<number> {
  const rows = take(k);
  const sub = makeInteractions({
    userIds: train.userIds,
    itemIds: train.itemIds,
    users: Int32Array.from(rows, (r) => train.users[r]!),
    items: Int32Array.from(rows, (r) => train.items[r]!),
  });
  const ctx = makeTestContext({ seed: 1 });
  const cctx = { ...makeTestCreateContext({ seed: 1 }), ...ctx };
  const loss = await createComponent(infonceComponent, { temperature: tau, logQ: true }, {}, cctx);
  const sampler =
    pool > 0
      ? await createComponent(mixedSampler, { num: pool, distribution: 'uniform' }, {}, cctx)
      : await createComponent(inBatchSampler, {}, {}, cctx);
  const model = await createComponent(
    twoTowerComponent,
    {
      dim,
      featureDim: dim,
      hidden: [],
      normalize: true,
      user: {
        features: 'none',
        ...(history === undefined ? {} : { history: { aggregate: 'mean', weight: history } }),
      },
      item: { features: 'none' },
      train: { epochs: 1, batchSize: batch, lr: 0.005, checkpoint: false, optimizerPrecision: precision },
    },
    { loss, sampler },
    cctx,
  );
  const t0 = performance.now();
  await model.fit({ dataset: data, splits: { train: sub, test: sub }, ctx });
  const ms = performance.now() - t0;
  model.dispose?.();
  return ms;
}
const rows: string[][] = [['implementation', 'shared pool', 'ms/step', 's/epoch', 'ratio']];
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const shown = (xs: number[]): string =>
  xs.length === 1
    ? xs[0]!.toFixed(1)
    : `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
for (const pool of pools) {
  const ours: number[] = [];
  const peers = new Map<string, number[]>();
  const failed: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const tWarm = await timeSteps(warm, pool);
    const tAll = await timeSteps(warm + steps, pool);
    ours.push((tAll - tWarm) / timed);
    if (!runPeer('torch_train.py', !process.argv.includes('--no-torch'))) continue;
    for (const sparse of [false, true]) {
      const r = spawnSync(
        peerPython(),
        [
          join(here, 'peers/torch_train.py'),
          '--data',
          dataDir,
          '--batch',
          String(batch),
          '--dim',
          String(dim),
          '--steps',
          String(steps),
          '--threads',
          String(threads),
          '--tau',
          String(tau),
          '--pool',
          String(pool),
          ...(history === undefined ? [] : ['--history', String(history)]),
          ...(sparse ? ['--sparse'] : []),
        ],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) {
        failed.push(`pytorch${sparse ? ' sparse' : ''}: ${r.stderr.split('\n').slice(-3).join(' ')}`);
        continue;
      }
      const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { peer: string; msPerStep: number };
      peers.set(j.peer, [...(peers.get(j.peer) ?? []), j.msPerStep]);
    }
  }
  const mine = median(ours);
  rows.push([
    `embrec (${info.name}: ${info.detail}${precision === 'float32' ? '; float32 Adam' : ''})`,
    String(pool),
    shown(ours),
    ((mine * stepsPerEpoch) / 1000).toFixed(1),
    '1.00',
  ]);
  for (const [peer, xs] of peers) {
    rows.push([
      peer,
      String(pool),
      shown(xs),
      ((median(xs) * stepsPerEpoch) / 1000).toFixed(1),
      (mine / median(xs)).toFixed(2),
    ]);
  }
  for (const f of failed) rows.push([f, String(pool), 'failed', '', '']);
}
console.log(
  `${arg('data', 'ml-1m-lightgcnpp')}: ${n} training interactions, batch ${batch}, dim ${dim}, τ ${tau}${history === undefined ? '' : `, user history mean g ${history}`}, ${stepsPerEpoch} steps/epoch, ${threads} thread(s), ${timed} timed steps (the peer: ${steps})${rounds > 1 ? `, ${rounds} rounds (median, range)` : ''}`,
);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
