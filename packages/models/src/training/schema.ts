import { z } from 'zod';

/** The `train:` block of an embedding model. */
export const trainSchema = z
  .strictObject({
    epochs: z.number().int().positive().default(20),
    batchSize: z.number().int().positive().default(1024),
    lr: z.number().positive().default(0.001),
    optimizer: z.enum(['adam', 'adagrad']).default('adam'),
    optimizerPrecision: z
      .enum(['float64', 'float32'])
      .default('float64')
      .describe(
        "arithmetic of the Adam update: float64 (the default; double precision, rounded when stored) or float32 (single precision, as PyTorch's Adam: other bits; the update is 5–7× faster on rows that fit in cache, about 1.3× on a step that touches most of a wide table, where memory traffic dominates); Adagrad always uses float64",
      ),
    beta1: z.number().min(0).max(1).default(0.9),
    beta2: z.number().min(0).max(1).default(0.999),
    eps: z.number().positive().default(1e-8),
    weightDecay: z
      .number()
      .min(0)
      .default(0)
      .describe('L2 penalty on the updated values (embedding rows of the batch)'),
    schedule: z
      .strictObject({
        type: z.enum(['constant', 'cosine', 'step', 'linear']).default('constant'),
        warmupSteps: z.number().int().min(0).default(0),
        /** step: multiply by gamma every stepEpochs epochs. */
        stepEpochs: z.number().int().positive().default(10),
        gamma: z.number().positive().default(0.5),
        /** cosine/linear: final learning rate as a fraction of lr. */
        minFactor: z.number().min(0).max(1).default(0),
      })
      .prefault({}),
    earlyStopping: z
      .strictObject({
        metric: z
          .string()
          .default('NDCG@20')
          .describe('a validation metric (display name), higher is better'),
        patience: z.number().int().positive().default(3),
      })
      .optional(),
    validateEvery: z.number().int().positive().default(1).describe('epochs between validations'),
    sampling: z
      .enum(['rows', 'users'])
      .default('rows')
      .describe(
        "rows: each epoch visits every training row once, shuffled; users: each epoch draws as many rows, each a user drawn uniformly (among users with training rows) and one of its training rows (LightGCN's reference sampler)",
      ),
    checkpoint: z.boolean().default(true).describe('write a checkpoint each epoch and resume from it'),
    viewRefresh: z
      .number()
      .int()
      .positive()
      .default(100)
      .describe('steps between item-table refreshes of the scoring view (hard negatives)'),
  })
  .refine((c) => c.optimizerPrecision === 'float64' || c.optimizer === 'adam', {
    message: 'float32 needs optimizer: adam (Adagrad always updates in float64)',
    path: ['optimizerPrecision'],
  });
export type TrainConfig = z.output<typeof trainSchema>;

/** Learning rate at a step (0-based), for an epoch (0-based) of `stepsPerEpoch`. */
export function learningRate(cfg: TrainConfig, step: number, stepsPerEpoch: number): number {
  const s = cfg.schedule;
  const total = Math.max(cfg.epochs * stepsPerEpoch, 1);
  let lr = cfg.lr;
  if (s.type === 'cosine') {
    const t = Math.min(step / total, 1);
    lr = cfg.lr * (s.minFactor + (1 - s.minFactor) * 0.5 * (1 + Math.cos(Math.PI * t)));
  } else if (s.type === 'linear') {
    const t = Math.min(step / total, 1);
    lr = cfg.lr * (1 - (1 - s.minFactor) * t);
  } else if (s.type === 'step') {
    lr = cfg.lr * s.gamma ** Math.floor(step / stepsPerEpoch / s.stepEpochs);
  }
  if (s.warmupSteps > 0 && step < s.warmupSteps) lr *= (step + 1) / s.warmupSteps;
  return lr;
}
