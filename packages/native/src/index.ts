export { addon, nativeAvailable } from './addon.ts';
export type { AllocatorTuning } from './allocator.ts';
export { tuneAllocator } from './allocator.ts';
export type { NativeBackendInfo } from './backend.ts';
export { setupNativeBackend, teardownNativeBackend } from './backend.ts';
export type { SgemmArgs } from './blas.ts';
export { blasConfig, matmul, sgemm, sgemmBatched } from './blas.ts';
export { csrMatMul } from './csr-matmul.ts';
export type {
  FaissMetric,
  FaissSearchOptions,
  FaissSearchParams,
  FaissSearchResult,
  FaissSelector,
} from './faiss.ts';
export { FaissIndex, faissVersion } from './faiss.ts';
export type { Sentences, SkipGramOptions, SkipGramResult } from './item2vec.ts';
export { item2vecTrain } from './item2vec.ts';
export { NativeAdamOptimizer, nativeAdam } from './kernels/adam.ts';
export { dense } from './kernels/dense.ts';
export { ensureGradients } from './kernels/gradients.ts';
export { l2Normalize, l2NormalizeTfjs } from './kernels/l2-normalize.ts';
export { layerNorm } from './kernels/layer-norm.ts';
export {
  NATIVE_KERNELS,
  nativeKernelNames,
  originalKernel,
  registerNativeKernels,
  unregisterNativeKernels,
} from './kernels/register.ts';
export type { InBatchSoftmaxOptions } from './kernels/softmax-ce.ts';
export {
  inBatchSoftmaxCrossEntropy,
  inBatchSoftmaxCrossEntropyTfjs,
  inBatchSoftmaxLoss,
} from './kernels/softmax-ce.ts';
export type { AdamRowsStep, SparseOptimizerOptions } from './kernels/sparse-optim.ts';
export {
  adagradRowsF64,
  adamRowsF32,
  adamRowsF64,
  adamUpdate,
  dedupRows,
  gatherRows,
  SparseRowOptimizer,
} from './kernels/sparse-optim.ts';
export type { CsrIndex, CsrMatrix, TopKDotOptions, TopKOptions, TopKResult } from './ops.ts';
export {
  csrNormalize,
  easeWeights,
  gramCsr,
  rowNormalize,
  spmm,
  spmmT,
  symInverse,
  topkDot,
  topkRows,
  unitRows,
  unitRowsGrad,
} from './ops.ts';
export type { ThreadSettings } from './threads.ts';
export { getThreads, setThreads } from './threads.ts';
export type { TsneBarnesHutOptions } from './tsne.ts';
export { tsneBarnesHut } from './tsne.ts';
