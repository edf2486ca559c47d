import type { AnyComponentDefinition } from '@embrec/core';

/** Metric and evaluator components (built-ins, namespace `embrec`). */
export const evaluationComponents: AnyComponentDefinition[] = [];
