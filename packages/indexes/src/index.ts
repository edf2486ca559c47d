import { definePlugin } from '@embrec/core';

/** Built-in indexes components. */
const plugin = definePlugin({
  meta: { name: '@embrec/indexes', version: '0.1.0', namespace: 'embrec' },
  engines: { '@embrec/core': '^0.1.0' },
  components: [],
});
export default plugin;
