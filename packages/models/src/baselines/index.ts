import type { AnyComponentDefinition } from '@embrec/core';

/** Baseline models: MostPop, ItemKNN, EASE. */
export const baselineComponents: AnyComponentDefinition[] = [];
