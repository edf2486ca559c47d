import type { AnyComponentDefinition } from '@embrec/core';
import { defineComponent } from '@embrec/core';
import { z } from 'zod';
import { calibrationKl, catalogCoverage, giniExposure, intraListDiversity, novelty } from './metrics.ts';

/** Beyond-accuracy metrics (kind `metric` with `aggregate`): usable in evaluate.metrics. */
export const beyondMetricComponents: AnyComponentDefinition[] = [
  defineComponent({
    kind: 'metric',
    type: 'ild',
    description:
      'Intra-list diversity@k: mean pairwise 1 − similarity (attribute Jaccard or embedding cosine)',
    schema: z.strictObject({
      attribute: z
        .string()
        .optional()
        .describe('categorical/multi-hot item attribute; default: item embeddings'),
    }),
    create: (p) => intraListDiversity(p.attribute),
  }),
  defineComponent({
    kind: 'metric',
    type: 'catalog-coverage',
    description: 'Catalogue coverage@k: share of all items recommended to at least one user',
    schema: z.strictObject({}),
    create: () => catalogCoverage(),
  }),
  defineComponent({
    kind: 'metric',
    type: 'gini',
    description: 'Gini coefficient of item exposure@k (0 = equal exposure)',
    schema: z.strictObject({}),
    create: () => giniExposure(),
  }),
  defineComponent({
    kind: 'metric',
    type: 'novelty',
    description: 'Novelty@k: mean self-information −log2(popularity / users) of the listed items',
    schema: z.strictObject({}),
    create: () => novelty(),
  }),
  defineComponent({
    kind: 'metric',
    type: 'calibration-kl',
    description: 'Miscalibration@k (Steck 2018): KL(history genres ‖ list genres), lower is better',
    schema: z.strictObject({
      attribute: z.string().default('genres'),
      alpha: z.number().min(0).max(1).default(0.01),
    }),
    create: (p) => calibrationKl(p.attribute, p.alpha),
  }),
];
