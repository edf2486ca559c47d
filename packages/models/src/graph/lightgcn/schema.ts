import { z } from 'zod';
import { trainSchema } from '../../training/schema.ts';

const gammaText = 'final embedding γ·E⁽⁰⁾ + (1−γ)·mean(E⁽¹⁾..E⁽ᴷ⁾) (LightGCN++)';

/** Parameters shared by `lightgcn` and `lightgcn++`, with the defaults of each. */
function shape(defaults: { alpha: number; beta: number; normalize: boolean }) {
  return {
    dim: z.number().int().positive().default(64).describe('embedding dimension'),
    layers: z
      .number()
      .int()
      .min(0)
      .max(16)
      .default(2)
      .describe('propagation layers K (0 = matrix factorisation on the same trainer)'),
    initStd: z
      .number()
      .positive()
      .default(0.1)
      .describe('std of the normal initialisation of the ego embeddings'),
    alpha: z
      .number()
      .min(0)
      .max(1)
      .default(defaults.alpha)
      .describe('Â = D^-α A D^-β: exponent of the degree of the receiving node (LightGCN ½)'),
    beta: z
      .number()
      .min(-1)
      .max(1)
      .default(defaults.beta)
      .describe('Â = D^-α A D^-β: exponent of the degree of the sending node (LightGCN ½)'),
    normalize: z
      .boolean()
      .default(defaults.normalize)
      .describe('L2-normalise each layer input before propagating it (LightGCN++)'),
    l2: z
      .number()
      .min(0)
      .default(1e-4)
      .describe("L2 penalty λ/2·‖e⁽⁰⁾‖²/B on the batch's ego embeddings (LightGCN's weight decay)"),
    train: trainSchema.prefault({}),
  };
}

/**
 * `lightgcn` (He et al., SIGIR 2020): Â = D^-½ A D^-½ and layers 0..K averaged with equal weights by
 * default; `layerWeights` or LightGCN++'s `gamma` (one of them) change the weights, `alpha`, `beta`
 * and `normalize` the rest of LightGCN++.
 */
export const lightGcnSchema = z
  .strictObject({
    ...shape({ alpha: 0.5, beta: 0.5, normalize: false }),
    layerWeights: z
      .array(z.number().min(0))
      .optional()
      .describe('weights of layers 0..K in the final embedding (K+1 values; default 1/(K+1) each)'),
    gamma: z.number().min(0).max(1).optional().describe(`${gammaText}, instead of layerWeights`),
  })
  .superRefine((p, ctx) => {
    if (p.layerWeights && p.gamma !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['gamma'],
        message: 'set either gamma or layerWeights, not both',
      });
    }
    if (p.layerWeights && p.layerWeights.length !== p.layers + 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['layerWeights'],
        message: `layerWeights needs ${p.layers + 1} values (layers 0..${p.layers}) but has ${p.layerWeights.length}`,
      });
    }
    if (p.layerWeights?.every((w) => w === 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['layerWeights'],
        message: 'at least one layer weight must be positive',
      });
    }
  });

/**
 * `lightgcn++` (Lee, Kim & Shin, RecSys 2024): the defaults its repository's README recommends,
 * α = 0.6, β = −0.1, γ = 0.2, with normalised layer inputs (geon0325/LightGCNpp README.md and
 * code/parse.py). The layer weights are always LightGCN++'s γ form.
 */
export const lightGcnPlusPlusSchema = z.strictObject({
  ...shape({ alpha: 0.6, beta: -0.1, normalize: true }),
  gamma: z.number().min(0).max(1).default(0.2).describe(gammaText),
});

/** The parameters the model reads (either schema's output). */
export type LightGcnParams = z.output<z.ZodObject<ReturnType<typeof shape>>> & {
  readonly layerWeights?: number[] | undefined;
  readonly gamma?: number | undefined;
};

/** Weights of layers 0..K in the final embedding. */
export function layerWeights(p: Pick<LightGcnParams, 'layers' | 'layerWeights' | 'gamma'>): number[] {
  const k = p.layers;
  if (p.layerWeights) return [...p.layerWeights];
  if (p.gamma !== undefined) {
    // LightGCN++: γ·E⁽⁰⁾ + (1−γ)·mean(E⁽¹⁾..E⁽ᴷ⁾); with K = 0 only the ego layer is left
    return k === 0 ? [1] : [p.gamma, ...Array.from({ length: k }, () => (1 - p.gamma!) / k)];
  }
  return Array.from({ length: k + 1 }, () => 1 / (k + 1));
}
