import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createComponent, makeTestContext, makeTestCreateContext } from '@embrec/core/testing';
import { describe, expect, it } from 'vitest';
import { loadMl100k } from '../../data/src/datasets/movielens-100k/load.ts';
import { item2vecComponent } from '../src/item2vec/component.ts';
import type { Item2VecModel } from '../src/item2vec/model.ts';
import { itemSequences } from '../src/item2vec/sentences.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = join(process.env.EMBREC_DATA ?? resolve(repoRoot, '../shared/data'), 'ml-100k');
const have = existsSync(join(dir, 'u.data'));
if (!have) console.warn(`skipping the ML-100K item2vec test: ${dir}/u.data not found (set EMBREC_DATA)`);

describe.skipIf(!have && !process.env.CI)('item2vec on MovieLens 100K (timestamps)', () => {
  it('orders histories by time, splits sessions, and puts Return of the Jedi next to Star Wars', async () => {
    const data = loadMl100k(dir, { features: true });
    const x = data.interactions;
    expect(x.timestamps).toBeDefined();
    const seq = itemSequences(x);
    expect(seq.timed).toBe(true);
    const ts = x.timestamps!;
    // each history is in time order: compare consecutive items' first timestamps per user (user 0)
    const when = new Map<number, number>();
    for (let r = 0; r < x.users.length; r++) if (x.users[r] === 0) when.set(x.items[r]!, ts[r]!);
    const h0 = seq.history.items.subarray(seq.history.indptr[0]!, seq.history.indptr[1]!);
    for (let k = 1; k < h0.length; k++)
      expect(when.get(h0[k]!)!).toBeGreaterThanOrEqual(when.get(h0[k - 1]!)!);
    const sessions = itemSequences(x, { sessionGap: 3600 });
    expect(sessions.sentences.indptr.length - 1).toBeGreaterThan(x.userIds.size);

    const model = (await createComponent(
      item2vecComponent,
      { dim: 32, window: 5, epochs: 10, power: 0.75, sessionGap: 3600 },
      {},
      makeTestCreateContext({ seed: 1 }),
    )) as unknown as Item2VecModel;
    const ctx = makeTestContext({ seed: 1 });
    await model.fit({ dataset: data, splits: { train: x, test: x }, ctx });
    const names = data.itemNames!;
    const find = (title: string) => names.findIndex((n) => n.startsWith(title));
    const starWars = find('Star Wars (1977)');
    const jedi = find('Return of the Jedi (1983)');
    expect(starWars).toBeGreaterThanOrEqual(0);
    expect(jedi).toBeGreaterThanOrEqual(0);
    // the nearest items of Star Wars by cosine of input vectors
    const t = model.itemEmbeddings();
    const d = t.dim;
    const cos = (a: number, b: number) => {
      let s = 0;
      let na = 0;
      let nb = 0;
      for (let j = 0; j < d; j++) {
        s += t.vectors[a * d + j]! * t.vectors[b * d + j]!;
        na += t.vectors[a * d + j]! ** 2;
        nb += t.vectors[b * d + j]! ** 2;
      }
      return na > 0 && nb > 0 ? s / Math.sqrt(na * nb) : -1;
    };
    const order = [...names.keys()]
      .filter((i) => i !== starWars)
      .sort((a, b) => cos(starWars, b) - cos(starWars, a));
    const top = order.slice(0, 3).map((i) => names[i]);
    expect(top, top.join(' | ')).toContain(names[jedi]); // Return of the Jedi among the 3 nearest
  });
});
