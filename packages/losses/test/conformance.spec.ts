import { createComponent, describeLoss, describeSampler } from '@embrec/core/testing';
import {
  bprComponent,
  cclComponent,
  hardSampler,
  inBatchSampler,
  infonceComponent,
  mixedSampler,
  popularitySampler,
  sampledSoftmaxComponent,
  tripletComponent,
  uniformSampler,
} from '../src/index.ts';

describeLoss('infonce', { make: () => createComponent(infonceComponent) });
describeLoss('infonce (learnable τ, shared negatives)', {
  make: () => createComponent(infonceComponent, { learnable: true }),
  negatives: 'shared',
});
describeLoss('infonce (per-row negatives)', {
  make: () => createComponent(infonceComponent),
  negatives: 'per-row',
});
describeLoss('sampled-softmax', {
  make: () => createComponent(sampledSoftmaxComponent),
  negatives: 'per-row',
});
describeLoss('sampled-softmax (shared)', {
  make: () => createComponent(sampledSoftmaxComponent),
  negatives: 'shared',
});
describeLoss('bpr', { make: () => createComponent(bprComponent), negatives: 'per-row' });
describeLoss('bpr (shared)', { make: () => createComponent(bprComponent), negatives: 'shared' });
describeLoss('triplet', {
  make: () => createComponent(tripletComponent, { margin: 0.5 }),
  negatives: 'per-row',
});
describeLoss('triplet (shared)', {
  make: () => createComponent(tripletComponent, { margin: 0.5 }),
  negatives: 'shared',
});
describeLoss('ccl', {
  make: () => createComponent(cclComponent, { margin: 0.1, negWeight: 2 }),
  negatives: 'per-row',
});

describeSampler('in-batch', { make: () => createComponent(inBatchSampler) });
describeSampler('uniform', { make: () => createComponent(uniformSampler, { num: 3 }) });
describeSampler('uniform (shared)', {
  make: () => createComponent(uniformSampler, { num: 5, shared: true }),
});
describeSampler('popularity', { make: () => createComponent(popularitySampler, { num: 2, alpha: 0.75 }) });
describeSampler('mixed', { make: () => createComponent(mixedSampler, { num: 6 }) });
describeSampler('hard static', { make: () => createComponent(hardSampler, { strategy: 'static', num: 2 }) });
describeSampler('hard dynamic', {
  make: () => createComponent(hardSampler, { strategy: 'dynamic', pool: 5 }),
});
describeSampler('hard semi-hard', {
  make: () => createComponent(hardSampler, { strategy: 'semi-hard', pool: 8 }),
});
