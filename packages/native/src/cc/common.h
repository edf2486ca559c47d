// Shared declarations of the embrec native addon. Each .cc file registers its functions on the
// exports object through one Init* function; addon.cc calls them all.
#pragma once
#include <napi.h>

namespace embrec {
void InitBlas(Napi::Env env, Napi::Object exports);     // blas.cc: sgemm, thread settings
void InitKernels(Napi::Env env, Napi::Object exports);  // kernels.cc: tfjs kernel bodies
void InitOps(Napi::Env env, Napi::Object exports);      // ops.cc: top-k, CSR, LAPACK
void InitFaiss(Napi::Env env, Napi::Object exports);    // faiss.cc: FAISS index binding
void InitItem2Vec(Napi::Env env, Napi::Object exports); // item2vec.cc: skip-gram training
void InitTsne(Napi::Env env, Napi::Object exports);     // tsne.cc: Barnes-Hut t-SNE
}  // namespace embrec
