// Top-K per row, with per-row exclusion lists (CSR): over a dense score matrix (topkRows), and fused
// with the inner products queries·itemsᵀ computed block by block with cblas_sgemm (topkDot), so
// nq × n scores never exist at once. Best first; ties go to the lower column index; NaN scores are
// never returned; rows with fewer than k candidates are padded with id -1 and score -Infinity.
#include <cblas.h>

#include <cmath>
#include <limits>

#include "ops_util.h"

extern "C" {
int openblas_get_num_threads(void);
void openblas_set_num_threads(int);
}

namespace embrec {
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

// topkDot(queries, nq, items, n, d, k, exIndptr?, exIndices?, allow?, threads?)
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
          int64_t q = qb + t;
          if (ex.indptr) {
            for (int32_t e = ex.indptr[q]; e < ex.indptr[q + 1]; e++) {
              int64_t c = useAllow ? pos[ex.indices[e]] : ex.indices[e];
              if (c >= j0 && c < j0 + bi) row[c - j0] = std::nanf("");
            }
          }
          if (useAllow) {
            TopK& top = tops[t];
            for (int64_t j = 0; j < bi; j++) top.Push(row[j], allowed[j0 + j]);
          } else {
            ScanRow(tops[t], row, bi, static_cast<int32_t>(j0));
          }
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
}

}  // namespace ops
}  // namespace embrec
