/**
 * t-SNE: embrec's maps (@keckelt/tsne, exact O(n²) gradients) against scikit-learn's TSNE
 * (Barnes-Hut) on the same points, in the same run, one thread each (OMP_NUM_THREADS=1 for the peer).
 * Goal: time ≤ 2× sklearn's and trustworthiness (k = 5, sklearn.manifold.trustworthiness in the peer,
 * embrec's own implementation here, both printed) within 0.02 of sklearn's, on 10,000 points.
 *
 *   node --conditions=source --import tsx bench/tsne.ts [--n 10000] [--quality-n 1000] [--dim 64]
 *        [--run <trial folder>] [--js-iterations 5] [--full]
 *
 * Points: the first n item embeddings of --run, else a seeded mixture of 20 Gaussians in `dim`
 * dimensions. At n = 10,000 the exact JS t-SNE needs hours, so unless --full it runs its setup plus
 * --js-iterations iterations and extrapolates to 1000 (printed as such); quality is compared on the
 * first --quality-n points, where both run all 1000 iterations.
 * Peer setup: python3 -m venv ~/.cache/embrec/sklearn-venv && ~/.cache/embrec/sklearn-venv/bin/pip install scikit-learn
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { Rng } from '@embrec/core';
import { TSNE } from '@keckelt/tsne';
import { tsne } from '../packages/eval/src/analysis/projection.ts';
import { trustworthiness } from '../packages/eval/src/analysis/trustworthiness.ts';
import { loadEmbeddings } from '../packages/indexes/src/io/embeddings.ts';
import { table } from './eval-common.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const n = Number(arg('n', '10000'));
const qn = Number(arg('quality-n', '1000'));
const jsIters = Number(arg('js-iterations', '5'));
const full = process.argv.includes('--full');
const iterations = 1000;
const perplexity = 30;
const python =
  process.env.EMBREC_SKLEARN_PYTHON ?? path.join(homedir(), '.cache/embrec/sklearn-venv/bin/python');
const tmp = mkdtempSync(path.join(tmpdir(), 'embrec-tsne-bench-'));

// the points ------------------------------------------------------------------------------------
let dim = Number(arg('dim', '64'));
let points: Float32Array;
let source: string;
const run = arg('run', '');
if (run) {
  const { items } = await loadEmbeddings(run);
  if (items.ids.size < n) throw new Error(`${run} has ${items.ids.size} items, fewer than --n ${n}`);
  dim = items.dim;
  points = items.vectors.slice(0, n * dim);
  source = `first ${n} item embeddings of ${run}`;
} else {
  const rng = new Rng(7);
  const centres = Float32Array.from({ length: 20 * dim }, () => rng.normal() * 2);
  points = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = rng.int(20);
    for (let j = 0; j < dim; j++) points[i * dim + j] = centres[c * dim + j]! + rng.normal();
  }
  source = `seeded mixture of 20 Gaussians, ${n} × ${dim}`;
}
console.log(`points: ${source}; perplexity ${perplexity}, ${iterations} iterations, one thread each`);

function peer(file: string, extra: string[]): Record<string, number> {
  const out = execFileSync(
    python,
    [
      path.join(import.meta.dirname, 'peers/tsne_sklearn.py'),
      '--input',
      file,
      '--dim',
      String(dim),
      ...extra,
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
      maxBuffer: 1 << 24,
    },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>;
}
const write = (name: string, a: Float32Array | Float64Array) => {
  const f = path.join(tmp, name);
  writeFileSync(f, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return f;
};

const rows: (string | number)[][] = [
  ['n', 'implementation', 'seconds', 'T(5) ours', 'T(5) sklearn fn', 'note'],
];

// speed at n ------------------------------------------------------------------------------------
const bigFile = write('big.f32', points);
const sk = peer(bigFile, ['--perplexity', String(perplexity), '--iterations', String(iterations)]);
rows.push([
  String(n),
  `scikit-learn ${sk.sklearn} TSNE (Barnes-Hut)`,
  sk.seconds!,
  '–',
  sk.trustworthiness!,
  'full run',
]);
console.log(`sklearn at n=${n}: ${sk.seconds!.toFixed(1)} s, T ${sk.trustworthiness!.toFixed(4)}`);
let jsSeconds: number;
if (full) {
  const t0 = performance.now();
  const y = tsne(points, dim, { perplexity, iterations, rng: new Rng(1) });
  jsSeconds = (performance.now() - t0) / 1000;
  const other = peer(bigFile, ['--no-fit', '--other', write('big-js.f64', y)]);
  rows.push([
    String(n),
    '@keckelt/tsne (exact)',
    jsSeconds,
    trustworthiness(points, dim, y, 2, 5),
    other.other_trustworthiness!,
    'full run',
  ]);
} else {
  const rowsOf: number[][] = [];
  for (let i = 0; i < n; i++) rowsOf.push(Array.from(points.subarray(i * dim, (i + 1) * dim)));
  const model = new TSNE({ dim: 2, perplexity, epsilon: Math.max(n / 16, 50) });
  const rng = new Rng(1);
  model.gaussRandom = () => rng.normal();
  let t0 = performance.now();
  model.initDataRaw(rowsOf);
  const setup = (performance.now() - t0) / 1000;
  t0 = performance.now();
  for (let it = 0; it < jsIters; it++) model.step();
  const per = (performance.now() - t0) / 1000 / jsIters;
  jsSeconds = setup + per * iterations;
  rows.push([
    String(n),
    '@keckelt/tsne (exact)',
    jsSeconds,
    '–',
    '–',
    `extrapolated: setup ${setup.toFixed(1)} s + ${iterations} × ${per.toFixed(2)} s (${jsIters} iterations timed)`,
  ]);
}
console.log(`embrec at n=${n}: ${jsSeconds.toFixed(1)} s`);

// quality at qn -----------------------------------------------------------------------------------
const small = points.slice(0, qn * dim);
const smallFile = write('small.f32', small);
const skOut = path.join(tmp, 'small-sk.f64');
const sq = peer(smallFile, [
  '--perplexity',
  String(perplexity),
  '--iterations',
  String(iterations),
  '--out',
  skOut,
]);
const t0 = performance.now();
const y = tsne(small, dim, { perplexity, iterations, rng: new Rng(1) });
const qSeconds = (performance.now() - t0) / 1000;
const ours = trustworthiness(small, dim, y, 2, 5);
const theirs = peer(smallFile, ['--no-fit', '--other', write('small-js.f64', y)]);
const skMap = new Float64Array(Uint8Array.from(readFileSync(skOut)).buffer);
rows.push([
  String(qn),
  `scikit-learn ${sq.sklearn} TSNE (Barnes-Hut)`,
  sq.seconds!,
  trustworthiness(small, dim, skMap, 2, 5),
  sq.trustworthiness!,
  'full run',
]);
rows.push([String(qn), '@keckelt/tsne (exact)', qSeconds, ours, theirs.other_trustworthiness!, 'full run']);

console.log(`\n${table(rows)}\n`);
console.log(
  `time ratio at n=${n}: ${(jsSeconds / sk.seconds!).toFixed(1)}× sklearn (goal ≤ 2×); at n=${qn}: ${(qSeconds / sq.seconds!).toFixed(1)}×`,
);
console.log(
  `trustworthiness at n=${qn}: embrec ${theirs.other_trustworthiness!.toFixed(4)} vs sklearn ${sq.trustworthiness!.toFixed(4)} (difference ${(theirs.other_trustworthiness! - sq.trustworthiness!).toFixed(4)}; goal within 0.02)`,
);
