import { need, type Stage } from './types.ts';

/**
 * fit: the model trains on the train split; with a validation split it may call `validate()`
 * (the evaluator on validation items, train items masked) for early stopping and history.
 */
export const fitStage: Stage = {
  name: 'fit',
  needs: ['split'],
  async run({ cfg, state, assembler, guard, timed, ctxFor }) {
    const dataset = need(state.dataset, 'a dataset', 'fit');
    const splits = need(state.splits, 'splits', 'fit');
    const evaluator = await assembler.get('evaluator', cfg.evaluate, 'evaluate');
    const model = await assembler.get('model', cfg.model, 'model');
    const evalCtx = ctxFor('evaluator', cfg.evaluate.type);
    const valid = splits.valid;
    const validate = valid
      ? () =>
          guard('evaluator', cfg.evaluate.type, 'validate', () => {
            const s = model.scorer();
            return evaluator.evaluate({
              scorer: s,
              mask: [splits.train],
              target: valid,
              train: splits.train,
              ctx: evalCtx,
              ...(dataset.itemFeatures ? { itemFeatures: dataset.itemFeatures } : {}),
              ...(s.kind === 'embeddings' ? { itemEmbeddings: s.items } : {}),
            });
          })
      : undefined;
    const ctx = ctxFor('model', cfg.model.type);
    await timed('fit', () =>
      guard('model', cfg.model.type, 'fit', () =>
        model.fit(validate ? { dataset, splits, ctx, validate } : { dataset, splits, ctx }),
      ),
    );
    state.evaluator = evaluator;
    state.model = model;
    if (validate) state.validate = validate;
  },
};

/** embed: the trained model's scorer (user and item embeddings, or a direct scorer). */
export const embedStage: Stage = {
  name: 'embed',
  needs: ['fit'],
  async run({ cfg, state, guard, timed }) {
    const model = need(state.model, 'a fitted model', 'embed');
    state.scorer = await timed('embed', () => guard('model', cfg.model.type, 'scorer', () => model.scorer()));
  },
};
