import { definePlugin } from '@embrec/core';
import { exactComponent } from './exact/component.ts';
import { hnswComponent } from './hnsw/component.ts';

export { BaseIndex } from './common/base.ts';
export type { Metric } from './common/metric.ts';
export { ExactScorer, exactSearch } from './common/scan.ts';
export { ExactIndex } from './exact/exact.ts';
export { HnswIndex } from './hnsw/hnsw.ts';

/** Built-in indexes components. */
const plugin = definePlugin({
  meta: { name: '@embrec/indexes', version: '0.1.0', namespace: 'embrec' },
  engines: { '@embrec/core': '^0.1.0' },
  components: [exactComponent, hnswComponent],
});
export default plugin;
