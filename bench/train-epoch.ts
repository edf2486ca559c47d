/**
 * Time per training epoch of embrec's ID two-tower (L2-normalised embeddings, in-batch InfoNCE with
 * logQ, τ = 0.1, Adam) on a LightGCN-format data set, beside the identical PyTorch model
 * (bench/peers/torch_train.py) run in the same invocation on the same CPU threads. Both time
 * `--steps` steps after a warm-up and extrapolate to one epoch of the training file.
 *
 *   node --conditions=source --import tsx bench/train-epoch.ts [--data ml-1m-lightgcnpp] [--steps 60]
 *        [--batch 1024] [--dim 64] [--threads 1] [--no-torch]
 */
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeInteractions, Rng, setupBackend } from '@embrec/core';
import { createComponent, makeTestContext, makeTestCreateContext } from '@embrec/core/testing';
import { inBatchSampler, infonceComponent } from '@embrec/losses';
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

const info = await setupBackend('native', { threads });
const data = loadLightGcn(dataDir, lightgcnSchema.parse({ valid: null }));
const train = data.givenSplits!.train;
const n = train.users.length;
const stepsPerEpoch = Math.ceil(n / batch);
// a random subset of (warm-up + steps) batches, with the full ID maps (same table sizes)
const order = new Rng(1).shuffle(Int32Array.from({ length: n }, (_, i) => i));
const warm = sized(5, 1);
const take = (k: number) => order.subarray(0, Math.min(k * batch, n));
async function timeSteps(k: number): Promise<number> {
  const rows = take(k);
  const sub = makeInteractions({
    userIds: train.userIds,
    itemIds: train.itemIds,
    users: Int32Array.from(rows, (r) => train.users[r]!),
    items: Int32Array.from(rows, (r) => train.items[r]!),
  });
  const ctx = makeTestContext({ seed: 1 });
  const cctx = { ...makeTestCreateContext({ seed: 1 }), ...ctx };
  const loss = await createComponent(infonceComponent, { temperature: 0.1, logQ: true }, {}, cctx);
  const sampler = await createComponent(inBatchSampler, {}, {}, cctx);
  const model = await createComponent(
    twoTowerComponent,
    {
      dim,
      featureDim: dim,
      hidden: [],
      normalize: true,
      user: { features: 'none' },
      item: { features: 'none' },
      train: { epochs: 1, batchSize: batch, lr: 0.005, checkpoint: false },
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
const tWarm = await timeSteps(warm);
const tAll = await timeSteps(warm + steps);
const msPerStep = (tAll - tWarm) / steps;
const rows: string[][] = [
  ['implementation', 'ms/step', 's/epoch', 'ratio'],
  [
    `embrec (${info.name}: ${info.detail})`,
    msPerStep.toFixed(1),
    ((msPerStep * stepsPerEpoch) / 1000).toFixed(1),
    '1.00',
  ],
];
if (runPeer('torch_train.py', !process.argv.includes('--no-torch'))) {
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
        ...(sparse ? ['--sparse'] : []),
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) {
      rows.push([
        `pytorch${sparse ? ' sparse' : ''}`,
        'failed',
        r.stderr.split('\n').slice(-3).join(' '),
        '',
      ]);
      continue;
    }
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      peer: string;
      msPerStep: number;
      secondsPerEpoch: number;
    };
    rows.push([
      j.peer,
      j.msPerStep.toFixed(1),
      j.secondsPerEpoch.toFixed(1),
      (msPerStep / j.msPerStep).toFixed(2),
    ]);
  }
}
console.log(
  `${arg('data', 'ml-1m-lightgcnpp')}: ${n} training interactions, batch ${batch}, dim ${dim}, ${stepsPerEpoch} steps/epoch, ${threads} thread(s), ${steps} timed steps`,
);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
