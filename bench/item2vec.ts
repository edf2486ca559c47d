/**
 * Item2Vec training throughput: embrec's native skip-gram (item2vecTrain) beside gensim's Word2Vec
 * (sg=1, negative sampling) in the same run, on the same item sentences (each ML-1M LightGCN++
 * training user's history in file order) with the same window, negatives, exponent, dimension,
 * epochs, subsampling and threads. Items/s = item occurrences × epochs / training seconds. Both sets
 * of vectors are then served the same way (the item2vec model's defaults: the mean of the user's item
 * input vectors · item output vectors) and evaluated on the valid split (Recall@20 / NDCG@20, training
 * items masked). The negative exponent defaults to 0 here (uniform negatives: far better for
 * recommendation on ML-1M than word2vec's 0.75, see docs/benchmarks.md).
 *   node --conditions=source --import tsx bench/item2vec.ts [--threads 2] [--dim 64] [--window 5]
 *     [--negative 5] [--power 0] [--sample 1e-3] [--epochs 5] [--seeds 1] [--no-peer]
 * The peer runs in ~/.cache/embrec/gensim-venv (or EMBREC_GENSIM_PYTHON); see bench/peers/item2vec_gensim.py.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { makeTestContext } from '@embrec/core/testing';
import { builtinMetric, FullEvaluator, topkBackend } from '@embrec/eval';
import { item2vecTrain } from '@embrec/native';
import { Item2VecModel } from '../packages/models/src/item2vec/model.ts';
import { item2vecSchema } from '../packages/models/src/item2vec/schema.ts';
import { itemSequences } from '../packages/models/src/item2vec/sentences.ts';
import { loadLightGcn, repoRoot, table, timed } from './eval-common.ts';
import { runPeer, sized } from './lib/smoke.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const hp = {
  dim: arg('dim', 64),
  window: arg('window', 5),
  negative: arg('negative', 5),
  power: arg('power', 0),
  sample: arg('sample', 1e-3),
  epochs: sized(arg('epochs', 5), 1),
  threads: arg('threads', 2),
  lr: 0.025,
  minLr: 1e-4,
};

const data = await loadLightGcn('ml-1m-lightgcnpp');
const { train, valid } = data.givenSplits;
if (!valid) throw new Error('ml-1m-lightgcnpp: no valid split');
const ni = train.itemIds.size;
const seq = itemSequences(train);
const occurrences = seq.sentences.items.length;
console.log(
  `ml-1m-lightgcnpp: ${seq.sentences.indptr.length - 1} sentences, ${occurrences} item occurrences, ${ni} items; ` +
    JSON.stringify(hp),
);

const evaluator = new FullEvaluator({
  ks: [20],
  metrics: [builtinMetric('recall'), builtinMetric('ndcg')],
  batchSize: 2048,
  aggregates: false,
  backend: topkBackend({ threads: hp.threads }),
});
const ctx = { ...makeTestContext(), threads: hp.threads };
/** Valid-split quality of vectors served by the item2vec model (its defaults). */
async function quality(input: Float32Array, output: Float32Array) {
  const model = new Item2VecModel(item2vecSchema.parse({ dim: hp.dim }));
  model.setVectors(train, input, output);
  const m = await evaluator.evaluate({ scorer: model.scorer(), mask: [train], target: valid!, train, ctx });
  return { recall: m.values['Recall@20']!, ndcg: m.values['NDCG@20']! };
}

const seeds = sized(arg('seeds', 1), 1);
const python =
  process.env.EMBREC_GENSIM_PYTHON ??
  path.join(homedir(), '.cache', 'embrec', 'gensim-venv', 'bin', 'python');
const withPeer = runPeer('item2vec_gensim.py', !process.argv.includes('--no-peer'));
if (withPeer && !existsSync(python)) {
  throw new Error(
    `gensim peer: ${python} not found. Install it with: python3 -m venv ~/.cache/embrec/gensim-venv && ` +
      '~/.cache/embrec/gensim-venv/bin/pip install gensim==4.4.0 (or pass --no-peer)',
  );
}
const dir = mkdtempSync(path.join(tmpdir(), 'embrec-item2vec-'));
{
  const lines: string[] = [];
  const { indptr, items } = seq.sentences;
  for (let s = 0; s + 1 < indptr.length; s++)
    lines.push(items.subarray(indptr[s]!, indptr[s + 1]!).join(' '));
  writeFileSync(path.join(dir, 'sentences.txt'), `${lines.join('\n')}\n`);
}

interface Round {
  seconds: number;
  recall: number;
  ndcg: number;
}
/** gensim on the same sentences: its own training time and the vectors it wrote. */
async function gensimRound(seed: number): Promise<Round & { version: string }> {
  const out = execFileSync(
    python,
    [
      path.join(repoRoot, 'bench/peers/item2vec_gensim.py'),
      ...['--corpus', path.join(dir, 'sentences.txt'), '--items', String(ni), '--out', dir],
      ...['--dim', String(hp.dim), '--window', String(hp.window), '--negative', String(hp.negative)],
      ...['--power', String(hp.power), '--sample', String(hp.sample), '--epochs', String(hp.epochs)],
      ...['--threads', String(hp.threads), '--seed', String(seed), '--lr', String(hp.lr)],
      ...['--min-lr', String(hp.minLr)],
    ],
    { encoding: 'utf8' },
  );
  const r = JSON.parse(out.trim().split('\n').pop()!) as { gensim: string; train_s: number };
  const f32 = (name: string) => {
    const b = readFileSync(path.join(dir, name));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  return { seconds: r.train_s, ...(await quality(f32('input.f32'), f32('output.f32'))), version: r.gensim };
}

// Rounds alternate embrec and gensim with the same seed, so that load changes hit both sides.
const ours: Round[] = [];
const theirs: (Round & { version: string })[] = [];
for (let seed = 1; seed <= seeds; seed++) {
  const t = await timed(() => item2vecTrain(seq.sentences, ni, { ...hp, seed }));
  ours.push({ seconds: t.wall, ...(await quality(t.value.input, t.value.output)) });
  console.log(`seed ${seed}: embrec ${t.wall.toFixed(2)} s, R@20 ${ours.at(-1)!.recall.toFixed(4)}`);
  if (withPeer) {
    theirs.push(await gensimRound(seed));
    console.log(
      `seed ${seed}: gensim ${theirs.at(-1)!.seconds.toFixed(2)} s, R@20 ${theirs.at(-1)!.recall.toFixed(4)}`,
    );
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** items/s over all rounds (total items / total seconds), mean and spread of the metrics over seeds. */
function summary(rs: Round[]) {
  const rate = (occurrences * hp.epochs * rs.length) / rs.reduce((a, r) => a + r.seconds, 0);
  const fmt = (xs: number[]) =>
    xs.length > 1
      ? `${mean(xs).toFixed(4)} (${Math.min(...xs).toFixed(4)}–${Math.max(...xs).toFixed(4)})`
      : mean(xs).toFixed(4);
  return {
    rate,
    seconds: mean(rs.map((r) => r.seconds)),
    recall: fmt(rs.map((r) => r.recall)),
    ndcg: fmt(rs.map((r) => r.ndcg)),
  };
}
const a = summary(ours);
const b = withPeer ? summary(theirs) : undefined;
const rows: (string | number)[][] = [
  [
    'implementation',
    'threads',
    'seeds',
    'mean train s',
    'items/s',
    'ratio vs gensim',
    'valid Recall@20',
    'valid NDCG@20',
  ],
  [
    'embrec native item2vecTrain',
    String(hp.threads),
    String(seeds),
    a.seconds,
    String(Math.round(a.rate)),
    b ? (a.rate / b.rate).toFixed(2) : '-',
    a.recall,
    a.ndcg,
  ],
];
if (b) {
  rows.push([
    `gensim ${theirs[0]!.version} Word2Vec sg=1`,
    String(hp.threads),
    String(seeds),
    b.seconds,
    String(Math.round(b.rate)),
    '1.00',
    b.recall,
    b.ndcg,
  ]);
}
console.log(table(rows));
rmSync(dir, { recursive: true, force: true });
