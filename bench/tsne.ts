/**
 * t-SNE: embrec's maps (the native Barnes-Hut t-SNE, @embrec/native tsneBarnesHut, which
 * `embrec analyze` uses) against scikit-learn's TSNE (Barnes-Hut) on the same points, in the same run,
 * one thread each (OMP_NUM_THREADS=1 for the peer), same settings (perplexity 30, 1000 iterations,
 * early exaggeration 12 for 250, learning rate "auto", PCA init, θ 0.5).
 * Goal: time ≤ 2× sklearn's and trustworthiness (k = 5; sklearn.manifold.trustworthiness in the peer
 * for both maps, embrec's own implementation here, both printed) within 0.02 of sklearn's, on 10,000 points.
 *
 *   node --conditions=source --import tsx bench/tsne.ts [--sizes 1000,10000] [--dim 64] [--run <trial folder>]
 *        [--exact-n 0]
 *
 * Points: the first n item embeddings of --run, else a seeded mixture of 20 Gaussians in `dim`
 * dimensions. --exact-n N also runs the exact JavaScript t-SNE (@keckelt/tsne, the `method: 'exact'`
 * of the analysis) in full at n = N (it is O(n²) per iteration: minutes at 1,000, hours at 10,000).
 * Peer setup: python3 -m venv ~/.cache/embrec/sklearn-venv && ~/.cache/embrec/sklearn-venv/bin/pip install scikit-learn
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { Rng } from '@embrec/core';
import { tsneBarnesHut } from '@embrec/native';
import { tsne } from '../packages/eval/src/analysis/projection.ts';
import { trustworthiness } from '../packages/eval/src/analysis/trustworthiness.ts';
import { loadEmbeddings } from '../packages/indexes/src/io/embeddings.ts';
import { table } from './eval-common.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const sizes = arg('sizes', '1000,10000').split(',').map(Number);
const n = Math.max(...sizes);
const exactN = Number(arg('exact-n', '0'));
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
console.log(
  `points: ${source}; perplexity ${perplexity}, ${iterations} iterations, one thread each; sizes ${sizes.join(', ')}`,
);

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
  ['n', 'implementation', 'seconds', 'T(5) embrec fn', 'T(5) sklearn fn', 'ratio'],
];
const summary: string[] = [];
for (const m of sizes) {
  const x = points.slice(0, m * dim);
  const file = write(`x-${m}.f32`, x);
  const skOut = path.join(tmp, `sk-${m}.f64`);
  const sk = peer(file, [
    '--perplexity',
    String(perplexity),
    '--iterations',
    String(iterations),
    '--out',
    skOut,
  ]);
  const skMap = new Float64Array(Uint8Array.from(readFileSync(skOut)).buffer);
  rows.push([
    String(m),
    `scikit-learn ${sk.sklearn} TSNE (Barnes-Hut)`,
    sk.seconds!,
    trustworthiness(x, dim, skMap, 2, 5),
    sk.trustworthiness!,
    '1',
  ]);
  console.log(`n=${m} sklearn: ${sk.seconds!.toFixed(1)} s, T ${sk.trustworthiness!.toFixed(4)}`);
  const t0 = performance.now();
  const y = tsneBarnesHut(x, dim, { perplexity, iterations, threads: 1 });
  const s = (performance.now() - t0) / 1000;
  const other = peer(file, ['--no-fit', '--other', write(`ours-${m}.f64`, y)]);
  const t = other.other_trustworthiness!;
  rows.push([
    String(m),
    'embrec native Barnes-Hut',
    s,
    trustworthiness(x, dim, y, 2, 5),
    t,
    (s / sk.seconds!).toFixed(2),
  ]);
  console.log(`n=${m} embrec BH: ${s.toFixed(1)} s, T ${t.toFixed(4)}`);
  summary.push(
    `n=${m}: time ${(s / sk.seconds!).toFixed(2)}× sklearn's (goal ≤ 2×); trustworthiness ${t.toFixed(4)} vs ${sk.trustworthiness!.toFixed(4)} (difference ${(t - sk.trustworthiness!).toFixed(4)}; goal within 0.02)`,
  );
  if (m === exactN) {
    const t1 = performance.now();
    const e = tsne(x, dim, { perplexity, iterations, method: 'exact', rng: new Rng(1) });
    const es = (performance.now() - t1) / 1000;
    const eo = peer(file, ['--no-fit', '--other', write(`exact-${m}.f64`, e)]);
    rows.push([
      String(m),
      '@keckelt/tsne (exact)',
      es,
      trustworthiness(x, dim, e, 2, 5),
      eo.other_trustworthiness!,
      (es / sk.seconds!).toFixed(2),
    ]);
  }
}
console.log(`\n${table(rows)}\n`);
for (const line of summary) console.log(line);
