/**
 * EASE fit time: Gram matrix (native gramCsr) and closed-form weights (LAPACK potrf/potri through
 * native easeWeights), beside NumPy (scipy.sparse XᵀX + np.linalg.inv) in the same run.
 *   node --conditions=source --import tsx bench/eval-ease.ts [ml-1m-lightgcnpp lastfm-lightgcnpp gowalla] [--threads 2] [--no-peer]
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { easeWeights, gramCsr, setThreads } from '@embrec/native';
import { binaryUserItem } from '../packages/models/src/baselines/matrix.ts';
import { dataRoot, loadLightGcn, table, timed } from './eval-common.ts';
import { peerPython, runPeer, sized } from './lib/smoke.ts';

const i = process.argv.indexOf('--threads');
const threads = i >= 0 ? Number(process.argv[i + 1]) : 2;
const sets = process.argv.slice(2).filter((a, j, all) => !a.startsWith('--') && all[j - 1] !== '--threads');
const datasets = sets.length > 0 ? sets : ['ml-1m-lightgcnpp'];
const lambda = 500;
setThreads({ blas: threads, omp: threads });

const rows: (string | number)[][] = [
  [
    'dataset',
    'items',
    'implementation',
    'Gram wall s',
    'Gram CPU s',
    'inverse+B wall s',
    'inverse+B CPU s',
    'Σ|B|',
  ],
];
for (const name of datasets) {
  const data = await loadLightGcn(name);
  const x = firstItems(binaryUserItem(data.givenSplits.train), sized(Infinity, 300));
  const g = await timed(() => gramCsr({ ...x }, { threads }));
  const b = await timed(() => easeWeights(g.value, x.cols, lambda, { inPlace: true }));
  let sum = 0;
  for (let p = 0; p < b.value.length; p++) sum += Math.abs(b.value[p]!);
  rows.push([
    name,
    String(x.cols),
    'embrec native (OpenBLAS/LAPACK)',
    g.wall,
    g.cpu,
    b.wall,
    b.cpu,
    sum.toExponential(4),
  ]);
  console.log(`${name}: embrec ${g.wall.toFixed(2)} s Gram + ${b.wall.toFixed(2)} s weights (wall)`);
  if (!runPeer('eval_ease.py', !process.argv.includes('--no-peer'))) continue;
  const out = execFileSync(
    peerPython(),
    [
      path.join(import.meta.dirname, 'peers/eval_ease.py'),
      '--data',
      path.join(dataRoot, name),
      '--lam',
      String(lambda),
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
    },
  );
  const p = JSON.parse(out.trim().split('\n').pop()!);
  rows.push([
    name,
    String(p.items),
    p.impl,
    p.gram_wall,
    p.gram_cpu,
    p.inv_wall,
    p.inv_cpu,
    Number(p.checksum).toExponential(4),
  ]);
}
console.log(`EASE fit, λ = ${lambda}, threads = ${threads}\n`);
console.log(table(rows));

/** The user × item matrix restricted to its first `n` item columns (all of them when n ≥ cols). */
function firstItems(x: ReturnType<typeof binaryUserItem>, n: number): ReturnType<typeof binaryUserItem> {
  if (n >= x.cols) return x;
  const indptr = new Int32Array(x.rows + 1);
  const kept: number[] = [];
  for (let r = 0; r < x.rows; r++) {
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) if (x.indices[p]! < n) kept.push(x.indices[p]!);
    indptr[r + 1] = kept.length;
  }
  return { rows: x.rows, cols: n, indptr, indices: Int32Array.from(kept) };
}
