import type { Dataset } from '../../types/values.ts';
import { need, type Stage } from './types.ts';

/** load: the dataset, then each transform in order. */
export const loadStage: Stage = {
  name: 'load',
  needs: [],
  async run({ cfg, state, assembler, guard, timed, ctxFor }) {
    let dataset: Dataset = await timed('load', async () => {
      const ds = await assembler.get('dataset', cfg.dataset, 'dataset');
      return guard('dataset', cfg.dataset.type, 'load', () => ds.load(ctxFor('dataset', cfg.dataset.type)));
    });
    for (const [i, b] of cfg.transforms.entries()) {
      const t = await assembler.get('transform', b, `transforms[${i}]`);
      const input = dataset;
      dataset = await guard('transform', b.type, 'apply', () => t.apply(input, ctxFor('transform', b.type)));
    }
    state.dataset = dataset;
  },
};

/** split: train / valid / test interactions. */
export const splitStage: Stage = {
  name: 'split',
  needs: ['load'],
  async run({ cfg, state, assembler, guard, timed, ctxFor, log }) {
    const dataset = need(state.dataset, 'a dataset', 'split');
    const splits = await timed('split', async () => {
      const s = await assembler.get('splitter', cfg.split, 'split');
      return guard('splitter', cfg.split.type, 'split', () =>
        s.split(dataset, ctxFor('splitter', cfg.split.type)),
      );
    });
    log.info(
      `data: ${splits.train.userIds.size} users, ${splits.train.itemIds.size} items; train ${splits.train.users.length}, ` +
        `valid ${splits.valid?.users.length ?? 0}, test ${splits.test.users.length} interactions`,
    );
    state.splits = splits;
  },
};
