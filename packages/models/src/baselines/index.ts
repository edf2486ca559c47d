import type { AnyComponentDefinition } from '@embrec/core';
import { easeComponent } from './ease.ts';
import { itemKnnComponent } from './itemknn.ts';
import { mostPopComponent } from './mostpop.ts';

/** Baseline models: MostPop, ItemKNN, EASE. */
export const baselineComponents: AnyComponentDefinition[] = [
  mostPopComponent,
  itemKnnComponent,
  easeComponent,
];

export type { EaseOptions } from './ease.ts';
export { Ease } from './ease.ts';
export type { ItemKnnOptions } from './itemknn.ts';
export { ItemKnn } from './itemknn.ts';
export { MostPop } from './mostpop.ts';
