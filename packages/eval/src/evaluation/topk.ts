/** eval's names for core's one JS top-K (core/src/util/topk.ts), the fallback of the native ops. */
export type { TopKLists as TopK } from '@embrec/core';
export { sliceLists, topkDotJs, topkRowsJs } from '@embrec/core';
