import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CandidateSet, Dataset, Splits } from '@embrec/core';
import { makeTestCreateContext } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { NcfRanker } from '../src/ncf/ranker.ts';
import { ncfRankerSchema } from '../src/ncf/schema.ts';
import { withValid } from './ncf-fixture.ts';

const train = { epochs: 2, batchSize: 32, lr: 0.02 };
const base = { factors: 8, layers: [16, 8], train, hardNegatives: { epochs: 2, negatives: 4 } };

/** The tiny fixture with one training item per user in validation, and a numeric user feature. */
function fixture(): { dataset: Dataset; splits: Splits } {
  const { fx, splits } = withValid();
  const nu = fx.splits.train.userIds.size;
  const dataset: Dataset = {
    ...fx.dataset,
    userFeatures: {
      categorical: {},
      multiHot: {},
      numeric: { age: Float32Array.from({ length: nu }, (_, u) => (u % 5 === 0 ? Number.NaN : 20 + u)) },
    },
  };
  return { dataset, splits };
}

/** Every user, each with k items scored by a decreasing retrieval score (plus `shift`). */
function candidates(splits: Splits, k: number, shift = 0): CandidateSet {
  const nu = splits.train.userIds.size;
  const users = Int32Array.from({ length: nu }, (_, u) => u);
  const items = new Int32Array(nu * k);
  const scores = new Float32Array(nu * k);
  for (let u = 0; u < nu; u++)
    for (let j = 0; j < k; j++) {
      items[u * k + j] = (u + j * 3) % splits.train.itemIds.size;
      scores[u * k + j] = 2 - j / k + (u % 3) * 0.1 + shift * (j % 2);
    }
  return { itemIds: splits.train.itemIds, users, k, items, scores };
}

async function fitted(params: Record<string, unknown>) {
  const { dataset, splits } = fixture();
  const ctx = makeTestCreateContext();
  const ranker = new NcfRanker(ncfRankerSchema.parse(params), undefined, ctx.configDir);
  // fine-tuned on other scores than it then ranks: the loaded ranker must keep the fit's statistics
  await ranker.fit({ dataset, splits, ctx, candidates: candidates(splits, 12, 3) });
  const c = candidates(splits, 12);
  const out = await ranker.rank({ candidates: c, dataset, splits, ctx });
  const dir = mkdtempSync(join(tmpdir(), 'embrec-ncf-ranker-'));
  await ranker.save(dir);
  return { ranker, dataset, splits, ctx, c, out, dir };
}

function fresh(params: Record<string, unknown>): NcfRanker {
  return new NcfRanker(ncfRankerSchema.parse(params), undefined, tmpdir());
}

describe('neumf ranker save/load', () => {
  it.each<[string, Record<string, unknown>]>([
    ['no side features', base],
    ['features: all (item categorical, bags, numeric with NaN; user numeric)', { ...base, features: 'all' }],
    ['without retrieval features', { ...base, retrievalFeatures: false }],
  ])('a loaded ranker ranks exactly as the fitted one (%s)', async (_name, params) => {
    const f = await fitted(params);
    const loaded = fresh(params);
    await loaded.load(f.dir);
    const again = await loaded.rank({ candidates: f.c, dataset: f.dataset, splits: f.splits, ctx: f.ctx });
    expect(again.k).toBe(f.out.k);
    expect(Array.from(again.items)).toEqual(Array.from(f.out.items));
    expect(Array.from(again.scores)).toEqual(Array.from(f.out.scores));
    // scoreList scores one user's list as rank() scores that row
    const q = 4;
    const k = f.c.k;
    const s = loaded.scoreList(
      f.c.users[q]!,
      f.c.items.subarray(q * k, (q + 1) * k),
      f.c.scores.subarray(q * k, (q + 1) * k),
    );
    const best = Array.from(s).sort((a, b) => b - a);
    expect(Array.from(f.out.scores.subarray(q * f.out.k, (q + 1) * f.out.k))).toEqual(best);
    if (params.features === 'all') {
      const saved = JSON.parse(readFileSync(join(f.dir, 'features.json'), 'utf8'));
      expect(Object.keys(saved.item.categorical)).toEqual(['genre']);
      expect(Object.keys(saved.user.numeric)).toEqual(['age']);
      // without the user table the network differs: refused, not silently scored
      delete saved.user;
      writeFileSync(join(f.dir, 'features.json'), JSON.stringify(saved));
      await expect(fresh(params).load(f.dir)).rejects.toThrow(
        /weights\.json: parameters user\.out\.w0, .* are not in the network model\.json and features\.json describe \(expected gmf\.user, /,
      );
    }
    f.ranker.dispose();
    loaded.dispose();
    rmSync(f.dir, { recursive: true });
  });

  it('refuses a missing, corrupt or mismatched file, naming it with what was expected and found', async () => {
    const f = await fitted({ ...base, features: 'all' });
    const withFeatures = { ...base, features: 'all' };
    const load = (params: Record<string, unknown>, dir = f.dir) => fresh(params).load(dir);

    // another network shape
    await expect(load({ ...withFeatures, factors: 16 })).rejects.toThrow(
      /model\.json: the saved ranker has factors 8, this ranker expects factors 16/,
    );
    await expect(load(base)).rejects.toThrow(
      /model\.json: the saved ranker has features "all", this ranker expects features "none"/,
    );

    // features.json of another model (fewer item rows), then missing
    const feat = join(f.dir, 'features.json');
    const good = readFileSync(feat, 'utf8');
    const t = JSON.parse(good);
    t.item.numeric.year = t.item.numeric.year.slice(1);
    writeFileSync(feat, JSON.stringify(t));
    await expect(load(withFeatures)).rejects.toThrow(
      /features\.json: item feature "year": expected \d+ values for the model's \d+ items, found \d+/,
    );
    rmSync(feat);
    await expect(load(withFeatures)).rejects.toThrow(/features\.json: cannot read the side-feature tables/);
    writeFileSync(feat, good);

    // weights: truncated, then an index without a parameter
    const bin = join(f.dir, 'weights.bin');
    const weights = readFileSync(bin);
    truncateSync(bin, 64);
    await expect(load(withFeatures)).rejects.toThrow(
      /weights\.bin: parameter "[^"]+" needs values \d+\.\.\d+, the file holds 16/,
    );
    writeFileSync(bin, weights);
    const idx = join(f.dir, 'weights.json');
    const index = readFileSync(idx, 'utf8');
    writeFileSync(
      idx,
      JSON.stringify(JSON.parse(index).filter((e: { name: string }) => e.name !== 'head.extra')),
    );
    await expect(load(withFeatures)).rejects.toThrow(
      /weights\.json: expected the parameters head\.extra of the saved neumf network/,
    );
    writeFileSync(idx, index);

    // the ranker's own state: corrupt, then missing
    const state = join(f.dir, 'neumf-ranker.json');
    writeFileSync(state, '{"format": "embrec-neumf-ranker/1", "scoreStats": {"mean": 1}}');
    await expect(load(withFeatures)).rejects.toThrow(
      /neumf-ranker\.json: expected "scoreStats" \{mean, std > 0\} or null, found \{"mean":1\}/,
    );
    rmSync(state);
    await expect(load(withFeatures)).rejects.toThrow(
      /neumf-ranker\.json: cannot read the saved neumf ranker/,
    );

    // an unfitted ranker cannot save or score
    await expect(fresh(base).save(f.dir)).rejects.toThrow(/save\(\) needs a trained ranker/);
    expect(() => fresh(base).scoreList(0, Int32Array.of(0), Float32Array.of(1))).toThrow(
      /needs a trained ranker/,
    );
    f.ranker.dispose();
    rmSync(f.dir, { recursive: true });
  });
});
