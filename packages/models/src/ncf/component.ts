import { type CreateContext, defineComponent, type LossComponent } from '@embrec/core';
import { NcfModel } from './model.ts';
import { NcfRanker } from './ranker.ts';
import { type NcfConfig, ncfRankerSchema, ncfSchema } from './schema.ts';

async function lossOf(p: NcfConfig, ctx: CreateContext): Promise<LossComponent | undefined> {
  return p.loss === undefined ? undefined : await ctx.instantiate('loss', p.loss);
}

/**
 * Neural Collaborative Filtering (He et al., WWW 2017) as a full-ranking model: GMF, MLP or the
 * fused NeuMF (`variant`), pointwise log loss with 4 sampled negatives per positive by default, or a
 * registered loss with explicit negatives (`loss: bpr`). Scores every item for a user in blocks.
 */
export const ncfComponent = defineComponent({
  kind: 'model',
  type: 'ncf',
  description: 'Neural Collaborative Filtering (GMF, MLP, NeuMF): pointwise log loss with sampled negatives',
  schema: ncfSchema,
  async create(p, _deps, ctx) {
    return new NcfModel(p, await lossOf(p, ctx), ctx.configDir, 'ncf');
  },
});

/** `neumf` = `ncf` with variant neumf (the default), under the name the paper uses. */
export const neumfComponent = defineComponent({
  kind: 'model',
  type: 'neumf',
  description: 'NeuMF (He et al. 2017): GMF and MLP fused, optional pre-training of both parts',
  schema: ncfSchema,
  async create(p, _deps, ctx) {
    return new NcfModel(p, await lossOf(p, ctx), ctx.configDir, 'neumf');
  },
});

/** NeuMF re-scoring the retrieval candidates, with retrieval score/rank and side features as inputs. */
export const neumfRankerComponent = defineComponent({
  kind: 'ranker',
  type: 'neumf',
  description:
    'NeuMF ranker: re-scores retrieval candidates with retrieval score/rank and side features; fine-tuned on the first stage’s hard negatives',
  schema: ncfRankerSchema,
  async create(p, _deps, ctx) {
    return new NcfRanker(p, await lossOf(p, ctx), ctx.configDir);
  },
});
