import type { PluginDefinition } from '@embrec/core';

declare const plugin: PluginDefinition;
export default plugin;
