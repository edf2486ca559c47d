import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RerankerComponent } from '@embrec/core';
import {
  createComponent,
  describeReranker,
  makeTestContext,
  subsetProblems,
  tinyPipelineFixture,
} from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { runFile, workspace } from '../adversarial/runner-fixture.ts';
// A third party's plugin package (plain JS, only @embrec/core and zod), as `plugins:` would load it.
import acme from './acme-reranker/index.js';

const pluginDir = join(import.meta.dirname, 'acme-reranker');
const buryPopular = acme.components.find((c) => c.type === 'bury-popular')!;

// The same conformance suite the built-in re-rankers pass (packages/models/test/rerankers.spec.ts).
describeReranker('a third-party plugin package: acme/bury-popular', {
  make: (ctx) => createComponent(buryPopular, { weight: 0.5 }, {}, ctx) as Promise<RerankerComponent>,
});

describe('a third-party re-ranker', () => {
  it('the suite’s permutation check catches a faulty one (every row its first item k times)', async () => {
    const fx = tinyPipelineFixture();
    const ctx = makeTestContext();
    const input = { candidates: fx.candidates, dataset: fx.dataset, splits: fx.splits, ctx };
    const good = (await createComponent(buryPopular, {})) as RerankerComponent;
    expect(subsetProblems(fx.candidates, await good.rerank(input))).toEqual([]);
    const broken = (await createComponent(buryPopular, { broken: true })) as RerankerComponent;
    expect(subsetProblems(fx.candidates, await broken.rerank(input)).join('\n')).toMatch(
      /row 0: item \d+ twice/,
    );
  });

  it('runs as a pipeline stage from an experiment file’s plugins: list', async () => {
    const ws = workspace('');
    const yaml = `name: acme
seed: 7
plugins: [${JSON.stringify(`./${relative(ws.dir, pluginDir)}`)}]
dataset: { type: demo, users: 80, items: 120, genres: 4 }
split: { type: leave-one-out, order: time }
model: { type: mf, dim: 8, train: { epochs: 3, batchSize: 64, lr: 0.05, checkpoint: false } }
loss: { type: bpr }
sampler: { type: uniform }
index: { type: exact }
retrieve: { k: 30 }
rerankers: [{ type: acme/bury-popular, weight: 100 }]
evaluate: { type: full, ks: [10], metrics: [hr, novelty] }
`;
    writeFileSync(ws.file, yaml);
    const { outcome } = await runFile(ws.file, { output: ws.out });
    expect(outcome.failed.map((f) => f.error.message)).toEqual([]);
    const m = Object.values(outcome.metrics)[0]!;
    // the re-ranker ran as its own stage, and is the last one (its lists are the pipeline's)
    expect(Object.keys(m)).toContain('Latency ms/user (rerank[0] acme/bury-popular)');
    // burying popular items makes the final lists less popular and more novel than retrieval's
    expect(m['AvgPop@10 (pipeline)']!).toBeLessThan(0.8 * m['AvgPop@10 (retrieval)']!);
    expect(m['Novelty@10 (pipeline)']!).toBeGreaterThan(m['Novelty@10 (retrieval)']!);
  }, 120_000);
});
