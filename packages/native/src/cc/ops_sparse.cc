// CSR sparse × dense products (A·X and Aᵀ·Y, the forward and backward of LightGCN propagation) and
// L2 row normalisation of a dense matrix.
#include <cmath>

#include "ops_util.h"

namespace embrec {
namespace ops {
namespace {

struct CsrArgs {
  const int32_t* indptr;
  const int32_t* indices;
  const float* values;  // null = all ones
  int64_t rows, cols;
};

// Reads (indptr, indices, values?, rows, cols) starting at argument i.
CsrArgs ReadCsr(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  auto indptr = I32Arg(info, i, "csr.indptr");
  auto indices = I32Arg(info, i + 1, "csr.indices");
  CsrArgs c{indptr.Data(), indices.Data(), nullptr, IntArg(info, i + 3, "csr.rows"), IntArg(info, i + 4, "csr.cols")};
  if (Present(info, i + 2)) {
    auto v = F32Arg(info, i + 2, "csr.values");
    CheckLen(env, "csr.values", v.ElementLength(), indices.ElementLength(), "nnz");
    c.values = v.Data();
  }
  CheckCsr(env, "csr", c.indptr, indptr.ElementLength(), c.indices, indices.ElementLength(), c.rows, c.cols);
  return c;
}

// The row loops of spmm / spmmT, compiled twice (AVX2 and the baseline x86-64-v2) and picked at load
// time. Each output value is the same chain of float multiplies and adds in the same order either way
// (the AVX2 copy has no FMA to contract them into), so both give the same bits; the AVX2 copy does 8
// lanes at a time instead of 4.
__attribute__((target_clones("avx2", "default"))) void SpmmRows(const CsrArgs& A, const float* __restrict X,
                                                                 float* __restrict Y, int64_t d, int64_t r0,
                                                                 int64_t r1) {
  for (int64_t r = r0; r < r1; r++) {
    float* __restrict y = Y + r * d;
    std::fill(y, y + d, 0.0f);
    for (int32_t e = A.indptr[r]; e < A.indptr[r + 1]; e++) {
      const float v = A.values ? A.values[e] : 1.0f;
      const float* __restrict xr = X + static_cast<int64_t>(A.indices[e]) * d;
      for (int64_t t = 0; t < d; t++) y[t] += v * xr[t];
    }
  }
}

// Aᵀ·Y for the output rows (columns of A) in [c0, c1): a scan of all entries, keeping its own.
__attribute__((target_clones("avx2", "default"))) void SpmmTScan(const CsrArgs& A, const float* __restrict Y,
                                                                  float* __restrict X, int64_t d, int64_t c0,
                                                                  int64_t c1) {
  const bool all = c0 == 0 && c1 == A.cols;
  for (int64_t r = 0; r < A.rows; r++) {
    const float* __restrict yr = Y + r * d;
    for (int32_t e = A.indptr[r]; e < A.indptr[r + 1]; e++) {
      const int64_t c = A.indices[e];
      if (!all && (c < c0 || c >= c1)) continue;
      const float v = A.values ? A.values[e] : 1.0f;
      float* __restrict xc = X + c * d;
      for (int64_t t = 0; t < d; t++) xc[t] += v * yr[t];
    }
  }
}

// The transpose's index of A (CSC): for each column c, its entries in row order — k in
// [colptr[c], colptr[c + 1]) names entry entry[k] of row row[k]. A stable counting sort by column, so
// the entries of a column keep the order a scan of A meets them in.
struct CscIndex {
  std::vector<int32_t> colptr, row, entry;
};

CscIndex Transpose(const CsrArgs& A) {
  CscIndex t;
  const int64_t nnz = A.indptr[A.rows];
  t.colptr.assign(static_cast<size_t>(A.cols) + 1, 0);
  t.row.resize(static_cast<size_t>(nnz));
  t.entry.resize(static_cast<size_t>(nnz));
  for (int64_t e = 0; e < nnz; e++) t.colptr[static_cast<size_t>(A.indices[e]) + 1]++;
  for (int64_t c = 0; c < A.cols; c++) t.colptr[c + 1] += t.colptr[c];
  std::vector<int32_t> at(t.colptr.begin(), t.colptr.end() - 1);
  for (int64_t r = 0; r < A.rows; r++)
    for (int32_t e = A.indptr[r]; e < A.indptr[r + 1]; e++) {
      const int32_t k = at[A.indices[e]]++;
      t.row[k] = static_cast<int32_t>(r);
      t.entry[k] = e;
    }
  return t;
}

// Aᵀ·Y for the output rows (columns of A) in [c0, c1), through the transpose's index: each output row
// is written once, from the rows of Y its entries name (a gather from Y instead of a scatter into X).
// Each output value is the same chain of float operations in the same order as SpmmTScan's (the row
// order of the entries), so the same bits.
__attribute__((target_clones("avx2", "default"))) void SpmmTCols(const CsrArgs& A, const CscIndex& T,
                                                                  const float* __restrict Y, float* __restrict X,
                                                                  int64_t d, int64_t c0, int64_t c1) {
  for (int64_t c = c0; c < c1; c++) {
    float* __restrict xc = X + c * d;
    for (int32_t k = T.colptr[c]; k < T.colptr[c + 1]; k++) {
      const float v = A.values ? A.values[T.entry[k]] : 1.0f;
      const float* __restrict yr = Y + static_cast<int64_t>(T.row[k]) * d;
      for (int64_t t = 0; t < d; t++) xc[t] += v * yr[t];
    }
  }
}

// spmm(indptr, indices, values?, rows, cols, X, d, threads?) -> A·X  [rows, d], X is [cols, d]
Napi::Value Spmm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CsrArgs A = ReadCsr(info, 0);
  auto x = F32Arg(info, 5, "x");
  int64_t d = IntArg(info, 6, "d");
  CheckLen(env, "x", x.ElementLength(), static_cast<size_t>(A.cols * d), "csr.cols * d");
  int threads = ThreadsArg(info, 7);
  auto out = Napi::Float32Array::New(env, static_cast<size_t>(A.rows * d));
  float* Y = out.Data();
  const float* X = x.Data();
  ParallelFor(A.rows, threads, 64, [&](int64_t r0, int64_t r1) { SpmmRows(A, X, Y, d, r0, r1); });
  return out;
}

// spmmT(indptr, indices, values?, rows, cols, Y, d, threads?) -> Aᵀ·Y  [cols, d], Y is [rows, d]
Napi::Value SpmmT(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CsrArgs A = ReadCsr(info, 0);
  auto y = F32Arg(info, 5, "y");
  int64_t d = IntArg(info, 6, "d");
  CheckLen(env, "y", y.ElementLength(), static_cast<size_t>(A.rows * d), "csr.rows * d");
  int threads = ThreadsArg(info, 7);
  auto out = Napi::Float32Array::New(env, static_cast<size_t>(A.cols * d));  // zero-filled
  float* X = out.Data();
  const float* Y = y.Data();
  // Each thread owns a range of output rows (columns of A). When the output has more rows than Y (a
  // batch's history pooling: 1,024 rows of Y into ~15,000 item rows), scattering into it is the slow
  // pattern: build the transpose's index (O(nnz)) and write each output row once (35,000 entries at
  // d 512: 11–15 ms against 16–17 ms). When it has no more (LightGCN's square adjacency), the index
  // costs more than it saves (Gowalla's graph, 1.4M entries, d 64: 30–33 ms against 22–24 ms for the
  // scan). Both give the same bits.
  if (A.rows < A.cols) {
    const CscIndex T = Transpose(A);
    ParallelFor(A.cols, threads, 64, [&](int64_t c0, int64_t c1) { SpmmTCols(A, T, Y, X, d, c0, c1); });
  } else {
    ParallelFor(A.cols, threads, 64, [&](int64_t c0, int64_t c1) { SpmmTScan(A, Y, X, d, c0, c1); });
  }
  return out;
}

// unitRows(x, rows, cols) -> [y, r]: y = x·(‖x‖² + 1e-24)^-½ per row (LightGCN++'s per-layer
// normalisation; rowNormalize in ops.ts), r the row factors as float32 (what the backward pass needs). Sums in double, in row
// order, and each product rounded once to float32: the same bits as the JavaScript version it replaces.
Napi::Value UnitRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto x = F32Arg(info, 0, "x");
  int64_t rows = IntArg(info, 1, "rows"), cols = IntArg(info, 2, "cols");
  CheckLen(env, "x", x.ElementLength(), static_cast<size_t>(rows * cols), "rows * cols");
  auto y = Napi::Float32Array::New(env, x.ElementLength());
  auto r = Napi::Float32Array::New(env, static_cast<size_t>(rows));
  const float* src = x.Data();
  float* dst = y.Data();
  float* fac = r.Data();
  for (int64_t i = 0; i < rows; i++) {
    const float* a = src + i * cols;
    double ss = 0;
    for (int64_t j = 0; j < cols; j++) ss += static_cast<double>(a[j]) * static_cast<double>(a[j]);
    double f = 1.0 / std::sqrt(ss + 1e-24);
    fac[i] = static_cast<float>(f);
    float* b = dst + i * cols;
    for (int64_t j = 0; j < cols; j++) b[j] = static_cast<float>(static_cast<double>(a[j]) * f);
  }
  auto result = Napi::Array::New(env, 2);
  result.Set(0u, y);
  result.Set(1u, r);
  return result;
}

// unitRowsGrad(y, r, dy, rows, cols) -> dx = r·(dy − y·(y·dy)) per row (the gradient of unitRows).
Napi::Value UnitRowsGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto y = F32Arg(info, 0, "y");
  auto r = F32Arg(info, 1, "r");
  auto dy = F32Arg(info, 2, "dy");
  int64_t rows = IntArg(info, 3, "rows"), cols = IntArg(info, 4, "cols");
  CheckLen(env, "y", y.ElementLength(), static_cast<size_t>(rows * cols), "rows * cols");
  CheckLen(env, "r", r.ElementLength(), static_cast<size_t>(rows), "rows");
  CheckLen(env, "dy", dy.ElementLength(), static_cast<size_t>(rows * cols), "rows * cols");
  auto out = Napi::Float32Array::New(env, y.ElementLength());
  const float* Y = y.Data();
  const float* G = dy.Data();
  const float* R = r.Data();
  float* D = out.Data();
  for (int64_t i = 0; i < rows; i++) {
    const float* yi = Y + i * cols;
    const float* gi = G + i * cols;
    double dot = 0;
    for (int64_t j = 0; j < cols; j++) dot += static_cast<double>(yi[j]) * static_cast<double>(gi[j]);
    double f = R[i];
    float* di = D + i * cols;
    for (int64_t j = 0; j < cols; j++) {
      double t = static_cast<double>(yi[j]) * dot;
      di[j] = static_cast<float>(f * (static_cast<double>(gi[j]) - t));
    }
  }
  return out;
}

}  // namespace

void InitSparse(Napi::Env env, Napi::Object exports) {
  exports.Set("spmm", Napi::Function::New(env, Spmm, "spmm"));
  exports.Set("spmmT", Napi::Function::New(env, SpmmT, "spmmT"));
  exports.Set("unitRows", Napi::Function::New(env, UnitRows, "unitRows"));
  exports.Set("unitRowsGrad", Napi::Function::New(env, UnitRowsGrad, "unitRowsGrad"));
}

}  // namespace ops
}  // namespace embrec
