import { IdMap } from '../types/ids.ts';
import { makeInteractions } from '../types/interactions.ts';
import type { Dataset, Splits } from '../types/values.ts';
import { Rng } from '../util/rng.ts';

/**
 * A tiny clustered dataset for conformance tests: users of group g interact mostly with items of
 * group g (items have a categorical `genre` = group, a multi-hot `tags` bag and a numeric `year`).
 * Train holds most interactions; test holds one in-group item per user that train does not.
 */
export function tinyClusteredDataset(
  opts: { users?: number; items?: number; groups?: number; perUser?: number; seed?: number } = {},
): {
  dataset: Dataset;
  splits: Splits;
  group: (item: number) => number;
  userGroup: (user: number) => number;
} {
  const nu = opts.users ?? 48;
  const ni = opts.items ?? 40;
  const ng = opts.groups ?? 4;
  const per = opts.perUser ?? 6;
  const rng = new Rng(opts.seed ?? 7);
  const userIds = new IdMap(Array.from({ length: nu }, (_, i) => `u${i}`));
  const itemIds = new IdMap(Array.from({ length: ni }, (_, i) => `i${i}`));
  const group = (i: number): number => i % ng;
  const userGroup = (u: number): number => u % ng;
  const tu: number[] = [];
  const ti: number[] = [];
  const su: number[] = [];
  const si: number[] = [];
  for (let u = 0; u < nu; u++) {
    const g = userGroup(u);
    const inGroup = Array.from({ length: ni }, (_, i) => i).filter((i) => group(i) === g);
    rng.shuffle(inGroup);
    for (let k = 0; k < Math.min(per, inGroup.length - 1); k++) {
      tu.push(u);
      ti.push(inGroup[k]!);
    }
    su.push(u);
    si.push(inGroup[inGroup.length - 1]!);
    if (rng.next() < 0.3) {
      tu.push(u);
      ti.push(rng.int(ni)); // noise
    }
  }
  const interactions = makeInteractions({
    userIds,
    itemIds,
    users: Int32Array.from([...tu, ...su]),
    items: Int32Array.from([...ti, ...si]),
  });
  const train = makeInteractions({
    userIds,
    itemIds,
    users: Int32Array.from(tu),
    items: Int32Array.from(ti),
  });
  const test = makeInteractions({ userIds, itemIds, users: Int32Array.from(su), items: Int32Array.from(si) });
  const tagsIndptr = new Int32Array(ni + 1);
  const tagsIndices: number[] = [];
  for (let i = 0; i < ni; i++) {
    tagsIndices.push(group(i) * 2, group(i) * 2 + (i % 2));
    tagsIndptr[i + 1] = tagsIndices.length;
  }
  const vocab = Array.from({ length: ng }, (_, g) => `g${g}`);
  const dataset: Dataset = {
    name: 'tiny-clustered',
    interactions,
    itemNames: Array.from({ length: ni }, (_, i) => `Item ${i}`),
    itemFeatures: {
      categorical: { genre: { values: Int32Array.from({ length: ni }, (_, i) => group(i)), vocab } },
      multiHot: {
        tags: {
          bags: { rows: ni, cols: ng * 2, indptr: tagsIndptr, indices: Int32Array.from(tagsIndices) },
          vocab: Array.from({ length: ng * 2 }, (_, t) => `t${t}`),
        },
      },
      numeric: {
        year: Float32Array.from({ length: ni }, (_, i) => (i % 7 === 0 ? Number.NaN : 1990 + (i % 13))),
      },
    },
  };
  return { dataset, splits: { train, test }, group, userGroup };
}
