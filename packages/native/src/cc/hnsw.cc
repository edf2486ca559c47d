// hnswlib (header-only, the copy shipped inside node_modules/hnswlib-node/src) bound directly:
// typed arrays in and out, whole batches per call, builds and batches split between threads.
// hnswlib-node (3.0.0) converts a number[] per point and per query and builds JS arrays per
// result, one call per query, single-threaded: bench/ann-hnswlib-flags.ts measured that boundary,
// not the SIMD flags, as what kept it behind Python's hnswlib. Files are hnswlib's own format
// (saveIndex / loadIndex), the same bytes hnswlib-node's writeIndex / readIndex use.
// The addon is built for x86-64-v2 (SSE only, where hnswlib's USE_AVX is off); the graph code
// (hnsw_impl.h) is compiled for AVX2+FMA here and for AVX-512 in hnsw_avx512.cc (Python hnswlib's
// wheel gets -march=native), and the copy the CPU supports is registered by InitHnsw (compiled for
// the baseline); on CPUs without AVX2 the index falls back to hnswlib-node.
#if __has_include("hnswlib/hnswlib.h")
// Every standard header hnswlib uses, included before the target pragma so that their inline
// functions (shared with the rest of the addon at link time) keep the baseline target.
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <fstream>
#include <iostream>
#include <list>
#include <memory>
#include <mutex>
#include <queue>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common.h"
#include "ops_util.h"

namespace embrec {
namespace hnsw_avx2 {
void Register(Napi::Env env, Napi::Object exports);
}
namespace hnsw_avx512 {
void Register(Napi::Env env, Napi::Object exports);
}
}  // namespace embrec

#pragma GCC push_options
#pragma GCC target("avx2,fma")
// hnswlib.h turns USE_AVX on from __AVX__, which the pragma does not define: say it ourselves.
#define NO_MANUAL_VECTORIZATION
#define USE_SSE
#define USE_AVX
#define HNSW_LIB hnswlib_avx2
#define HNSW_IMPL_NS hnsw_avx2
#include "hnsw_impl.h"
#pragma GCC pop_options

namespace embrec {
void InitHnsw(Napi::Env env, Napi::Object exports) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) {
    hnsw_avx512::Register(env, exports);
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    hnsw_avx2::Register(env, exports);
  }
}
}  // namespace embrec
#else
#include "common.h"
namespace embrec {
// hnswlib's headers were not found at build time (hnswlib-node not installed): no hnsw* functions.
void InitHnsw(Napi::Env, Napi::Object) {}
}  // namespace embrec
#endif

