import { type CreateContext, itemCounts, type Scorer, UsageError } from '@embrec/core';
import { makeTestContext, makeTestCreateContext } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { topkBackend } from '../../src/evaluation/backend.ts';
import { fullEvaluatorComponent, sampledEvaluatorComponent } from '../../src/evaluation/components.ts';
import { FullEvaluator } from '../../src/evaluation/full.ts';
import { BUILTIN_METRICS, builtinMetric, metricKey } from '../../src/evaluation/metrics.ts';
import { ndcgAtK, recallAtK } from '../../src/evaluation/rank-metrics.ts';
import { SampledEvaluator } from '../../src/evaluation/sampled.ts';
import { randomSplits, randomTable } from './fixtures.ts';

const metrics = BUILTIN_METRICS.map(builtinMetric);

function createContext(): CreateContext {
  return {
    ...makeTestCreateContext(),
    instantiate: async (kind, ref) => {
      expect(kind).toBe('metric');
      return builtinMetric(typeof ref === 'string' ? ref : ref.type) as never;
    },
  };
}

/** Brute force: score all items, drop the masked ones, sort, take the top k. */
function referenceMetrics(
  scores: (u: number) => Float32Array,
  s: ReturnType<typeof randomSplits>,
  mask: 'train' | 'train+valid',
  k: number,
) {
  const nUsers = s.train.userIds.size;
  const rel: Set<number>[] = Array.from({ length: nUsers }, () => new Set());
  const seen: Set<number>[] = Array.from({ length: nUsers }, () => new Set());
  s.test.users.forEach((u, i) => {
    rel[u]!.add(s.test.items[i]!);
  });
  s.train.users.forEach((u, i) => {
    seen[u]!.add(s.train.items[i]!);
  });
  if (mask === 'train+valid')
    s.valid.users.forEach((u, i) => {
      seen[u]!.add(s.valid.items[i]!);
    });
  let recall = 0;
  let ndcg = 0;
  let n = 0;
  for (let u = 0; u < nUsers; u++) {
    if (rel[u]!.size === 0) continue;
    const sc = scores(u);
    const order = [...sc.keys()].filter((i) => !seen[u]!.has(i)).sort((a, b) => sc[b]! - sc[a]! || a - b);
    const ranked = Int32Array.from(order.slice(0, k));
    const relevant = Int32Array.from([...rel[u]!].sort((a, b) => a - b));
    recall += recallAtK(ranked, relevant, k);
    ndcg += ndcgAtK(ranked, relevant, k);
    n++;
  }
  return { recall: recall / n, ndcg: ndcg / n, users: n };
}

function embeddingScorer(s: ReturnType<typeof randomSplits>, dim: number): Scorer {
  return {
    kind: 'embeddings',
    users: randomTable(1, s.train.userIds, dim),
    items: randomTable(2, s.train.itemIds, dim),
  };
}

function dotScores(sc: Scorer & { kind: 'embeddings' }) {
  return (u: number) => {
    const n = sc.items.ids.size;
    const d = sc.users.dim;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let t = 0;
      for (let j = 0; j < d; j++) t += sc.users.vectors[u * d + j]! * sc.items.vectors[i * d + j]!;
      out[i] = t;
    }
    return out;
  };
}

describe('full-ranking evaluator', () => {
  const s = randomSplits(11, 60, 50, 30);
  const scorer = embeddingScorer(s, 8) as Scorer & { kind: 'embeddings' };

  for (const prefer of ['js', 'native'] as const) {
    it.skipIf(prefer === 'native' && topkBackend().name !== 'native')(
      `matches a brute-force ranking with embeddings (${prefer} top-K), train or train+valid masked`,
      async () => {
        for (const mask of ['train', 'train+valid'] as const) {
          const ev = new FullEvaluator({
            ks: [5, 10],
            metrics,
            batchSize: 7,
            aggregates: true,
            backend: topkBackend({ prefer }),
          });
          const res = await ev.evaluate({
            scorer,
            mask: mask === 'train' ? [s.train] : [s.train, s.valid],
            target: s.test,
            train: s.train,
            ctx: makeTestContext(),
          });
          const ref = referenceMetrics(dotScores(scorer), s, mask, 10);
          expect(res.protocol).toBe('full');
          expect(res.users.length).toBe(ref.users);
          expect(res.values['Recall@10']).toBeCloseTo(ref.recall, 6);
          expect(res.values['NDCG@10']).toBeCloseTo(ref.ndcg, 6);
          expect(res.perUser['Recall@10']!.length).toBe(ref.users);
          for (const m of ['Recall', 'NDCG', 'HR', 'Precision', 'MRR', 'MAP'])
            for (const k of [5, 10]) expect(res.values[`${m}@${k}`]).toBeTypeOf('number');
        }
      },
    );
  }

  it('gives the same numbers for a "scores" scorer as for the equivalent embeddings', async () => {
    const dense = dotScores(scorer);
    const byScores: Scorer = {
      kind: 'scores',
      numItems: s.train.itemIds.size,
      scoreUsers: (users) => {
        const out = new Float32Array(users.length * s.train.itemIds.size);
        users.forEach((u, b) => {
          out.set(dense(u), b * s.train.itemIds.size);
        });
        return out;
      },
    };
    const ev = new FullEvaluator({ ks: [10], metrics, batchSize: 16, aggregates: true });
    const input = { mask: [s.train], target: s.test, train: s.train, ctx: makeTestContext() };
    const a = await ev.evaluate({ ...input, scorer });
    const b = await ev.evaluate({ ...input, scorer: byScores });
    expect(b.values).toEqual(a.values);
  });

  it('never recommends a masked item, and computes coverage and popularity aggregates', async () => {
    const pop = itemCounts(s.train);
    // a MostPop-like scorer: every user gets the same scores
    const sc: Scorer = {
      kind: 'scores',
      numItems: 50,
      scoreUsers: (users) => {
        const out = new Float32Array(users.length * 50);
        for (let b = 0; b < users.length; b++) for (let i = 0; i < 50; i++) out[b * 50 + i] = pop[i]!;
        return out;
      },
    };
    const ev = new FullEvaluator({ ks: [3], metrics: [builtinMetric('hr')], batchSize: 5, aggregates: true });
    const res = await ev.evaluate({
      scorer: sc,
      mask: [s.train],
      target: s.test,
      train: s.train,
      ctx: makeTestContext(),
    });
    expect(res.values['Coverage@3']).toBeGreaterThan(0);
    expect(res.values['Coverage@3']).toBeLessThanOrEqual(1);
    expect(res.values['AvgPop@3']).toBeGreaterThan(0);
    expect(Object.keys(res.values).map(metricKey)).toContain('avgpop_at_3');
  });

  it('evaluateCandidates on the top-K lists equals evaluate', async () => {
    const ev = new FullEvaluator({ ks: [5, 10], metrics, batchSize: 8, aggregates: false });
    const ctx = makeTestContext();
    const full = await ev.evaluate({ scorer, mask: [s.train], target: s.test, train: s.train, ctx });
    const users = Int32Array.from({ length: 60 }, (_, i) => i);
    const q = new Float32Array(60 * 8);
    q.set(scorer.users.vectors);
    const top = topkBackend({ prefer: 'js' });
    const seen = { indptr: new Int32Array(61), indices: new Int32Array(0) };
    const lists: number[] = [];
    for (let u = 0; u < 60; u++) {
      for (let i = 0; i < s.train.users.length; i++)
        if (s.train.users[i] === u) lists.push(s.train.items[i]!);
      seen.indptr[u + 1] = lists.length;
    }
    seen.indices = Int32Array.from(lists);
    const r = top.topkDot(q, scorer.items.vectors, 8, 12, seen);
    const cand = await ev.evaluateCandidates({
      candidates: { itemIds: s.train.itemIds, users, k: 12, items: r.ids, scores: r.scores },
      target: s.test,
      train: s.train,
      ctx,
    });
    expect(cand.values).toEqual(full.values);
    await expect(
      ev.evaluateCandidates({
        candidates: {
          itemIds: s.train.itemIds,
          users,
          k: 4,
          items: new Int32Array(240),
          scores: new Float32Array(240),
        },
        target: s.test,
        train: s.train,
        ctx,
      }),
    ).rejects.toThrow(/hold only 4 items per user/);
  });

  it('is built by its component from YAML-like parameters', async () => {
    const params = fullEvaluatorComponent.schema.parse({ ks: [20], metrics: ['recall', { type: 'ndcg' }] });
    const ev = await fullEvaluatorComponent.create(params, {}, createContext());
    const res = await ev.evaluate({
      scorer,
      mask: [s.train],
      target: s.test,
      train: s.train,
      ctx: makeTestContext(),
    });
    expect(Object.keys(res.values).sort()).toEqual(['AvgPop@20', 'Coverage@20', 'NDCG@20', 'Recall@20']);
    expect(() => fullEvaluatorComponent.schema.parse({ ks: [20], metric: ['recall'] })).toThrow();
  });
});

describe('sampled evaluator', () => {
  const s = randomSplits(5, 40, 300, 20);
  const scorer = embeddingScorer(s, 8);

  it('labels the protocol and every key, and is reproducible from its seed', async () => {
    const params = sampledEvaluatorComponent.schema.parse({
      ks: [10],
      metrics: ['hr', 'ndcg'],
      negatives: 99,
      seed: 3,
    });
    const ev = await sampledEvaluatorComponent.create(params, {}, createContext());
    expect(ev.protocol).toBe('sampled-99');
    const input = { scorer, mask: [s.train], target: s.test, train: s.train, ctx: makeTestContext() };
    const a = await ev.evaluate(input);
    const b = await ev.evaluate(input);
    expect(a.protocol).toBe('sampled-99');
    expect(Object.keys(a.values).sort()).toEqual(['HR@10 (sampled 99)', 'NDCG@10 (sampled 99)']);
    expect(Object.keys(a.values).map(metricKey).sort()).toEqual([
      'hr_at_10_sampled99',
      'ndcg_at_10_sampled99',
    ]);
    expect(b.values).toEqual(a.values);
    await expect(ev.evaluateCandidates({} as never)).rejects.toThrow(UsageError);
  });

  it('gives HR 1 to an oracle and about k/(N+1) to a constant scorer', async () => {
    const rel = new Set<string>();
    s.test.users.forEach((u, i) => {
      rel.add(`${u}:${s.test.items[i]}`);
    });
    const oracle: Scorer = {
      kind: 'scores',
      numItems: 300,
      scoreUsers: (users) => {
        const out = new Float32Array(users.length * 300);
        users.forEach((u, b) => {
          for (let i = 0; i < 300; i++) out[b * 300 + i] = rel.has(`${u}:${i}`) ? 1 : 0;
        });
        return out;
      },
    };
    const input = { mask: [s.train], target: s.test, train: s.train, ctx: makeTestContext() };
    const hr = [builtinMetric('hr')];
    const ev = new SampledEvaluator({ ks: [10], metrics: hr, negatives: 49, batchSize: 16 });
    expect((await ev.evaluate({ ...input, scorer: oracle })).values['HR@10 (sampled 49)']).toBe(1);
    // a constant scorer ties with every negative: ties count against the positive, so HR@10 is 0
    const flat: Scorer = {
      kind: 'scores',
      numItems: 300,
      scoreUsers: (u) => new Float32Array(u.length * 300),
    };
    expect((await ev.evaluate({ ...input, scorer: flat })).values['HR@10 (sampled 49)']).toBe(0);
    // random embeddings: HR@10 over 50 candidates is about 10/50
    const r = await ev.evaluate({ ...input, scorer });
    expect(r.values['HR@10 (sampled 49)']).toBeGreaterThan(0.08);
    expect(r.values['HR@10 (sampled 49)']).toBeLessThan(0.35);
  });
});

describe('@embrec/eval plugin', () => {
  it('registers the metric and evaluator components', async () => {
    const { default: plugin } = await import('../../src/index.ts');
    const types = (kind: string) =>
      plugin.components
        .filter((c) => c.kind === kind)
        .map((c) => c.type)
        .sort();
    expect(types('metric')).toEqual([
      'calibration-kl',
      'catalog-coverage',
      'gini',
      'hr',
      'ild',
      'map',
      'mrr',
      'ndcg',
      'novelty',
      'precision',
      'recall',
    ]);
    expect(types('evaluator')).toEqual(['full', 'sampled']);
  });
});
