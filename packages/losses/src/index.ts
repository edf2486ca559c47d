import { coreVersion, definePlugin } from '@embrec/core';
import { bprComponent } from './losses/bpr.ts';
import { cclComponent } from './losses/ccl.ts';
import { infonceComponent } from './losses/infonce.ts';
import { sampledSoftmaxComponent } from './losses/sampled-softmax.ts';
import { tripletComponent } from './losses/triplet.ts';
import { inBatchSampler, mixedSampler, popularitySampler, uniformSampler } from './samplers/basic.ts';
import { hardSampler } from './samplers/hard.ts';

export { bpr, bprComponent } from './losses/bpr.ts';
export { ccl, cclComponent } from './losses/ccl.ts';
export { infonce, infonceComponent } from './losses/infonce.ts';
export { sampledSoftmax, sampledSoftmaxComponent } from './losses/sampled-softmax.ts';
export { triplet, tripletComponent } from './losses/triplet.ts';
export { inBatchSampler, mixedSampler, popularitySampler, uniformSampler } from './samplers/basic.ts';
export { ItemDistribution } from './samplers/distribution.ts';
export { hardSampler } from './samplers/hard.ts';

/** Built-in losses and negative samplers. */
const plugin = definePlugin({
  meta: { name: '@embrec/losses', version: coreVersion, namespace: 'embrec' },
  engines: { '@embrec/core': `^${coreVersion}` }, // released with core: one version (core/src/version.ts)
  components: [
    infonceComponent,
    sampledSoftmaxComponent,
    bprComponent,
    tripletComponent,
    cclComponent,
    inBatchSampler,
    uniformSampler,
    popularitySampler,
    mixedSampler,
    hardSampler,
  ],
});
export default plugin;
