export type { CompareOptions, CompareRow, CompareTable } from './compare.ts';
export { compareMetricSets } from './compare.ts';
export type { BootstrapResult, TTestResult } from './paired.ts';
export { pairedBootstrapCI, pairedTTest } from './paired.ts';
