import { coreVersion, definePlugin } from '@embrec/core';
import { indexComponents } from './components.ts';

/** Built-in indexes components. */
const plugin = definePlugin({
  meta: { name: '@embrec/indexes', version: coreVersion, namespace: 'embrec' },
  engines: { '@embrec/core': `^${coreVersion}` }, // released with core: one version (core/src/version.ts)
  components: [...indexComponents],
});
export default plugin;
