import type { CreateContext, LossComponent, SamplerComponent } from '@embrec/core';
import { defineComponent } from '@embrec/core';
import { LightGcnModel } from './model.ts';
import { type LightGcnParams, lightGcnPlusPlusSchema, lightGcnSchema } from './schema.ts';

const deps = {
  loss: { kind: 'loss', optional: true },
  sampler: { kind: 'sampler', optional: true },
} as const;

/** BPR with one uniform negative per positive (LightGCN's objective) when the file names no loss. */
async function make(
  type: string,
  p: LightGcnParams,
  d: { loss: LossComponent | undefined; sampler: SamplerComponent | undefined },
  ctx: CreateContext,
): Promise<LightGcnModel> {
  const loss = d.loss ?? (await ctx.instantiate('loss', 'bpr'));
  const sampler =
    d.sampler ?? (d.loss ? undefined : await ctx.instantiate('sampler', { type: 'uniform', num: 1 }));
  return new LightGcnModel(type, p, loss, sampler);
}

/**
 * LightGCN (He et al., "LightGCN: Simplifying and Powering Graph Convolution Network for
 * Recommendation", SIGIR 2020): K layers of propagation over the symmetric-normalised user–item
 * graph, final embedding = weighted mean of the layers, dot-product scores. α, β, γ and `normalize`
 * give LightGCN++ (see `lightgcn++`).
 */
export const lightGcnComponent = defineComponent({
  kind: 'model',
  type: 'lightgcn',
  description: 'LightGCN: K-layer propagation over the normalised user–item graph (BPR by default)',
  schema: lightGcnSchema,
  deps,
  create: (p, d, ctx) => make('lightgcn', p, d, ctx),
});

/**
 * LightGCN++ (Lee, Kim & Shin, "Revisiting LightGCN: Unexpected Inflexibility, Inconsistency, and
 * a Remedy Towards Improved Recommendation", RecSys 2024), as its released code defines it
 * (github.com/geon0325/LightGCNpp, commit 474c9be, code/dataloader.py `getSparseGraph`,
 * code/model.py `computer`):
 *   Â = D^-α A D^-β;  each layer input L2-normalised per row;  E = γ·E⁽⁰⁾ + (1−γ)·mean(E⁽¹⁾..E⁽ᴷ⁾).
 * Defaults α = 0.6, β = −0.1, γ = 0.2 (README.md); per data set its code/run.sh uses
 * ML-1M α 0.5, β 0.0, γ 0.0; LastFM and Gowalla α 0.6, β −0.1, γ 0.2.
 */
export const lightGcnPlusPlusComponent = defineComponent({
  kind: 'model',
  type: 'lightgcn++',
  description: 'LightGCN++: LightGCN with D^-α A D^-β, normalised layer inputs and γ-weighted ego layer',
  schema: lightGcnPlusPlusSchema,
  deps,
  create: (p, d, ctx) => make('lightgcn++', p, d, ctx),
});
