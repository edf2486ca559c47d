// A third party's re-ranker, written only against @embrec/core's public API and zod (no embrec
// internals): `acme/bury-popular` lowers each candidate's score by `weight` × its training
// popularity scaled to [0, 1] and re-sorts the row. `broken: true` makes it return every row's first
// item k times, so a test can show the conformance checks catch a faulty re-ranker.
import { defineComponent, definePlugin, UsageError } from '@embrec/core';
import { z } from 'zod';

const buryPopular = defineComponent({
  kind: 'reranker',
  type: 'bury-popular',
  description: 'Lowers each candidate score by weight × its training popularity (scaled to [0, 1])',
  schema: z.strictObject({
    weight: z.number().nonnegative().default(0.5),
    broken: z.boolean().default(false),
  }),
  create(params) {
    return {
      async rerank({ candidates: c, splits }) {
        const train = splits.train;
        const pop = new Float64Array(train.itemIds.size);
        for (const i of train.items) pop[i] += 1;
        const max = Math.max(1, ...pop);
        const popOf = (i) => {
          const t = train.itemIds.get(c.itemIds.external(i));
          if (t === undefined)
            throw new UsageError(
              `acme/bury-popular: item "${c.itemIds.external(i)}" is not in the training data`,
            );
          return pop[t] / max;
        };
        const items = new Int32Array(c.items.length).fill(-1);
        const scores = new Float32Array(c.items.length).fill(Number.NEGATIVE_INFINITY);
        for (let q = 0; q < c.users.length; q++) {
          const row = [];
          for (let j = 0; j < c.k; j++) {
            const it = c.items[q * c.k + j];
            if (it >= 0) row.push({ it, s: c.scores[q * c.k + j] - params.weight * popOf(it), j });
          }
          row.sort((a, b) => b.s - a.s || a.j - b.j);
          row.forEach((r, j) => {
            items[q * c.k + j] = params.broken ? row[0].it : r.it;
            scores[q * c.k + j] = r.s;
          });
        }
        return { ...c, items, scores };
      },
    };
  },
});

export default definePlugin({
  meta: { name: 'embrec-plugin-acme', version: '1.0.0', namespace: 'acme' },
  engines: { '@embrec/core': '^0.1.0' },
  components: [buryPopular],
});
