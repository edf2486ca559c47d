// Helpers shared by ops*.cc: argument checks that throw JS errors, and a tiny parallel-for.
#pragma once
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace embrec {
namespace ops {

[[noreturn]] inline void Throw(Napi::Env env, const std::string& msg) {
  throw Napi::RangeError::New(env, msg);
}

inline int64_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber())
    Throw(info.Env(), std::string(name) + ": expected a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0) || v != static_cast<double>(static_cast<int64_t>(v)) || v > 9.0e15)
    Throw(info.Env(), std::string(name) + ": expected a non-negative integer, got " + std::to_string(v));
  return static_cast<int64_t>(v);
}

inline bool Present(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && !info[i].IsUndefined() && !info[i].IsNull();
}

inline Napi::Float32Array F32Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    Throw(info.Env(), std::string(name) + ": expected a Float32Array");
  return info[i].As<Napi::Float32Array>();
}

inline Napi::Int32Array I32Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    Throw(info.Env(), std::string(name) + ": expected an Int32Array");
  return info[i].As<Napi::Int32Array>();
}

inline void CheckLen(Napi::Env env, const char* name, size_t got, size_t want, const std::string& shape) {
  if (got != want)
    Throw(env, std::string(name) + ": expected length " + std::to_string(want) + " (" + shape + "), got " +
                   std::to_string(got));
}

/** Checks a CSR structure: indptr [rows+1] starts at 0, never decreases, ends at nnz; indices < cols. */
inline void CheckCsr(Napi::Env env, const char* name, const int32_t* indptr, size_t indptrLen, const int32_t* indices,
                     size_t nnz, int64_t rows, int64_t cols) {
  if (indptrLen != static_cast<size_t>(rows) + 1)
    Throw(env, std::string(name) + ".indptr: expected length rows + 1 = " + std::to_string(rows + 1) + ", got " +
                   std::to_string(indptrLen));
  if (indptr[0] != 0) Throw(env, std::string(name) + ".indptr[0]: expected 0, got " + std::to_string(indptr[0]));
  for (int64_t r = 0; r < rows; r++)
    if (indptr[r + 1] < indptr[r])
      Throw(env, std::string(name) + ".indptr: decreases at row " + std::to_string(r) + " (" +
                     std::to_string(indptr[r]) + " then " + std::to_string(indptr[r + 1]) + ")");
  if (static_cast<size_t>(indptr[rows]) != nnz)
    Throw(env, std::string(name) + ".indptr[rows] = " + std::to_string(indptr[rows]) + " but indices has length " +
                   std::to_string(nnz));
  for (size_t e = 0; e < nnz; e++)
    if (indices[e] < 0 || indices[e] >= cols)
      Throw(env, std::string(name) + ".indices[" + std::to_string(e) + "] = " + std::to_string(indices[e]) +
                     " is outside 0.." + std::to_string(cols - 1));
}

/** Runs fn(begin, end) over [0, n) split into `threads` contiguous chunks of whole `grain` units. */
inline void ParallelFor(int64_t n, int threads, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  int64_t units = (n + grain - 1) / grain;
  int t = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, units)));
  if (t == 1) {
    fn(0, n);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errs(t);
  int64_t per = (units + t - 1) / t;
  for (int i = 0; i < t; i++) {
    int64_t b = std::min(n, i * per * grain), e = std::min(n, (i + 1) * per * grain);
    pool.emplace_back([&, i, b, e] {
      try {
        fn(b, e);
      } catch (...) {
        errs[i] = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& e : errs)
    if (e) std::rethrow_exception(e);
}

inline int ThreadsArg(const Napi::CallbackInfo& info, size_t i) {
  if (!Present(info, i)) return 1;
  int64_t t = IntArg(info, i, "threads");
  if (t < 1 || t > 256) Throw(info.Env(), "threads: expected 1..256, got " + std::to_string(t));
  return static_cast<int>(t);
}

}  // namespace ops
}  // namespace embrec

namespace embrec {
namespace ops {
void InitTopk(Napi::Env env, Napi::Object exports);    // ops_topk.cc
void InitLinalg(Napi::Env env, Napi::Object exports);  // ops_linalg.cc
void InitSparse(Napi::Env env, Napi::Object exports);  // ops_sparse.cc
}  // namespace ops
}  // namespace embrec
