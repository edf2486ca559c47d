import type { AnyComponentDefinition } from '@embrec/core';

/** Dataset, transform and splitter components (built-ins, namespace `embrec`). */
export const dataComponents: AnyComponentDefinition[] = [];
