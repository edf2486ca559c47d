import {
  type Csr,
  type Dataset,
  defineComponent,
  type EmbeddingTable,
  type Scorer,
  UsageError,
} from '@embrec/core';
import { z } from 'zod';
import { inverseDocumentFrequency, queryTerms, TextSvdEncoder, weightDocuments } from './text.ts';

/**
 * Text retrieval as embedding models, so the runner indexes them (FAISS) and evaluates them like any
 * other: items are documents (research notes), users are queries (market events), both carrying a
 * multi-hot word-count feature over one vocabulary (`synthetic-holdings` with `view: notes`).
 */

function wordBags(data: Dataset, feature: string, model: string): { docs: Csr; queries: Csr } {
  const docs = data.itemFeatures?.multiHot[feature]?.bags;
  const queries = data.userFeatures?.multiHot[feature]?.bags;
  const have = (side: 'itemFeatures' | 'userFeatures') =>
    Object.keys(data[side]?.multiHot ?? {}).join(', ') || 'none';
  if (!docs)
    throw new UsageError(
      `${model}: expected a multi-hot item feature "${feature}" (word counts), found: ${have('itemFeatures')}`,
    );
  if (!queries)
    throw new UsageError(
      `${model}: expected a multi-hot user feature "${feature}" (word counts), found: ${have('userFeatures')}`,
    );
  if (docs.cols !== queries.cols)
    throw new UsageError(
      `${model}: items and users must share the "${feature}" vocabulary (${docs.cols} vs ${queries.cols} words)`,
    );
  return { docs, queries };
}

function tables(data: Dataset, users: Float32Array, items: Float32Array, dim: number): Scorer {
  const u: EmbeddingTable = { ids: data.interactions.userIds, dim, vectors: users };
  const i: EmbeddingTable = { ids: data.interactions.itemIds, dim, vectors: items };
  return { kind: 'embeddings', users: u, items: i };
}

function fitted(s: Scorer | undefined, model: string): Scorer {
  if (!s) throw new UsageError(`${model}: scorer() before fit()`);
  return s;
}

const featureField = z.string().default('words').describe('Multi-hot word-count feature of items and users');
const dfFields = {
  minDf: z.number().int().min(1).default(1).describe('Ignore words in fewer documents (scikit-learn min_df)'),
  maxDf: z
    .number()
    .positive()
    .max(1)
    .default(1)
    .describe('Ignore words in more than this share of documents (scikit-learn max_df; stop words)'),
};
const bm25Fields = {
  k1: z.number().positive().default(1.2).describe('BM25 term-frequency saturation'),
  b: z.number().min(0).max(1).default(0.75).describe('BM25 length normalisation'),
};

export const textSvdSchema = z.strictObject({
  feature: featureField,
  dim: z.number().int().positive().max(1024).default(64).describe('SVD components (embedding size)'),
  weighting: z.enum(['tfidf', 'bm25']).default('tfidf').describe('Term weighting before the SVD'),
  ...bm25Fields,
  ...dfFields,
  oversample: z.number().int().min(0).default(20).describe('Randomized SVD oversampling'),
  power: z.number().int().min(0).default(2).describe('Randomized SVD power iterations'),
});

export const textSvdModel = defineComponent({
  kind: 'model',
  type: 'text-svd',
  description:
    'TF-IDF or BM25 weighting + truncated SVD (LSA) of a word feature; queries folded in (no downloaded weights)',
  schema: textSvdSchema,
  create: (p) => {
    let scorer: Scorer | undefined;
    return {
      async fit({ dataset, ctx }) {
        const { docs, queries } = wordBags(dataset, p.feature, 'text-svd');
        const enc = new TextSvdEncoder({
          dim: Math.min(p.dim, docs.rows, docs.cols),
          weighting: p.weighting,
          bm25: { k1: p.k1, b: p.b },
          minDf: p.minDf,
          maxDf: p.maxDf,
          oversample: p.oversample,
          power: p.power,
          seed: ctx.seed,
        });
        const items = enc.fit(docs);
        scorer = tables(dataset, enc.encode(queries), items, items.length / docs.rows);
      },
      scorer: () => fitted(scorer, 'text-svd'),
    };
  },
});

export const bm25Model = defineComponent({
  kind: 'model',
  type: 'bm25',
  description: 'Okapi BM25 word matching as embeddings (document term weights · query term indicators)',
  schema: z.strictObject({ feature: featureField, ...bm25Fields, ...dfFields }),
  create: (p) => {
    let scorer: Scorer | undefined;
    return {
      async fit({ dataset }) {
        const { docs, queries } = wordBags(dataset, p.feature, 'bm25');
        const idf = inverseDocumentFrequency(docs, 'bm25', p.minDf, p.maxDf);
        const items = weightDocuments(docs, idf, 'bm25', { k1: p.k1, b: p.b });
        scorer = tables(dataset, queryTerms(queries), items, docs.cols);
      },
      scorer: () => fitted(scorer, 'bm25'),
    };
  },
});

export const topicOracleModel = defineComponent({
  kind: 'model',
  type: 'topic-oracle',
  description: "The generator's oracle: one-hot planted topics of items and users (score 1 = same topic)",
  schema: z.strictObject({
    feature: z.string().default('topic').describe('Categorical planted-topic feature of items and users'),
  }),
  create: (p) => {
    let scorer: Scorer | undefined;
    return {
      async fit({ dataset }) {
        const it = dataset.itemFeatures?.categorical[p.feature];
        const us = dataset.userFeatures?.categorical[p.feature];
        if (!it || !us)
          throw new UsageError(
            `topic-oracle: expected a categorical item and user feature "${p.feature}" (synthetic-holdings, view: notes)`,
          );
        const dim = Math.max(it.vocab.length, us.vocab.length);
        const oneHot = (v: Int32Array) => {
          const out = new Float32Array(v.length * dim);
          v.forEach((c, r) => {
            if (c >= 0) out[r * dim + c] = 1;
          });
          return out;
        };
        scorer = tables(dataset, oneHot(us.values), oneHot(it.values), dim);
      },
      scorer: () => fitted(scorer, 'topic-oracle'),
    };
  },
});

export const coHoldingModel = defineComponent({
  kind: 'model',
  type: 'co-holding',
  description:
    "A security is its column of the train holdings matrix (binary, or the portfolios' weights): the finance measures' co-holding baseline as a trial; a portfolio scores securities by its co-holdings with the other portfolios (user kNN)",
  schema: z.strictObject({
    values: z
      .enum(['binary', 'weights'])
      .default('binary')
      .describe(
        "matrix entries: 1 per holding (the finance baseline) or the holding's weight (the interactions' weights column)",
      ),
  }),
  create: (p) => {
    let scorer: Scorer | undefined;
    return {
      async fit({ dataset, splits }) {
        const train = splits.train;
        if (p.values === 'weights' && !train.weights)
          throw new UsageError(
            'co-holding: values "weights" needs a weights column in the training interactions (holdings data sets carry one); use values: binary',
          );
        const nu = train.userIds.size;
        const ni = train.itemIds.size;
        // X [users, items]; a repeated pair keeps its last value
        const x = new Map<number, number>();
        for (let r = 0; r < train.users.length; r++)
          x.set(train.users[r]! * ni + train.items[r]!, p.values === 'weights' ? train.weights![r]! : 1);
        const items = new Float32Array(ni * nu); // column i of X: [items, users]
        const holders: number[][] = Array.from({ length: ni }, () => []);
        const held: number[][] = Array.from({ length: nu }, () => []);
        for (const [key, v] of x) {
          const u = Math.floor(key / ni);
          const i = key - u * ni;
          items[i * nu + u] = v;
          holders[i]!.push(u);
          held[u]!.push(i);
        }
        // user u: row u of X Xᵀ (co-holdings with every portfolio), so u · item i = Σ_p (X Xᵀ)[u, p] X[p, i]
        const users = new Float32Array(nu * nu);
        for (let u = 0; u < nu; u++)
          for (const i of held[u]!) {
            const xu = items[i * nu + u]!;
            for (const q of holders[i]!) users[u * nu + q]! += xu * items[i * nu + q]!;
          }
        scorer = tables(dataset, users, items, nu);
      },
      scorer: () => fitted(scorer, 'co-holding'),
    };
  },
});
