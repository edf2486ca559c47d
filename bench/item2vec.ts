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
 *     [--negative 5] [--power 0] [--sample 1e-3] [--epochs 5] [--no-peer]
 * The peer runs in ~/.cache/embrec/gensim-venv (or EMBREC_GENSIM_PYTHON); see bench/peers/item2vec_gensim.py.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { makeTestContext } from '@embrec/core/testing';
import { builtinMetric, FullEvaluator, topkBackend } from '@embrec/eval';
import { item2vecTrain } from '@embrec/native';
import { Item2VecModel } from '../packages/models/src/item2vec/model.ts';
import { item2vecSchema } from '../packages/models/src/item2vec/schema.ts';
import { itemSequences } from '../packages/models/src/item2vec/sentences.ts';
import { loadLightGcn, repoRoot, table, timed } from './eval-common.ts';

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
  epochs: arg('epochs', 5),
  threads: arg('threads', 2),
  lr: 0.025,
  minLr: 1e-4,
};
const seed = 1;

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
/** Valid-split quality of vectors served by the item2vec model (mean pooling, cosine). */
async function quality(input: Float32Array, output: Float32Array) {
  const model = new Item2VecModel(item2vecSchema.parse({ dim: hp.dim }));
  model.setVectors(train, input, output);
  const m = await evaluator.evaluate({ scorer: model.scorer(), mask: [train], target: valid!, train, ctx });
  return { recall: m.values['Recall@20']!, ndcg: m.values['NDCG@20']! };
}

const ours = await timed(() => item2vecTrain(seq.sentences, ni, { ...hp, seed }));
const oursRate = (occurrences * hp.epochs) / ours.wall;
const oursQ = await quality(ours.value.input, ours.value.output);
console.log(
  `embrec: ${ours.wall.toFixed(2)} s, ${Math.round(oursRate)} items/s, R@20 ${oursQ.recall.toFixed(4)}`,
);

const rows: (string | number)[][] = [
  ['implementation', 'threads', 'train s', 'items/s', 'ratio vs gensim', 'valid Recall@20', 'valid NDCG@20'],
];
let peer: { rate: number; row: (string | number)[] } | undefined;
if (!process.argv.includes('--no-peer')) {
  const python =
    process.env.EMBREC_GENSIM_PYTHON ??
    path.join(homedir(), '.cache', 'embrec', 'gensim-venv', 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(
      `gensim peer: ${python} not found. Install it with: python3 -m venv ~/.cache/embrec/gensim-venv && ` +
        '~/.cache/embrec/gensim-venv/bin/pip install gensim==4.4.0 (or pass --no-peer)',
    );
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'embrec-item2vec-'));
  const lines: string[] = [];
  const { indptr, items } = seq.sentences;
  for (let s = 0; s + 1 < indptr.length; s++)
    lines.push(items.subarray(indptr[s]!, indptr[s + 1]!).join(' '));
  writeFileSync(path.join(dir, 'sentences.txt'), `${lines.join('\n')}\n`);
  const out = execFileSync(
    python,
    [
      path.join(repoRoot, 'bench/peers/item2vec_gensim.py'),
      ...['--corpus', path.join(dir, 'sentences.txt'), '--items', String(ni), '--out', dir],
      ...['--dim', String(hp.dim), '--window', String(hp.window), '--negative', String(hp.negative)],
      ...['--power', String(hp.power), '--sample', String(hp.sample), '--epochs', String(hp.epochs)],
      ...[
        '--threads',
        String(hp.threads),
        '--seed',
        String(seed),
        '--lr',
        String(hp.lr),
        '--min-lr',
        String(hp.minLr),
      ],
    ],
    { encoding: 'utf8' },
  );
  const r = JSON.parse(out.trim().split('\n').pop()!) as {
    gensim: string;
    train_s: number;
    vocab_s: number;
    items_per_s: number;
  };
  const f32 = (name: string) => {
    const b = readFileSync(path.join(dir, name));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  const q = await quality(f32('input.f32'), f32('output.f32'));
  peer = {
    rate: r.items_per_s,
    row: [
      `gensim ${r.gensim} Word2Vec sg=1 (build_vocab ${r.vocab_s.toFixed(2)} s not counted)`,
      String(hp.threads),
      r.train_s,
      String(Math.round(r.items_per_s)),
      '1.00',
      q.recall,
      q.ndcg,
    ],
  };
}
rows.push([
  'embrec native item2vecTrain',
  String(hp.threads),
  ours.wall,
  String(Math.round(oursRate)),
  peer ? (oursRate / peer.rate).toFixed(2) : '-',
  oursQ.recall,
  oursQ.ndcg,
]);
if (peer) rows.push(peer.row);
console.log(table(rows));
