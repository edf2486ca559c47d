import { definePlugin } from './plugin/define.ts';
import { mlflowTrackerComponent } from './tracking/component.ts';
import { coreVersion } from './version.ts';

/** Components that ship with @embrec/core itself (trackers). */
export const corePlugin = definePlugin({
  meta: { name: '@embrec/core', version: coreVersion, namespace: 'embrec' },
  engines: { '@embrec/core': `^${coreVersion}` },
  components: [mlflowTrackerComponent],
});
