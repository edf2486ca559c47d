import type { Dataset, Interactions, Rng, SamplerComponent, ScoringView } from '@embrec/core';
import { defineComponent, UsageError } from '@embrec/core';
import { z } from 'zod';

const schema = z.strictObject({
  strategy: z
    .enum(['static', 'dynamic', 'semi-hard'])
    .default('dynamic')
    .describe(
      'static: same category; dynamic: top-scored non-positives; semi-hard: scored below the positive',
    ),
  num: z.number().int().positive().default(1).describe('hard negatives per row'),
  feature: z
    .string()
    .optional()
    .describe('static: the categorical or multi-hot item feature (default: the first)'),
  refreshEvery: z
    .number()
    .int()
    .positive()
    .default(100)
    .describe('dynamic/semi-hard: steps between refreshes'),
  pool: z
    .number()
    .int()
    .positive()
    .default(50)
    .describe('dynamic/semi-hard: top-k items a negative is drawn from'),
});
export type HardSamplerParams = z.output<typeof schema>;

/** Item groups by one item feature: the items of each category, and each item's categories. */
function categoryGroups(dataset: Dataset | undefined, numItems: number, feature: string | undefined) {
  const f = dataset?.itemFeatures;
  if (!f) {
    throw new UsageError(
      `hard sampler strategy "static" needs item features (categories): dataset "${dataset?.name ?? '?'}" has none`,
    );
  }
  const name = feature ?? Object.keys(f.categorical)[0] ?? Object.keys(f.multiHot)[0];
  const itemCats: number[][] = Array.from({ length: numItems }, () => []);
  let vocab = 0;
  const cat = name !== undefined ? f.categorical[name] : undefined;
  const bag = name !== undefined ? f.multiHot[name] : undefined;
  if (cat) {
    vocab = cat.vocab.length;
    for (let i = 0; i < numItems; i++) if ((cat.values[i] ?? -1) >= 0) itemCats[i]!.push(cat.values[i]!);
  } else if (bag) {
    vocab = bag.vocab.length;
    for (let i = 0; i < Math.min(numItems, bag.bags.rows); i++)
      for (let p = bag.bags.indptr[i]!; p < bag.bags.indptr[i + 1]!; p++)
        itemCats[i]!.push(bag.bags.indices[p]!);
  } else {
    const have = [...Object.keys(f.categorical), ...Object.keys(f.multiHot)].join(', ') || 'none';
    throw new UsageError(
      `hard sampler: item feature "${feature ?? ''}" is not a categorical or multi-hot feature of dataset "${dataset?.name}" (available: ${have})`,
    );
  }
  const members: number[][] = Array.from({ length: vocab }, () => []);
  for (let i = 0; i < numItems; i++) for (const c of itemCats[i]!) members[c]!.push(i);
  return { itemCats, members };
}

/**
 * Hard negatives.
 * - static: an item sharing a category (or genre) with the positive, e.g. another comedy.
 * - dynamic: one of the current model's top-`pool` items for the user that the user never interacted
 *   with (ScoringView.topItems excludes training items), refreshed every `refreshEvery` steps.
 * - semi-hard: among those, an item scored below the positive (harder than random, easier than the
 *   hardest: FaceNet's semi-hard mining).
 * Items are drawn uniformly when no hard candidate exists. No logQ is reported (not a proposal
 * distribution with known probabilities).
 */
export const hardSampler = defineComponent({
  kind: 'sampler',
  type: 'hard',
  mode: 'explicit',
  description: 'Hard negatives: same category (static), top-scored non-positives (dynamic), semi-hard',
  schema,
  create(p): SamplerComponent {
    let numItems = 0;
    let groups: ReturnType<typeof categoryGroups> | undefined;
    const cache = new Map<number, { step: number; items: Int32Array }>();
    let step = 0;

    const staticPick = (pos: number, rng: Rng): number => {
      const cats = groups!.itemCats[pos]!;
      if (cats.length > 0) {
        const m = groups!.members[cats[rng.int(cats.length)]!]!;
        if (m.length > 1) {
          for (let t = 0; t < 4; t++) {
            const c = m[rng.int(m.length)]!;
            if (c !== pos) return c;
          }
        }
      }
      return rng.int(numItems);
    };

    const refresh = (users: Int32Array, view: ScoringView): void => {
      const stale: number[] = [];
      const seen = new Set<number>();
      for (const u of users) {
        const c = cache.get(u);
        if ((!c || step - c.step >= p.refreshEvery) && !seen.has(u)) {
          stale.push(u);
          seen.add(u);
        }
      }
      if (stale.length === 0) return;
      const k = Math.min(p.pool, numItems);
      const top = view.topItems(Int32Array.from(stale), k);
      for (let s = 0; s < stale.length; s++)
        cache.set(stale[s]!, { step, items: top.slice(s * k, (s + 1) * k) });
    };

    return {
      mode: 'explicit',
      init(train: Interactions, dataset?: Dataset) {
        numItems = train.itemIds.size;
        cache.clear();
        step = 0;
        if (p.strategy === 'static') groups = categoryGroups(dataset, numItems, p.feature);
      },
      positiveLogQ: () => undefined,
      sample(batch, rng, view) {
        const b = batch.users.length;
        const out = new Int32Array(b * p.num);
        if (p.strategy === 'static') {
          for (let i = 0; i < b; i++)
            for (let j = 0; j < p.num; j++) out[i * p.num + j] = staticPick(batch.items[i]!, rng);
        } else {
          if (!view)
            throw new UsageError(
              `hard sampler strategy "${p.strategy}" needs a ScoringView from the trainer`,
            );
          refresh(batch.users, view);
          let posScores: Float32Array | undefined;
          let candScores: Float32Array | undefined;
          const k = Math.min(p.pool, numItems);
          if (p.strategy === 'semi-hard') {
            posScores = view.scorePairs(batch.users, batch.items);
            const cu = new Int32Array(b * k);
            const ci = new Int32Array(b * k);
            for (let i = 0; i < b; i++) {
              const list = cache.get(batch.users[i]!)!.items;
              for (let j = 0; j < k; j++) {
                cu[i * k + j] = batch.users[i]!;
                ci[i * k + j] = list[j] ?? -1;
              }
            }
            candScores = view.scorePairs(
              cu,
              ci.map((x) => Math.max(x, 0)),
            );
          }
          for (let i = 0; i < b; i++) {
            const list = cache.get(batch.users[i]!)!.items;
            for (let j = 0; j < p.num; j++) {
              let pick = -1;
              if (posScores && candScores) {
                const ok: number[] = [];
                for (let c = 0; c < k; c++)
                  if ((list[c] ?? -1) >= 0 && candScores[i * k + c]! < posScores[i]!) ok.push(list[c]!);
                if (ok.length > 0) pick = ok[rng.int(ok.length)]!;
              } else {
                const c = list[rng.int(list.length)] ?? -1;
                pick = c;
              }
              out[i * p.num + j] = pick >= 0 ? pick : rng.int(numItems);
            }
          }
        }
        step++;
        return { items: out, perRow: p.num, shared: false };
      },
    };
  },
});
