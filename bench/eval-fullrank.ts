/**
 * Full-ranking evaluation speed: all 29,858 Gowalla test users against 40,981 items with 64-d random
 * embeddings (training items masked, Recall@20 / NDCG@20), embrec (native topkDot) beside a NumPy
 * (or PyTorch, when installed) peer of the same protocol on the same embeddings, in the same run.
 *   node --conditions=source --import tsx bench/eval-fullrank.ts [--threads 2] [--dim 64]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Rng } from '@embrec/core';
import { makeTestContext } from '@embrec/core/testing';
import { builtinMetric, FullEvaluator, topkBackend } from '@embrec/eval';
import { setThreads } from '@embrec/native';
import { dataRoot, loadLightGcn, repoRoot, table, timed } from './eval-common.ts';
import { peerPython, runPeer, smoke } from './lib/smoke.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const threads = arg('threads', 2);
const dim = arg('dim', 64);

const data = await loadLightGcn('gowalla');
const { train, test } = data.givenSplits;
const nu = train.userIds.size;
const ni = train.itemIds.size;
const rng = new Rng(7);
const users = {
  ids: train.userIds,
  dim,
  vectors: Float32Array.from({ length: nu * dim }, () => rng.normal()),
};
const items = {
  ids: train.itemIds,
  dim,
  vectors: Float32Array.from({ length: ni * dim }, () => rng.normal()),
};
const dir = mkdtempSync(path.join(tmpdir(), 'embrec-bench-'));
writeFileSync(path.join(dir, 'users.f32'), users.vectors);
writeFileSync(path.join(dir, 'items.f32'), items.vectors);

setThreads({ blas: threads, omp: threads });
const backend = topkBackend({ threads });
const ev = new FullEvaluator({
  ks: [20],
  metrics: [builtinMetric('recall'), builtinMetric('ndcg')],
  batchSize: 2048,
  aggregates: false,
  backend,
});
const ctx = { ...makeTestContext(), threads };
const run = () =>
  ev.evaluate({ scorer: { kind: 'embeddings', users, items }, mask: [train], target: test, train, ctx });
if (!smoke) await run(); // warm-up (page-in, thread pool)
const node = await timed(run);

const peerOut = !runPeer('eval_fullrank.py')
  ? undefined
  : execFileSync(
      peerPython(),
      [
        path.join(repoRoot, 'bench/peers/eval_fullrank.py'),
        '--data',
        path.join(dataRoot, 'gowalla'),
        '--users',
        path.join(dir, 'users.f32'),
        '--items',
        path.join(dir, 'items.f32'),
        '--dim',
        String(dim),
        '--threads',
        String(threads),
      ],
      {
        encoding: 'utf8',
        env: {
          ...process.env,
          OMP_NUM_THREADS: String(threads),
          OPENBLAS_NUM_THREADS: String(threads),
          MKL_NUM_THREADS: String(threads),
        },
      },
    );
const peer = (peerOut === undefined ? undefined : JSON.parse(peerOut.trim().split('\n').pop()!)) as
  | undefined
  | {
      impl: string;
      wall: number;
      cpu: number;
      users: number;
      recall: number;
      ndcg: number;
    };

console.log(
  `Gowalla full ranking: ${node.value.users.length} users × ${ni} items, d = ${dim}, K = 20, threads = ${threads}\n`,
);
console.log(
  table([
    ['implementation', 'wall s', 'CPU s', 'users', 'Recall@20', 'NDCG@20'],
    [
      `embrec (${backend.name} topkDot)`,
      node.wall,
      node.cpu,
      String(node.value.users.length),
      node.value.values['Recall@20']!.toPrecision(6),
      node.value.values['NDCG@20']!.toPrecision(6),
    ],
    ...(peer
      ? [
          [
            peer.impl,
            peer.wall,
            peer.cpu,
            String(peer.users),
            peer.recall.toPrecision(6),
            peer.ndcg.toPrecision(6),
          ],
        ]
      : []),
  ]),
);
if (peer) {
  const dr = Math.abs(node.value.values['Recall@20']! - peer.recall);
  console.log(
    `\n|ΔRecall@20| = ${dr.toExponential(2)} (same protocol: differences come from float ties only)`,
  );
}
const load = (await import('node:os')).loadavg()[0]!;
console.log(
  `load average during the run: ${load.toFixed(1)} (wall times are only comparable within one run)`,
);
rmSync(dir, { recursive: true, force: true });
