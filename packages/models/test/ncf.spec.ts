import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CandidateSet, CreateContext, Splits } from '@embrec/core';
import { IdMap } from '@embrec/core';
import {
  createComponent,
  describeModel,
  describeRanker,
  makeTestContext,
  makeTestCreateContext,
  tinyClusteredDataset,
} from '@embrec/core/testing';
import { bprComponent } from '@embrec/losses';
import { describe, expect, it } from 'vitest';
import { ncfComponent, neumfComponent, neumfRankerComponent } from '../src/ncf/component.ts';
import { NcfModel } from '../src/ncf/model.ts';
import { NcfRanker } from '../src/ncf/ranker.ts';
import { ncfRankerSchema, ncfSchema } from '../src/ncf/schema.ts';
import type { Groups } from '../src/ncf/train.ts';
import { withValid } from './ncf-fixture.ts';

const train = { epochs: 6, batchSize: 32, lr: 0.02 };
const small = { factors: 8, layers: [16, 8], train };

describeModel('neumf (log loss, 4 negatives)', {
  make: (ctx: CreateContext) => createComponent(neumfComponent, small, {}, ctx),
});
describeModel('ncf gmf', {
  make: (ctx: CreateContext) => createComponent(ncfComponent, { ...small, variant: 'gmf' }, {}, ctx),
});
describeModel('ncf mlp', {
  make: (ctx: CreateContext) =>
    createComponent(
      ncfComponent,
      { ...small, variant: 'mlp', initStd: 0.1, train: { ...train, lr: 0.05, epochs: 10 } },
      {},
      ctx,
    ),
});
describeModel('neumf + bpr, pre-trained parts', {
  make: async (ctx: CreateContext) =>
    new NcfModel(
      ncfSchema.parse({ ...small, pretrain: { epochs: 2, alpha: 0.5 } }),
      await createComponent(bprComponent, {}, {}, ctx),
      ctx.configDir,
    ),
});

/** Candidate lists for the validation users: the validation item, the planted test item, then others. */
function candidatesFor(splits: Splits, k: number): CandidateSet {
  const v = splits.valid!;
  const ni = v.itemIds.size;
  const testOf = new Map<number, number>();
  for (let r = 0; r < splits.test.users.length; r++) testOf.set(splits.test.users[r]!, splits.test.items[r]!);
  const users = Int32Array.from(v.users);
  const items = new Int32Array(users.length * k).fill(-1);
  const scores = new Float32Array(users.length * k).fill(Number.NEGATIVE_INFINITY);
  users.forEach((u, q) => {
    const list = [testOf.get(u)!, v.items[q]!];
    for (let i = 0; list.length < k && i < ni; i++) if (!list.includes(i)) list.push(i);
    list.forEach((it, j) => {
      items[q * k + j] = it;
      scores[q * k + j] = 1 - j / k;
    });
  });
  return { itemIds: v.itemIds, users, k, items, scores };
}

const rankerParams = { ...small, hardNegatives: { epochs: 3, negatives: 4 } };

describeRanker('neumf ranker', {
  make: (ctx) => createComponent(neumfRankerComponent, rankerParams, {}, ctx),
});

describe('neumf ranker', () => {
  it('never puts a test item in a training batch (planted at the top of every candidate list)', async () => {
    const { fx, splits } = withValid();
    const ctx = makeTestContext();
    const ranker = new NcfRanker(ncfRankerSchema.parse(rankerParams), undefined, ctx.configDir);
    const test = new Set<string>();
    for (let r = 0; r < splits.test.users.length; r++)
      test.add(`${splits.test.users[r]},${splits.test.items[r]}`);
    let batches = 0;
    let hard = 0;
    ranker.onBatch = (g: Groups) => {
      batches++;
      if (g.extras?.some((x) => x !== 0)) hard++;
      const w = 1 + g.negatives;
      g.users.forEach((u, b) => {
        for (let k = 0; k < w; k++) expect(test.has(`${u},${g.items[b * w + k]}`)).toBe(false);
      });
    };
    const candidates = candidatesFor(splits, 12);
    await ranker.fit({ dataset: fx.dataset, splits, ctx, candidates });
    expect(batches).toBeGreaterThan(0);
    expect(hard).toBeGreaterThan(0); // the hard-negative phase ran on the candidates
    ranker.dispose();
  });

  it('learns to put validation items first among the candidates', async () => {
    const { fx, splits } = withValid();
    const ctx = makeTestContext();
    const ranker = new NcfRanker(
      ncfRankerSchema.parse({ ...rankerParams, hardNegatives: { epochs: 15, negatives: 6 } }),
      undefined,
      ctx.configDir,
    );
    const c = candidatesFor(splits, 12);
    await ranker.fit({ dataset: fx.dataset, splits, ctx, candidates: c });
    const out = await ranker.rank({ candidates: c, dataset: fx.dataset, splits, ctx });
    // retrieval put the validation item second for everyone; count how often the ranker moves it first
    let first = 0;
    for (let q = 0; q < out.users.length; q++) if (out.items[q * out.k] === c.items[q * c.k + 1]) first++;
    expect(first / out.users.length).toBeGreaterThan(0.5);
    ranker.dispose();
  });

  it('refuses items outside its training vocabulary, naming the item', async () => {
    const { fx, splits } = withValid();
    const ctx = makeTestContext();
    const ranker = new NcfRanker(
      ncfRankerSchema.parse({ ...rankerParams, train: { ...train, epochs: 1 } }),
      undefined,
      ctx.configDir,
    );
    await ranker.fit({ dataset: fx.dataset, splits, ctx });
    const ids = new IdMap(['i1', 'i2', 'brand-new']);
    const c: CandidateSet = {
      itemIds: ids,
      users: Int32Array.of(0),
      k: 3,
      items: Int32Array.of(0, 1, 2),
      scores: Float32Array.of(3, 2, 1),
    };
    await expect(ranker.rank({ candidates: c, dataset: fx.dataset, splits, ctx })).rejects.toThrow(
      /item "brand-new" .*not in the ranker's training vocabulary/,
    );
    ranker.dispose();
  });

  it('says topM larger than the candidate lists is an error', async () => {
    const { fx, splits } = withValid();
    const ctx = makeTestContext();
    const ranker = new NcfRanker(
      ncfRankerSchema.parse({ ...rankerParams, topM: 50, train: { ...train, epochs: 1 } }),
      undefined,
      ctx.configDir,
    );
    await ranker.fit({ dataset: fx.dataset, splits, ctx });
    await expect(
      ranker.rank({ candidates: candidatesFor(splits, 12), dataset: fx.dataset, splits, ctx }),
    ).rejects.toThrow(/topM = 50 but retrieval gives only 12/);
    ranker.dispose();
  });
});

describe('ncf model', () => {
  it('loads pre-trained GMF and MLP parts from saved models and fuses the heads with α', async () => {
    const fx = tinyClusteredDataset();
    const dir = mkdtempSync(join(tmpdir(), 'embrec-ncf-'));
    for (const variant of ['gmf', 'mlp'] as const) {
      const ctx = makeTestCreateContext();
      const m = await createComponent(ncfComponent, { ...small, variant }, {}, ctx);
      await m.fit({ dataset: fx.dataset, splits: fx.splits, ctx });
      await m.save!(join(dir, variant));
      m.dispose!();
    }
    const ctx = makeTestCreateContext({ configDir: dir });
    const fused = await createComponent(
      neumfComponent,
      { ...small, train: { ...train, epochs: 1 }, pretrain: { gmf: 'gmf', mlp: 'mlp', alpha: 0.5 } },
      {},
      ctx,
    );
    await fused.fit({ dataset: fx.dataset, splits: fx.splits, ctx });
    const s = fused.scorer();
    expect(s.kind).toBe('scores');
    fused.dispose!();
    const bad = await createComponent(
      neumfComponent,
      { ...small, pretrain: { gmf: 'mlp', mlp: 'mlp' } },
      {},
      ctx,
    );
    await expect(bad.fit({ dataset: fx.dataset, splits: fx.splits, ctx })).rejects.toThrow(
      /holds a "mlp" model, expected variant gmf/,
    );
    bad.dispose!();
  });

  it('names unknown side features and those that exist', async () => {
    const fx = tinyClusteredDataset();
    const ctx = makeTestCreateContext();
    const m = await createComponent(ncfComponent, { ...small, features: ['genres'] }, {}, ctx);
    await expect(m.fit({ dataset: fx.dataset, splits: fx.splits, ctx })).rejects.toThrow(
      /feature "genres" not in dataset "tiny-clustered" \(available: genre, tags, year\)/,
    );
  });

  it.each([[[16, 8]], [[16]]])(
    'scores the same with side features through full ranking and pair scoring (layers %j)',
    async (layers) => {
      const fx = tinyClusteredDataset();
      const ctx = makeTestCreateContext();
      const m = new NcfModel(
        ncfSchema.parse({ ...small, layers, features: 'all', train: { ...train, epochs: 1 } }),
        undefined,
        ctx.configDir,
      );
      await m.fit({ dataset: fx.dataset, splits: fx.splits, ctx });
      const s = m.scorer();
      if (s.kind !== 'scores') throw new Error('expected scores');
      const all = s.scoreUsers(Int32Array.of(0, 3));
      const ni = s.numItems;
      const pairs = m.scorePairs(
        Int32Array.from({ length: 2 * ni }, (_, p) => (p < ni ? 0 : 3)),
        Int32Array.from({ length: 2 * ni }, (_, p) => p % ni),
      );
      for (let p = 0; p < 2 * ni; p++) expect(all[p]!).toBeCloseTo(pairs[p]!, 4);
      m.dispose();
    },
  );
});
