// Top-K per row, with per-row exclusion lists (CSR): over a dense score matrix (topkRows), and fused
// with the inner products queries·itemsᵀ computed block by block with cblas_sgemm (topkDot), so
// nq × n scores never exist at once. Best first; ties go to the lower column index; NaN scores are
// never returned; rows with fewer than k candidates are padded with id -1 and score -Infinity.
// For one or a few queries (nq <= kGemvMaxQueries) topkDot takes a GEMV path instead: the item
// matrix is streamed once, split into contiguous ranges between the threads, each block of items
// scored against every query with AVX2+FMA dot products (chosen at run time; SSE otherwise) while it
// is in cache, and pushed into a per-range bounded heap; the ranges' heaps are merged in item order.
#include <cblas.h>
#include <immintrin.h>

#include <cmath>
#include <limits>

#include "ops_util.h"

extern "C" {
int openblas_get_num_threads(void);
void openblas_set_num_threads(int);
}

namespace embrec {
void InitHnsw(Napi::Env env, Napi::Object exports);  // hnsw.cc

namespace ops {
namespace {

struct Entry {
  float s;
  int32_t i;
};
// "a ranks before b": higher score, then lower index. The heap's top is the worst kept entry.
inline bool Before(const Entry& a, const Entry& b) { return a.s > b.s || (a.s == b.s && a.i < b.i); }

/** A bounded heap holding the k best entries seen; columns must be pushed in increasing order. */
struct TopK {
  std::vector<Entry> h;
  int64_t k;
  explicit TopK(int64_t k_) : k(k_) { h.reserve(static_cast<size_t>(std::min<int64_t>(k_, 4096))); }
  void Reset() { h.clear(); }
  // Called with increasing column indices, so an equal score never beats the kept one.
  inline void Push(float s, int32_t i) {
    if (static_cast<int64_t>(h.size()) < k) {
      if (s != s) return;  // NaN
      h.push_back({s, i});
      std::push_heap(h.begin(), h.end(), Before);
    } else if (s > h.front().s) {
      std::pop_heap(h.begin(), h.end(), Before);
      h.back() = {s, i};
      std::push_heap(h.begin(), h.end(), Before);
    }
  }
  inline float Threshold() const {
    return static_cast<int64_t>(h.size()) < k ? -std::numeric_limits<float>::infinity() : h.front().s;
  }
  inline bool Full() const { return static_cast<int64_t>(h.size()) >= k; }
  void Write(int32_t* ids, float* scores) {
    std::sort(h.begin(), h.end(), Before);
    int64_t j = 0;
    for (; j < static_cast<int64_t>(h.size()); j++) {
      ids[j] = h[j].i;
      scores[j] = h[j].s;
    }
    for (; j < k; j++) {
      ids[j] = -1;
      scores[j] = -std::numeric_limits<float>::infinity();
    }
  }
};

// Scans one row of scores into the heap. Fast path: once full, only scores above the threshold matter.
inline void ScanRow(TopK& top, const float* row, int64_t n, int32_t offset) {
  int64_t j = 0;
  for (; j < n && !top.Full(); j++) top.Push(row[j], static_cast<int32_t>(offset + j));
  float thr = top.Threshold();
  for (; j < n; j++) {
    if (row[j] > thr) {
      top.Push(row[j], static_cast<int32_t>(offset + j));
      thr = top.Threshold();
    }
  }
}


// ---- GEMV path: dot products of a few queries against a block of item rows ----

constexpr int64_t kGemvMaxQueries = 8;

__attribute__((target("avx2,fma"))) inline float Hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) inline float DotAvx2(const float* x, const float* y, int64_t d) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= d; i += 32) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), a3);
  }
  for (; i + 8 <= d; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
  float s = Hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  for (; i < d; i++) s += x[i] * y[i];
  return s;
}

// out[t * bi + j] = Q[t] · Y[j] for t < bq, j < bi.
__attribute__((target("avx2,fma"))) void DotBlockAvx2(const float* Q, int64_t bq, const float* Y, int64_t bi,
                                                      int64_t d, float* out) {
  for (int64_t j = 0; j < bi; j++) {
    const float* y = Y + j * d;
    for (int64_t t = 0; t < bq; t++) out[t * bi + j] = DotAvx2(Q + t * d, y, d);
  }
}

inline float DotSse(const float* x, const float* y, int64_t d) {
  __m128 a0 = _mm_setzero_ps(), a1 = _mm_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= d; i += 8) {
    a0 = _mm_add_ps(a0, _mm_mul_ps(_mm_loadu_ps(x + i), _mm_loadu_ps(y + i)));
    a1 = _mm_add_ps(a1, _mm_mul_ps(_mm_loadu_ps(x + i + 4), _mm_loadu_ps(y + i + 4)));
  }
  __m128 s4 = _mm_add_ps(a0, a1);
  s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  s4 = _mm_add_ss(s4, _mm_shuffle_ps(s4, s4, 1));
  float s = _mm_cvtss_f32(s4);
  for (; i < d; i++) s += x[i] * y[i];
  return s;
}

void DotBlockSse(const float* Q, int64_t bq, const float* Y, int64_t bi, int64_t d, float* out) {
  for (int64_t j = 0; j < bi; j++) {
    const float* y = Y + j * d;
    for (int64_t t = 0; t < bq; t++) out[t * bi + j] = DotSse(Q + t * d, y, d);
  }
}

using DotBlockFn = void (*)(const float*, int64_t, const float*, int64_t, int64_t, float*);
DotBlockFn PickDotBlock() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? DotBlockAvx2 : DotBlockSse;
}

Napi::Object Result(Napi::Env env, Napi::Int32Array ids, Napi::Float32Array scores) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ids", ids);
  o.Set("scores", scores);
  return o;
}

struct Exclude {
  const int32_t* indptr = nullptr;
  const int32_t* indices = nullptr;
};

Exclude ExcludeArgs(const Napi::CallbackInfo& info, size_t i, int64_t rows, int64_t cols) {
  Exclude ex;
  if (!Present(info, i)) return ex;
  Napi::Int32Array indptr = I32Arg(info, i, "exclude.indptr");
  Napi::Int32Array indices = I32Arg(info, i + 1, "exclude.indices");
  CheckCsr(info.Env(), "exclude", indptr.Data(), indptr.ElementLength(), indices.Data(), indices.ElementLength(), rows,
           cols);
  ex.indptr = indptr.Data();
  ex.indices = indices.Data();
  return ex;
}

// topkRows(scores, rows, cols, k, exIndptr?, exIndices?, threads?)
Napi::Value TopkRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array scores = F32Arg(info, 0, "scores");
  int64_t rows = IntArg(info, 1, "rows"), cols = IntArg(info, 2, "cols"), k = IntArg(info, 3, "k");
  CheckLen(env, "scores", scores.ElementLength(), static_cast<size_t>(rows * cols), "rows * cols");
  if (cols > INT32_MAX) Throw(env, "cols: too large for int32 ids");
  Exclude ex = ExcludeArgs(info, 4, rows, cols);
  int threads = ThreadsArg(info, 6);
  auto outIds = Napi::Int32Array::New(env, static_cast<size_t>(rows * k));
  auto outScores = Napi::Float32Array::New(env, static_cast<size_t>(rows * k));
  if (k == 0 || rows == 0) return Result(env, outIds, outScores);
  const float* S = scores.Data();
  int32_t* I = outIds.Data();
  float* V = outScores.Data();
  ParallelFor(rows, threads, 16, [&](int64_t r0, int64_t r1) {
    TopK top(k);
    std::vector<float> tmp;
    for (int64_t r = r0; r < r1; r++) {
      top.Reset();
      const float* row = S + r * cols;
      if (ex.indptr && ex.indptr[r + 1] > ex.indptr[r]) {
        tmp.assign(row, row + cols);
        for (int32_t e = ex.indptr[r]; e < ex.indptr[r + 1]; e++) tmp[ex.indices[e]] = std::nanf("");
        row = tmp.data();
      }
      ScanRow(top, row, cols, 0);
      top.Write(I + r * k, V + r * k);
    }
  });
  return Result(env, outIds, outScores);
}

// topkDot(queries, nq, items, n, d, k, exIndptr?, exIndices?, allow?, threads?, path?)
// path: 0 = by batch size (GEMV for nq <= kGemvMaxQueries), 1 = always GEMM, 2 = always GEMV.
Napi::Value TopkDot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array queries = F32Arg(info, 0, "queries");
  int64_t nq = IntArg(info, 1, "nq");
  Napi::Float32Array items = F32Arg(info, 2, "items");
  int64_t n = IntArg(info, 3, "n"), d = IntArg(info, 4, "d"), k = IntArg(info, 5, "k");
  CheckLen(env, "queries", queries.ElementLength(), static_cast<size_t>(nq * d), "nq * d");
  CheckLen(env, "items", items.ElementLength(), static_cast<size_t>(n * d), "n * d");
  if (n > INT32_MAX) Throw(env, "n: too large for int32 ids");
  Exclude ex = ExcludeArgs(info, 6, nq, n);
  int threads = ThreadsArg(info, 9);
  int64_t path = Present(info, 10) ? IntArg(info, 10, "path") : 0;
  if (path < 0 || path > 2) Throw(env, "path: expected 0 (auto), 1 (gemm) or 2 (gemv), got " + std::to_string(path));

  // Optional allow list: score only these items (deduplicated, ascending so ties keep index order).
  std::vector<int32_t> allowed;
  std::vector<float> packed;
  std::vector<int32_t> pos;  // item -> position in the packed matrix, -1 when not allowed
  const float* Y = items.Data();
  int64_t m = n;
  bool useAllow = Present(info, 8);
  if (useAllow) {
    Napi::Int32Array allow = I32Arg(info, 8, "allow");
    const int32_t* a = allow.Data();
    for (size_t e = 0; e < allow.ElementLength(); e++)
      if (a[e] < 0 || a[e] >= n)
        Throw(env, "allow[" + std::to_string(e) + "] = " + std::to_string(a[e]) + " is outside 0.." +
                       std::to_string(n - 1));
    allowed.assign(a, a + allow.ElementLength());
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    m = static_cast<int64_t>(allowed.size());
    packed.resize(static_cast<size_t>(m * d));
    pos.assign(static_cast<size_t>(n), -1);
    for (int64_t p = 0; p < m; p++) {
      std::copy(Y + allowed[p] * d, Y + (allowed[p] + 1) * d, packed.data() + p * d);
      pos[allowed[p]] = static_cast<int32_t>(p);
    }
    Y = packed.data();
  }

  auto outIds = Napi::Int32Array::New(env, static_cast<size_t>(nq * k));
  auto outScores = Napi::Float32Array::New(env, static_cast<size_t>(nq * k));
  if (k == 0 || nq == 0) return Result(env, outIds, outScores);
  int32_t* I = outIds.Data();
  float* V = outScores.Data();
  const float* Q = queries.Data();
  // Marks the excluded items of query q that fall in the packed columns [j0, j0 + bi) of row as NaN.
  auto excludeBlock = [&](float* row, int64_t q, int64_t j0, int64_t bi) {
    if (!ex.indptr) return;
    for (int32_t e = ex.indptr[q]; e < ex.indptr[q + 1]; e++) {
      int64_t c = useAllow ? pos[ex.indices[e]] : ex.indices[e];
      if (c >= j0 && c < j0 + bi) row[c - j0] = std::nanf("");
    }
  };
  auto pushBlock = [&](TopK& top, const float* row, int64_t j0, int64_t bi) {
    if (useAllow) {
      for (int64_t j = 0; j < bi; j++) top.Push(row[j], allowed[j0 + j]);
    } else {
      ScanRow(top, row, bi, static_cast<int32_t>(j0));
    }
  };

  if (path == 2 || (path == 0 && nq <= kGemvMaxQueries)) {
    static const DotBlockFn dotBlock = PickDotBlock();
    // Contiguous item ranges, one per thread (at least 16k items each, so threads pay off).
    const int64_t B = 512;  // items per block: nq * B scores stay in L1/L2
    int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, (m + 16383) / 16384));
    int64_t per = (m + parts - 1) / parts;
    std::vector<std::vector<TopK>> partTops(static_cast<size_t>(parts));
    ParallelFor(parts, static_cast<int>(parts), 1, [&](int64_t p0, int64_t p1) {
      std::vector<float> buf(static_cast<size_t>(nq * B));
      for (int64_t p = p0; p < p1; p++) {
        std::vector<TopK>& tops = partTops[p];
        for (int64_t t = 0; t < nq; t++) tops.emplace_back(k);
        int64_t a = std::min(m, p * per), b = std::min(m, (p + 1) * per);
        for (int64_t j0 = a; j0 < b; j0 += B) {
          int64_t bi = std::min(B, b - j0);
          if (d > 0) dotBlock(Q, nq, Y + j0 * d, bi, d, buf.data());
          else std::fill(buf.begin(), buf.begin() + nq * bi, 0.0f);
          for (int64_t t = 0; t < nq; t++) {
            float* row = buf.data() + t * bi;
            excludeBlock(row, t, j0, bi);
            pushBlock(tops[t], row, j0, bi);
          }
        }
      }
    });
    // Merge in item order: each part's entries sorted by item, so ties keep the lower index.
    for (int64_t t = 0; t < nq; t++) {
      TopK& top = partTops[0][t];
      for (int64_t p = 1; p < parts; p++) {
        std::vector<Entry>& h = partTops[p][t].h;
        std::sort(h.begin(), h.end(), [](const Entry& x, const Entry& y) { return x.i < y.i; });
        for (const Entry& e : h) top.Push(e.s, e.i);
      }
      top.Write(I + t * k, V + t * k);
    }
    return Result(env, outIds, outScores);
  }

  // Our threads each call sgemm: keep OpenBLAS single-threaded meanwhile, or the pools multiply.
  struct BlasThreads {
    int old = 0;
    explicit BlasThreads(bool single) {
      if (single && (old = openblas_get_num_threads()) > 1) openblas_set_num_threads(1);
    }
    ~BlasThreads() {
      if (old > 1) openblas_set_num_threads(old);
    }
  } blasGuard(threads > 1 && nq > 128);
  const int64_t QB = 128;                                   // queries per block
  const int64_t IB = std::min<int64_t>(std::max<int64_t>(m, 1), 8192);  // items per block
  ParallelFor(nq, threads, QB, [&](int64_t q0, int64_t q1) {
    std::vector<float> buf(static_cast<size_t>(QB * IB));
    std::vector<TopK> tops;
    for (int64_t t = 0; t < QB; t++) tops.emplace_back(k);
    for (int64_t qb = q0; qb < q1; qb += QB) {
      int64_t bq = std::min(QB, q1 - qb);
      for (int64_t t = 0; t < bq; t++) tops[t].Reset();
      for (int64_t j0 = 0; j0 < m; j0 += IB) {
        int64_t bi = std::min(IB, m - j0);
        if (d > 0) {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(bq), static_cast<int>(bi),
                      static_cast<int>(d), 1.0f, Q + qb * d, static_cast<int>(d), Y + j0 * d, static_cast<int>(d),
                      0.0f, buf.data(), static_cast<int>(bi));
        } else {
          std::fill(buf.begin(), buf.begin() + bq * bi, 0.0f);
        }
        for (int64_t t = 0; t < bq; t++) {
          float* row = buf.data() + t * bi;
          excludeBlock(row, qb + t, j0, bi);
          pushBlock(tops[t], row, j0, bi);
        }
      }
      for (int64_t t = 0; t < bq; t++) tops[t].Write(I + (qb + t) * k, V + (qb + t) * k);
    }
  });
  return Result(env, outIds, outScores);
}

}  // namespace

void InitTopk(Napi::Env env, Napi::Object exports) {
  exports.Set("topkRows", Napi::Function::New(env, TopkRows, "topkRows"));
  exports.Set("topkDot", Napi::Function::New(env, TopkDot, "topkDot"));
  InitHnsw(env, exports);  // hnsw.cc: the nearest-neighbour graph searched beside the exact top-K
}

}  // namespace ops
}  // namespace embrec
