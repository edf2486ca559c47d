import { describe, expect, it } from 'vitest';
import { runFile, workspace } from '../adversarial/runner-fixture.ts';

/** Two-tower retrieval → NeuMF ranker → MMR + calibration on the demo data, through the runner. */
const pipeline = (extra = '') => `name: pipe
seed: 7
dataset: { type: demo, users: 80, items: 120, genres: 4 }
split: { type: leave-one-out, order: time, valid: true }
model: { type: two-tower, dim: 8, featureDim: 8, hidden: [], train: { epochs: 2, batchSize: 64, lr: 0.05, checkpoint: false } }
loss: { type: infonce, temperature: 0.2 }
sampler: { type: in-batch }
index: { type: exact }
retrieve: { k: 30 }
ranker:
  type: neumf
  factors: 8
  layers: [16, 8]
  topM: 20
  train: { epochs: 2, batchSize: 64, lr: 0.02 }
  hardNegatives: { epochs: 2, negatives: 4 }
rerankers:
  - { type: mmr, attribute: genres, lambda: 0.7 }
  - { type: calibrated, attribute: genres, lambda: 0.3, k: 10 }
evaluate:
  type: full
  ks: [10]
  maskValid: true
  metrics: [hr, ndcg, { type: ild, attribute: genres }, catalog-coverage, gini, novelty, { type: calibration-kl, attribute: genres }]
${extra}`;

describe('retrieval → ranking → re-ranking in one experiment', () => {
  it('runs every stage and reports each stage’s recall, accuracy and latency', async () => {
    const ws = workspace(pipeline());
    const { outcome } = await runFile(ws.file, { output: ws.out });
    expect(outcome.failed.map((f) => f.error.message)).toEqual([]);
    const metrics = Object.values(outcome.metrics)[0]!;
    const flat = Object.keys(metrics).join('\n');
    for (const key of [
      'Candidate recall@30 (retrieval)',
      'Candidate recall@20 (ranking)',
      'Candidate recall@10 (rerank[1] calibrated)',
      'HR@10 (retrieval)',
      'HR@10 (ranking)',
      'HR@10 (rerank[0] mmr)',
      'HR@10 (pipeline)',
      'Latency ms/user (ranking)',
      'ILD@10 (retrieval)',
      'ILD@10 (pipeline)',
      'CalibrationKL@10 (ranking)',
      'Gini@10',
      'Novelty@10 (rerank[0] mmr)',
      'CatalogCoverage@10 (pipeline)',
    ])
      expect(flat).toContain(key);
  }, 600_000);

  it('a re-ranker naming an unknown attribute fails the run, naming it and the attributes that exist', async () => {
    const ws = workspace(`name: attr
seed: 7
dataset: { type: demo, users: 60, items: 80, genres: 4 }
split: { type: leave-one-out, order: time }
model: { type: mf, dim: 8, train: { epochs: 1, batchSize: 64, lr: 0.05, checkpoint: false } }
loss: { type: bpr }
sampler: { type: uniform }
index: { type: exact }
retrieve: { k: 20 }
rerankers: [{ type: mmr, attribute: genre }]
evaluate: { type: full, ks: [10] }
`);
    const { outcome } = await runFile(ws.file, { output: ws.out });
    expect(outcome.failed.map((f) => f.error.message).join('\n')).toMatch(
      /reranker "embrec\/mmr" failed in stage "rerank" .*unknown .*item attribute "genre" in dataset "demo" \(item attributes: [^)]*\bgenres\b/,
    );
  }, 120_000);

  it('N < K is a clear config error', async () => {
    const ws = workspace(pipeline().replace('retrieve: { k: 30 }', 'retrieve: { k: 5 }'));
    const r = await runFile(ws.file, { output: ws.out }).catch((e: Error) => e);
    const text = r instanceof Error ? r.message : r.outcome.failed.map((f) => f.error.message).join('\n');
    expect(text).toMatch(
      /retrieve\.k = 5 candidates per user is smaller than the largest evaluate\.ks = 10 \(N < K\)/,
    );
  }, 120_000);
});
