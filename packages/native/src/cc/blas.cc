// BLAS entry points: sgemm on zero-copy Float32Arrays (row-major), a batched sgemm driven by
// per-batch offsets (batch broadcasting = repeated offsets), and the thread settings of OpenBLAS
// (pthreads) and OpenMP (used by FAISS and by our kernels).
#include <cblas.h>
#include <omp.h>

#include <cstdlib>
#include <string>

#include "common.h"

namespace embrec {
namespace {

Napi::Float32Array F32(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), std::string("sgemm: argument ") + name + " must be a Float32Array");
  }
  return info[i].As<Napi::Float32Array>();
}

Napi::Int32Array I32(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(info.Env(), std::string("sgemm: argument ") + name + " must be an Int32Array");
  }
  return info[i].As<Napi::Int32Array>();
}

int64_t Int(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string("sgemm: argument ") + name + " must be a number");
  }
  return info[i].As<Napi::Number>().Int64Value();
}

// Last element touched by a row-major matrix of `rows` x `cols` with leading dimension `ld`.
void CheckSpan(Napi::Env env, const char* name, int64_t off, int64_t rows, int64_t cols, int64_t ld,
               size_t length) {
  if (rows == 0 || cols == 0) return;
  if (off < 0 || ld < cols) {
    throw Napi::RangeError::New(env, std::string("sgemm: ") + name + ": offset " + std::to_string(off) +
                                         " must be >= 0 and leading dimension " + std::to_string(ld) +
                                         " must be >= " + std::to_string(cols));
  }
  const int64_t last = off + (rows - 1) * ld + cols;  // one past the last element
  if (last > static_cast<int64_t>(length)) {
    throw Napi::RangeError::New(env, std::string("sgemm: ") + name + " needs " + std::to_string(last) +
                                         " elements (offset " + std::to_string(off) + ", " +
                                         std::to_string(rows) + "x" + std::to_string(cols) + ", ld " +
                                         std::to_string(ld) + ") but has " + std::to_string(length));
  }
}

// sgemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc)
// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, all row-major.
Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool ta = info[0].ToBoolean();
  const bool tb = info[1].ToBoolean();
  const int64_t M = Int(info, 2, "M"), N = Int(info, 3, "N"), K = Int(info, 4, "K");
  const float alpha = static_cast<float>(info[5].As<Napi::Number>().DoubleValue());
  auto A = F32(info, 6, "A");
  const int64_t aOff = Int(info, 7, "aOff"), lda = Int(info, 8, "lda");
  auto B = F32(info, 9, "B");
  const int64_t bOff = Int(info, 10, "bOff"), ldb = Int(info, 11, "ldb");
  const float beta = static_cast<float>(info[12].As<Napi::Number>().DoubleValue());
  auto C = F32(info, 13, "C");
  const int64_t cOff = Int(info, 14, "cOff"), ldc = Int(info, 15, "ldc");
  if (M < 0 || N < 0 || K < 0) throw Napi::RangeError::New(env, "sgemm: M, N, K must be >= 0");
  CheckSpan(env, "A", aOff, ta ? K : M, ta ? M : K, lda, A.ElementLength());
  CheckSpan(env, "B", bOff, tb ? N : K, tb ? K : N, ldb, B.ElementLength());
  CheckSpan(env, "C", cOff, M, N, ldc, C.ElementLength());
  if (M == 0 || N == 0) return env.Undefined();
  if (K == 0) {
    for (int64_t i = 0; i < M; i++)
      for (int64_t j = 0; j < N; j++) {
        float& c = C.Data()[cOff + i * ldc + j];
        c = beta == 0.f ? 0.f : beta * c;
      }
    return env.Undefined();
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N,
              (int)K, alpha, A.Data() + aOff, (int)lda, B.Data() + bOff, (int)ldb, beta, C.Data() + cOff,
              (int)ldc);
  return env.Undefined();
}

// sgemmBatched(transA, transB, M, N, K, alpha, A, aOffs, lda, B, bOffs, ldb, beta, C, cOffs, ldc)
// One sgemm per entry of the offset arrays (equal lengths). Broadcasting a batch dimension is
// expressed by repeating an offset.
Napi::Value SgemmBatched(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool ta = info[0].ToBoolean();
  const bool tb = info[1].ToBoolean();
  const int64_t M = Int(info, 2, "M"), N = Int(info, 3, "N"), K = Int(info, 4, "K");
  const float alpha = static_cast<float>(info[5].As<Napi::Number>().DoubleValue());
  auto A = F32(info, 6, "A");
  auto aOffs = I32(info, 7, "aOffs");
  const int64_t lda = Int(info, 8, "lda");
  auto B = F32(info, 9, "B");
  auto bOffs = I32(info, 10, "bOffs");
  const int64_t ldb = Int(info, 11, "ldb");
  const float beta = static_cast<float>(info[12].As<Napi::Number>().DoubleValue());
  auto C = F32(info, 13, "C");
  auto cOffs = I32(info, 14, "cOffs");
  const int64_t ldc = Int(info, 15, "ldc");
  const size_t n = aOffs.ElementLength();
  if (bOffs.ElementLength() != n || cOffs.ElementLength() != n)
    throw Napi::RangeError::New(env, "sgemmBatched: aOffs, bOffs and cOffs must have the same length");
  if (M < 0 || N < 0 || K < 0) throw Napi::RangeError::New(env, "sgemmBatched: M, N, K must be >= 0");
  for (size_t i = 0; i < n; i++) {
    CheckSpan(env, "A", aOffs[i], ta ? K : M, ta ? M : K, lda, A.ElementLength());
    CheckSpan(env, "B", bOffs[i], tb ? N : K, tb ? K : N, ldb, B.ElementLength());
    CheckSpan(env, "C", cOffs[i], M, N, ldc, C.ElementLength());
  }
  if (M == 0 || N == 0) return env.Undefined();
  for (size_t i = 0; i < n; i++) {
    float* c = C.Data() + cOffs[i];
    if (K == 0) {
      for (int64_t r = 0; r < M; r++)
        for (int64_t j = 0; j < N; j++) c[r * ldc + j] = beta == 0.f ? 0.f : beta * c[r * ldc + j];
      continue;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N,
                (int)K, alpha, A.Data() + aOffs[i], (int)lda, B.Data() + bOffs[i], (int)ldb, beta, c, (int)ldc);
  }
  return env.Undefined();
}

Napi::Value SetBlasThreads(const Napi::CallbackInfo& info) {
  const int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "setBlasThreads: n must be >= 1");
  openblas_set_num_threads(n);
  return info.Env().Undefined();
}
Napi::Value GetBlasThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), openblas_get_num_threads());
}
Napi::Value SetOmpThreads(const Napi::CallbackInfo& info) {
  const int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "setOmpThreads: n must be >= 1");
  omp_set_num_threads(n);
  return info.Env().Undefined();
}
Napi::Value GetOmpThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}
Napi::Value BlasConfig(const Napi::CallbackInfo& info) {
  const char* c = openblas_get_config();
  return Napi::String::New(info.Env(), c ? c : "");
}

}  // namespace

void InitBlas(Napi::Env env, Napi::Object exports) {
  // Default: one BLAS thread unless the user asked otherwise through the environment. On small
  // machines more BLAS threads do not pay for these shapes, and they compete with OpenMP (FAISS).
  // OpenMP keeps its own default (OMP_NUM_THREADS or the core count); see threads.ts.
  if (std::getenv("OPENBLAS_NUM_THREADS") == nullptr) openblas_set_num_threads(1);
  exports.Set("sgemm", Napi::Function::New(env, Sgemm, "sgemm"));
  exports.Set("sgemmBatched", Napi::Function::New(env, SgemmBatched, "sgemmBatched"));
  exports.Set("setBlasThreads", Napi::Function::New(env, SetBlasThreads, "setBlasThreads"));
  exports.Set("getBlasThreads", Napi::Function::New(env, GetBlasThreads, "getBlasThreads"));
  exports.Set("setOmpThreads", Napi::Function::New(env, SetOmpThreads, "setOmpThreads"));
  exports.Set("getOmpThreads", Napi::Function::New(env, GetOmpThreads, "getOmpThreads"));
  exports.Set("blasConfig", Napi::Function::New(env, BlasConfig, "blasConfig"));
}
}  // namespace embrec
