// Dense symmetric positive-definite inverse (LAPACK potrf + potri), the EASE closed form built on
// it, and the Gram matrix XᵀX of a CSR user × item matrix (sparse scatter, or dense ssyrk blocks
// when the rows are dense enough for BLAS to win).
#include <cblas.h>

#include <cmath>

#include "ops_util.h"

extern "C" {
// Fortran LAPACK (exported by libopenblas); the trailing size_t is gfortran's hidden string length.
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, size_t);
void spotri_(const char* uplo, const int* n, float* a, const int* lda, int* info, size_t);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, size_t);
void dpotri_(const char* uplo, const int* n, double* a, const int* lda, int* info, size_t);
}

namespace embrec {
namespace ops {
namespace {

template <typename T>
int Potrf(int n, T* a);
template <>
int Potrf<float>(int n, float* a) {
  int info = 0;
  spotrf_("U", &n, a, &n, &info, 1);
  return info;
}
template <>
int Potrf<double>(int n, double* a) {
  int info = 0;
  dpotrf_("U", &n, a, &n, &info, 1);
  return info;
}
template <typename T>
int Potri(int n, T* a);
template <>
int Potri<float>(int n, float* a) {
  int info = 0;
  spotri_("U", &n, a, &n, &info, 1);
  return info;
}
template <>
int Potri<double>(int n, double* a) {
  int info = 0;
  dpotri_("U", &n, a, &n, &info, 1);
  return info;
}

// In-place inverse of a row-major SPD matrix. Fortran's upper triangle of the column-major view is
// the row-major lower triangle (i >= j); it is mirrored afterwards so the result is full.
template <typename T>
void InverseInPlace(Napi::Env env, T* a, int64_t n) {
  if (n == 0) return;
  for (int64_t i = 0; i < n * n; i++)
    if (!std::isfinite(a[i])) Throw(env, "symInverse: the matrix has a non-finite entry at flat index " + std::to_string(i));
  int info = Potrf<T>(static_cast<int>(n), a);
  if (info > 0)
    throw Napi::Error::New(env, "symInverse: the matrix is not positive definite (the leading minor of order " +
                                    std::to_string(info) +
                                    " is not positive); for a Gram matrix add a larger ridge (lambda)");
  if (info < 0) throw Napi::Error::New(env, "symInverse: LAPACK potrf rejected argument " + std::to_string(-info));
  info = Potri<T>(static_cast<int>(n), a);
  if (info != 0) throw Napi::Error::New(env, "symInverse: LAPACK potri failed (info " + std::to_string(info) + ")");
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < i; j++) a[j * n + i] = a[i * n + j];
}

// B = I − P·diag(1/diag(P)), zero diagonal: B[i][j] = −P[i][j] / P[j][j].
template <typename T>
void EaseFromInverse(T* p, int64_t n) {
  std::vector<T> diag(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; j++) diag[j] = p[j * n + j];
  for (int64_t i = 0; i < n; i++) {
    T* row = p + i * n;
    for (int64_t j = 0; j < n; j++) row[j] = -row[j] / diag[j];
    row[i] = 0;
  }
}

struct Square {
  bool f64;
  void* data;
  Napi::TypedArray out;
};

// Returns the buffer to work on: `value` itself when inPlace, else a copy of the same type.
Square SquareArg(Napi::Env env, Napi::Value value, int64_t n, bool inPlace, const char* fn) {
  if (!value.IsTypedArray()) Throw(env, std::string(fn) + ": expected a Float32Array or Float64Array");
  auto ta = value.As<Napi::TypedArray>();
  if (n > 46340) Throw(env, std::string(fn) + ": n = " + std::to_string(n) + " is too large for 32-bit LAPACK");
  Square s{};
  if (ta.TypedArrayType() == napi_float32_array) {
    auto a = ta.As<Napi::Float32Array>();
    CheckLen(env, fn, a.ElementLength(), static_cast<size_t>(n * n), "n * n");
    Napi::Float32Array o = a;
    if (!inPlace) {
      o = Napi::Float32Array::New(env, a.ElementLength());
      std::copy(a.Data(), a.Data() + a.ElementLength(), o.Data());
    }
    s = {false, o.Data(), o};
  } else if (ta.TypedArrayType() == napi_float64_array) {
    auto a = ta.As<Napi::Float64Array>();
    CheckLen(env, fn, a.ElementLength(), static_cast<size_t>(n * n), "n * n");
    Napi::Float64Array o = a;
    if (!inPlace) {
      o = Napi::Float64Array::New(env, a.ElementLength());
      std::copy(a.Data(), a.Data() + a.ElementLength(), o.Data());
    }
    s = {true, o.Data(), o};
  } else {
    Throw(env, std::string(fn) + ": expected a Float32Array or Float64Array");
  }
  return s;
}

// symInverse(A, n, inPlace?) -> A⁻¹ (same array type)
Napi::Value SymInverse(const Napi::CallbackInfo& info) {
  int64_t n = IntArg(info, 1, "n");
  Square s = SquareArg(info.Env(), info[0], n, Present(info, 2) && info[2].ToBoolean().Value(), "symInverse");
  if (s.f64)
    InverseInPlace(info.Env(), static_cast<double*>(s.data), n);
  else
    InverseInPlace(info.Env(), static_cast<float*>(s.data), n);
  return s.out;
}

// easeWeights(G, n, lambda, inPlace?) -> B = I − P·diag(1/diag(P)), P = (G + λI)⁻¹
Napi::Value EaseWeights(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[2].IsNumber()) Throw(env, "easeWeights: lambda: expected a number");
  double lambda = info[2].As<Napi::Number>().DoubleValue();
  if (!(lambda >= 0) || !std::isfinite(lambda)) Throw(env, "easeWeights: lambda: expected a finite number >= 0");
  int64_t n = IntArg(info, 1, "n");
  Square s = SquareArg(env, info[0], n, Present(info, 3) && info[3].ToBoolean().Value(), "easeWeights");
  if (s.f64) {
    double* a = static_cast<double*>(s.data);
    for (int64_t i = 0; i < n; i++) a[i * n + i] += lambda;
    InverseInPlace(env, a, n);
    EaseFromInverse(a, n);
  } else {
    float* a = static_cast<float*>(s.data);
    for (int64_t i = 0; i < n; i++) a[i * n + i] += static_cast<float>(lambda);
    InverseInPlace(env, a, n);
    EaseFromInverse(a, n);
  }
  return s.out;
}

// gramCsr(indptr, indices, values?, rows, cols, mode?: 0 auto | 1 sparse | 2 dense, threads?) -> [cols, cols]
Napi::Value GramCsr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Int32Array indptr = I32Arg(info, 0, "indptr");
  Napi::Int32Array indices = I32Arg(info, 1, "indices");
  int64_t rows = IntArg(info, 3, "rows"), cols = IntArg(info, 4, "cols");
  const float* vals = nullptr;
  if (Present(info, 2)) {
    auto v = F32Arg(info, 2, "values");
    CheckLen(env, "values", v.ElementLength(), indices.ElementLength(), "nnz");
    vals = v.Data();
  }
  CheckCsr(env, "csr", indptr.Data(), indptr.ElementLength(), indices.Data(), indices.ElementLength(), rows, cols);
  int64_t mode = Present(info, 5) ? IntArg(info, 5, "mode") : 0;
  int threads = ThreadsArg(info, 6);
  if (cols > 46340) Throw(env, "gramCsr: cols = " + std::to_string(cols) + " gives a dense output too large to hold");
  auto out = Napi::Float32Array::New(env, static_cast<size_t>(cols * cols));
  float* G = out.Data();
  const int32_t* P = indptr.Data();
  const int32_t* J = indices.Data();
  if (mode == 0) {
    double sparseCost = 0;
    for (int64_t r = 0; r < rows; r++) sparseCost += static_cast<double>(P[r + 1] - P[r]) * (P[r + 1] - P[r]);
    double denseCost = static_cast<double>(rows) * cols * cols / 2 / 30;  // BLAS does ~30 flops per scatter
    mode = sparseCost <= denseCost ? 1 : 2;
  }
  if (mode == 1) {
    // Each thread owns a range of output rows and scans every input row for its entries.
    ParallelFor(cols, threads, 64, [&](int64_t c0, int64_t c1) {
      for (int64_t r = 0; r < rows; r++) {
        for (int32_t a = P[r]; a < P[r + 1]; a++) {
          int64_t i = J[a];
          if (i < c0 || i >= c1) continue;
          float vi = vals ? vals[a] : 1.0f;
          float* gi = G + i * cols;
          for (int32_t b = P[r]; b < P[r + 1]; b++) gi[J[b]] += vi * (vals ? vals[b] : 1.0f);
        }
      }
    });
  } else {
    // Dense blocks of rows: G += XbᵀXb with ssyrk on the lower triangle, then mirror.
    const int64_t B = std::max<int64_t>(1, std::min<int64_t>(rows, (int64_t{1} << 24) / std::max<int64_t>(cols, 1)));
    std::vector<float> dense(static_cast<size_t>(B * cols));
    for (int64_t r0 = 0; r0 < rows; r0 += B) {
      int64_t br = std::min(B, rows - r0);
      std::fill(dense.begin(), dense.end(), 0.0f);
      for (int64_t r = 0; r < br; r++)
        for (int32_t a = P[r0 + r]; a < P[r0 + r + 1]; a++) dense[r * cols + J[a]] += vals ? vals[a] : 1.0f;
      cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, static_cast<int>(cols), static_cast<int>(br), 1.0f,
                  dense.data(), static_cast<int>(cols), 1.0f, G, static_cast<int>(cols));
    }
    for (int64_t i = 0; i < cols; i++)
      for (int64_t j = 0; j < i; j++) G[j * cols + i] = G[i * cols + j];
  }
  return out;
}

}  // namespace

void InitLinalg(Napi::Env env, Napi::Object exports) {
  exports.Set("symInverse", Napi::Function::New(env, SymInverse, "symInverse"));
  exports.Set("easeWeights", Napi::Function::New(env, EaseWeights, "easeWeights"));
  exports.Set("gramCsr", Napi::Function::New(env, GramCsr, "gramCsr"));
}

}  // namespace ops
}  // namespace embrec
