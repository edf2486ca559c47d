export { addon, nativeAvailable } from './addon.ts';
export type { CsrIndex, CsrMatrix, TopKDotOptions, TopKOptions, TopKResult } from './ops.ts';
export { topkDot, topkRows } from './ops.ts';
