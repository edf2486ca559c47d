export { addon, nativeAvailable } from './addon.ts';
export type { CsrIndex, CsrMatrix, TopKDotOptions, TopKOptions, TopKResult } from './ops.ts';
export { topkDot, topkRows } from './ops.ts';
export { csrMatMul } from './csr-matmul.ts';
export { csrNormalize, easeWeights, gramCsr, rowNormalize, spmm, spmmT, symInverse } from './ops.ts';
