import { coreVersion, definePlugin } from '@embrec/core';
import { baselineComponents } from './baselines/index.ts';
import { lightGcnComponent, lightGcnPlusPlusComponent } from './graph/lightgcn/component.ts';
import { item2vecComponent } from './item2vec/component.ts';
import { mfComponent } from './mf/component.ts';
import { ncfComponent, neumfComponent, neumfRankerComponent } from './ncf/component.ts';
import { rerankerComponents } from './rerankers/index.ts';
import { twoTowerComponent } from './two-tower/component.ts';

export { EmbeddingModel } from './embedding/model.ts';
export { lightGcnComponent, lightGcnPlusPlusComponent } from './graph/lightgcn/component.ts';
export { LightGcnModel } from './graph/lightgcn/model.ts';
export { item2vecComponent } from './item2vec/component.ts';
export { Item2VecModel } from './item2vec/model.ts';
export { mfComponent } from './mf/component.ts';
export { ncfComponent, neumfComponent, neumfRankerComponent } from './ncf/component.ts';
export { NcfModel } from './ncf/model.ts';
export { NcfRanker } from './ncf/ranker.ts';
export {
  CalibratedReranker,
  calibratedComponent,
  FairnessReranker,
  fairnessComponent,
  MmrReranker,
  mmrComponent,
  RulesReranker,
  rulesComponent,
} from './rerankers/index.ts';
export { twoTowerComponent } from './two-tower/component.ts';

/** Built-in model components. */
const plugin = definePlugin({
  meta: { name: '@embrec/models', version: coreVersion, namespace: 'embrec' },
  engines: { '@embrec/core': `^${coreVersion}` }, // released with core: one version (core/src/version.ts)
  components: [
    mfComponent,
    twoTowerComponent,
    lightGcnComponent,
    lightGcnPlusPlusComponent,
    item2vecComponent,
    ncfComponent,
    neumfComponent,
    neumfRankerComponent,
    ...rerankerComponents,
    ...baselineComponents,
  ],
});
export default plugin;
