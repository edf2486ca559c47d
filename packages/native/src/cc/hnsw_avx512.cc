// The AVX-512 copy of hnsw_impl.h (see hnsw.cc, which registers it on CPUs with AVX-512F/DQ).
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

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx2,fma")
#define NO_MANUAL_VECTORIZATION
#define USE_SSE
#define USE_AVX
#define USE_AVX512
#define HNSW_LIB hnswlib_avx512
#define HNSW_IMPL_NS hnsw_avx512
#include "hnsw_impl.h"
#pragma GCC pop_options
#endif
