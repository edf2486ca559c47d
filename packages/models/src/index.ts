import { definePlugin } from '@embrec/core';
import { baselineComponents } from './baselines/index.ts';

/** Built-in model components. */
const plugin = definePlugin({
  meta: { name: '@embrec/models', version: '0.1.0', namespace: 'embrec' },
  engines: { '@embrec/core': '^0.1.0' },
  components: [...baselineComponents],
});
export default plugin;
