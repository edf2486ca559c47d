// Bodies of the tfjs kernel overrides (see src/kernels/*.ts): gather, segment sum, broadcast
// element-wise ops, unary ops, softmax, reductions, the fused in-batch softmax cross-entropy and the
// Adam/Adagrad updates. Typed arrays in, typed arrays out, no copies, no allocation of JS memory:
// the TypeScript side allocates outputs and checks shapes; this side re-checks lengths so that a bad
// call throws instead of reading out of bounds.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <immintrin.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "common.h"

namespace embrec {
namespace {

struct F32View {
  float* p = nullptr;
  size_t n = 0;
};
struct I32View {
  int32_t* p = nullptr;
  size_t n = 0;
};

[[noreturn]] void Fail(Napi::Env env, const std::string& fn, const std::string& msg) {
  throw Napi::RangeError::New(env, fn + ": " + msg);
}

F32View F32(const Napi::CallbackInfo& info, size_t i, const char* fn, bool nullable = false) {
  if (nullable && (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined())) return {};
  if (i >= info.Length() || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": argument " + std::to_string(i) +
                                               " must be a Float32Array");
  auto a = info[i].As<Napi::Float32Array>();
  return {a.Data(), a.ElementLength()};
}

I32View I32(const Napi::CallbackInfo& info, size_t i, const char* fn, bool nullable = false) {
  if (nullable && (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined())) return {};
  if (i >= info.Length() || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": argument " + std::to_string(i) +
                                               " must be an Int32Array");
  auto a = info[i].As<Napi::Int32Array>();
  return {a.Data(), a.ElementLength()};
}

// Any typed array whose elements are 4 bytes (float32, int32, uint32): raw bytes for gather.
uint32_t* Raw4(const Napi::CallbackInfo& info, size_t i, const char* fn, size_t* n) {
  if (i >= info.Length() || !info[i].IsTypedArray())
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": argument " + std::to_string(i) +
                                               " must be a typed array");
  auto t = info[i].As<Napi::TypedArray>();
  auto ty = t.TypedArrayType();
  if (ty != napi_float32_array && ty != napi_int32_array && ty != napi_uint32_array)
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": argument " + std::to_string(i) +
                                               " must have 4-byte elements");
  *n = t.ElementLength();
  return reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset());
}

int64_t Int(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }
double Num(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }

void Need(Napi::Env env, const char* fn, const char* what, size_t have, size_t need) {
  if (have < need)
    Fail(env, fn, std::string(what) + " has " + std::to_string(have) + " elements, needs " + std::to_string(need));
}

// Flush-to-zero and denormals-are-zero while a kernel runs (MXCSR is per thread; restored on exit).
// Softmax tails and Adam's second moments produce denormals, which are about 100x slower on x86.
struct FtzGuard {
  unsigned int saved;
  FtzGuard() : saved(_mm_getcsr()) { _mm_setcsr(saved | 0x8040); }
  ~FtzGuard() { _mm_setcsr(saved); }
};

// exp(x) for float32 in a form the compiler vectorises (Cephes expf: range reduction to
// [-ln2/2, ln2/2] and a degree-6 polynomial; about 1 ulp). exp(-inf) and anything below the float
// range give exactly 0, NaN stays NaN, overflow gives +inf.
// The selects below only become vector blends when GCC may ignore FP traps and signed zeros and
// assume finite values; infinities are handled by explicit compares and NaN by an integer test.
#define EMBREC_VEC_MATH \
  __attribute__((optimize("no-trapping-math", "finite-math-only", "no-signed-zeros", "no-math-errno")))

__attribute__((always_inline)) EMBREC_VEC_MATH inline float FastExp(float x) {
  const float hi = 88.3762626647949f;
  float xc = x > hi ? hi : x;
  xc = xc < -88.0f ? -88.0f : xc;
  const float fx = __builtin_floorf(xc * 1.44269504088896341f + 0.5f);
  float r = xc - fx * 0.693359375f;
  r = r - fx * -2.12194440e-4f;
  const float r2 = r * r;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r2 + r + 1.0f;
  const int32_t n = static_cast<int32_t>(fx);
  // 2^n in two halves so that n = 128 (x close to the top of the range) does not overflow the exponent
  const int32_t n1 = n >> 1, n2 = n - n1;
  const float p1 = __builtin_bit_cast(float, static_cast<uint32_t>(n1 + 127) << 23);
  const float p2 = __builtin_bit_cast(float, static_cast<uint32_t>(n2 + 127) << 23);
  float out = y * p1 * p2;
  out = x < -87.3365f ? 0.0f : out;  // below the normal range: 0, like a flush-to-zero expf
  out = x > hi ? INFINITY : out;
  const uint32_t xb = __builtin_bit_cast(uint32_t, x), ob = __builtin_bit_cast(uint32_t, out);
  return __builtin_bit_cast(float, (xb & 0x7fffffffu) > 0x7f800000u ? xb : ob);  // NaN stays NaN
}

#define EMBREC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

// y[i] = exp(x[i] - shift)
EMBREC_CLONES EMBREC_VEC_MATH void ExpShift(const float* __restrict x, float* __restrict y, int64_t n, float shift) {
  for (int64_t i = 0; i < n; i++) y[i] = FastExp(x[i] - shift);
}
// Sum and max with 16 independent lanes: vectorised without -ffast-math (no reassociation needed).
EMBREC_CLONES double Sum16(const float* __restrict x, int64_t n) {
  float acc[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; k++) acc[k] += x[i + k];
  double s = 0;
  for (int k = 0; k < 16; k++) s += acc[k];
  for (; i < n; i++) s += x[i];
  return s;
}
EMBREC_CLONES float RowMax(const float* __restrict x, int64_t n) {
  float acc[16];
  for (int k = 0; k < 16; k++) acc[k] = -INFINITY;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; k++) acc[k] = x[i + k] > acc[k] ? x[i + k] : acc[k];
  float m = -INFINITY;
  for (int k = 0; k < 16; k++) m = acc[k] > m ? acc[k] : m;
  for (; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}
// y = exp(y - shift) in place; returns the sum
EMBREC_CLONES EMBREC_VEC_MATH void ExpShiftInPlace(float* y, int64_t n, float shift) {
  for (int64_t i = 0; i < n; i++) y[i] = FastExp(y[i] - shift);
}
double ExpShiftSum(float* y, int64_t n, float shift) {
  ExpShiftInPlace(y, n, shift);
  return Sum16(y, n);
}
EMBREC_CLONES void ReluGradLoop(const float* __restrict dy, const float* __restrict y, float* __restrict o,
                                int64_t n) {
  for (int64_t i = 0; i < n; i++) o[i] = y[i] > 0.f ? dy[i] : 0.f;
}
EMBREC_CLONES void Scale(float* __restrict y, int64_t n, float a) {
  for (int64_t i = 0; i < n; i++) y[i] *= a;
}

// transpose2d(x [R, C], out [C, R]) in 32x32 tiles.
Napi::Value Transpose2d(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t nx = 0, no = 0;
  const uint32_t* x = Raw4(info, 0, "transpose2d", &nx);
  uint32_t* o = Raw4(info, 1, "transpose2d", &no);
  const int64_t R = Int(info, 2), C = Int(info, 3);
  Need(env, "transpose2d", "x", nx, R * C);
  Need(env, "transpose2d", "out", no, R * C);
  const int64_t T = 32;
  for (int64_t r0 = 0; r0 < R; r0 += T)
    for (int64_t c0 = 0; c0 < C; c0 += T) {
      const int64_t r1 = std::min(R, r0 + T), c1 = std::min(C, c0 + T);
      for (int64_t r = r0; r < r1; r++)
        for (int64_t c = c0; c < c1; c++) o[c * R + r] = x[r * C + c];
    }
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// gather(x, indices, out, batch, outer, dim, slice, nIdx) -> -1, or the position of the first
// index outside [0, dim). x: [batch, outer, dim, slice]; indices: [batch, nIdx];
// out: [batch, outer, nIdx, slice]. Elements are copied as 4-byte words (float32 or int32).
Napi::Value Gather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t nx = 0, no = 0;
  uint32_t* x = Raw4(info, 0, "gather", &nx);
  I32View idx = I32(info, 1, "gather");
  uint32_t* out = Raw4(info, 2, "gather", &no);
  const int64_t batch = Int(info, 3), outer = Int(info, 4), dim = Int(info, 5), slice = Int(info, 6),
                nIdx = Int(info, 7);
  Need(env, "gather", "x", nx, batch * outer * dim * slice);
  Need(env, "gather", "indices", idx.n, batch * nIdx);
  Need(env, "gather", "out", no, batch * outer * nIdx * slice);
  for (int64_t i = 0; i < batch * nIdx; i++)
    if (idx.p[i] < 0 || idx.p[i] >= dim) return Napi::Number::New(env, (double)i);
  const size_t bytes = slice * sizeof(uint32_t);
  for (int64_t b = 0; b < batch; b++)
    for (int64_t o = 0; o < outer; o++) {
      const uint32_t* src = x + (b * outer + o) * dim * slice;
      uint32_t* dst = out + (b * outer + o) * nIdx * slice;
      const int32_t* ix = idx.p + b * nIdx;
      if (slice == 1) {
        for (int64_t i = 0; i < nIdx; i++) dst[i] = src[ix[i]];
      } else {
        for (int64_t i = 0; i < nIdx; i++) std::memcpy(dst + i * slice, src + ix[i] * slice, bytes);
      }
    }
  return Napi::Number::New(env, -1);
}

// segmentSum(x [n, cols], ids [n], numSegments, cols, out [numSegments, cols] zeroed).
// Rows whose id is outside [0, numSegments) are dropped, as in TensorFlow.
Napi::Value SegmentSum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32View x = F32(info, 0, "segmentSum");
  I32View ids = I32(info, 1, "segmentSum");
  const int64_t numSegments = Int(info, 2), cols = Int(info, 3);
  F32View out = F32(info, 4, "segmentSum");
  Need(env, "segmentSum", "x", x.n, ids.n * cols);
  Need(env, "segmentSum", "out", out.n, numSegments * cols);
  for (size_t i = 0; i < ids.n; i++) {
    const int32_t s = ids.p[i];
    if (s < 0 || s >= numSegments) continue;
    float* __restrict d = out.p + s * cols;
    const float* __restrict r = x.p + i * cols;
    for (int64_t j = 0; j < cols; j++) d[j] += r[j];
  }
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// Broadcast binary ops. binary(op, a, b, out, shape, aStrides, bStrides): the TS side collapses
// shapes so that the innermost stride of each input is 0 (broadcast) or 1 (contiguous).
enum BinOp { kAdd = 0, kSub, kMul, kDiv, kMax, kMin, kSqDiff };

template <int OP>
inline float Apply(float a, float b) {
  if constexpr (OP == kAdd) return a + b;
  if constexpr (OP == kSub) return a - b;
  if constexpr (OP == kMul) return a * b;
  if constexpr (OP == kDiv) return a / b;
  if constexpr (OP == kMax) return (std::isnan(a) || std::isnan(b)) ? NAN : (a > b ? a : b);
  if constexpr (OP == kMin) return (std::isnan(a) || std::isnan(b)) ? NAN : (a < b ? a : b);
  if constexpr (OP == kSqDiff) return (a - b) * (a - b);
  return 0.f;
}

template <int OP>
void Inner(const float* __restrict a, int sa, const float* __restrict b, int sb, float* __restrict o,
           int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; i++) o[i] = Apply<OP>(a[i], b[i]);
  } else if (sa == 1) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; i++) o[i] = Apply<OP>(a[i], bv);
  } else if (sb == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < n; i++) o[i] = Apply<OP>(av, b[i]);
  } else {
    const float v = Apply<OP>(a[0], b[0]);
    for (int64_t i = 0; i < n; i++) o[i] = v;
  }
}

// In-place variants (out aliases a or b) must not use __restrict: a separate, plain loop.
template <int OP>
void InnerAlias(const float* a, int sa, const float* b, int sb, float* o, int64_t n) {
  for (int64_t i = 0; i < n; i++) o[i] = Apply<OP>(a[sa * i], b[sb * i]);
}

template <int OP>
void BinaryND(const float* a, const float* b, float* o, const int32_t* shape, const int32_t* as,
              const int32_t* bs, int rank, bool alias) {
  const int64_t inner = shape[rank - 1];
  const int sa = as[rank - 1], sb = bs[rank - 1];
  int64_t outerCount = 1;
  for (int d = 0; d < rank - 1; d++) outerCount *= shape[d];
  std::vector<int64_t> ctr(rank, 0);
  int64_t ao = 0, bo = 0;
  for (int64_t r = 0; r < outerCount; r++) {
    float* dst = o + r * inner;
    if (alias)
      InnerAlias<OP>(a + ao, sa, b + bo, sb, dst, inner);
    else
      Inner<OP>(a + ao, sa, b + bo, sb, dst, inner);
    for (int d = rank - 2; d >= 0; d--) {  // odometer over the outer dims
      ctr[d]++;
      ao += as[d];
      bo += bs[d];
      if (ctr[d] < shape[d]) break;
      ao -= as[d] * shape[d];
      bo -= bs[d] * shape[d];
      ctr[d] = 0;
    }
  }
}

Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = (int)Int(info, 0);
  F32View a = F32(info, 1, "binary"), b = F32(info, 2, "binary"), o = F32(info, 3, "binary");
  I32View shape = I32(info, 4, "binary"), as = I32(info, 5, "binary"), bs = I32(info, 6, "binary");
  const int rank = (int)shape.n;
  if (rank < 1 || as.n != shape.n || bs.n != shape.n) Fail(env, "binary", "bad shape/strides");
  int64_t total = 1, aSpan = 1, bSpan = 1;
  for (int d = 0; d < rank; d++) {
    total *= shape.p[d];
    if (shape.p[d] > 0) {
      aSpan += (int64_t)as.p[d] * (shape.p[d] - 1);
      bSpan += (int64_t)bs.p[d] * (shape.p[d] - 1);
    }
  }
  if (total == 0) return env.Undefined();
  if (as.p[rank - 1] > 1 || bs.p[rank - 1] > 1) Fail(env, "binary", "innermost stride must be 0 or 1");
  Need(env, "binary", "a", a.n, aSpan);
  Need(env, "binary", "b", b.n, bSpan);
  Need(env, "binary", "out", o.n, total);
  const bool alias = o.p == a.p || o.p == b.p;
  switch (op) {
    case kAdd: BinaryND<kAdd>(a.p, b.p, o.p, shape.p, as.p, bs.p, rank, alias); break;
    case kSub: BinaryND<kSub>(a.p, b.p, o.p, shape.p, as.p, bs.p, rank, alias); break;
    case kMul: BinaryND<kMul>(a.p, b.p, o.p, shape.p, as.p, bs.p, rank, alias); break;
    case kDiv: BinaryND<kDiv>(a.p, b.p, o.p, shape.p, as.p, bs.p, rank, alias); break;
    case kMax: BinaryND<kMax>(a.p, b.p, o.p, shape.p, as.p, bs.p, rank, alias); break;
    case kMin: BinaryND<kMin>(a.p, b.p, o.p, shape.p, as.p, bs.p, rank, alias); break;
    case kSqDiff: BinaryND<kSqDiff>(a.p, b.p, o.p, shape.p, as.p, bs.p, rank, alias); break;
    default: Fail(env, "binary", "unknown op " + std::to_string(op));
  }
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// unary(op, x, out, alpha)
enum UnOp { kExp = 0, kLog, kSqrt, kRsqrt, kNeg, kSquare, kRelu, kSigmoid, kTanh, kAbs, kLeaky, kRelu6, kStep };

Napi::Value Unary(const Napi::CallbackInfo& info) {
  FtzGuard ftz;
  Napi::Env env = info.Env();
  const int op = (int)Int(info, 0);
  F32View x = F32(info, 1, "unary"), o = F32(info, 2, "unary");
  const float alpha = info.Length() > 3 && info[3].IsNumber() ? (float)Num(info, 3) : 0.f;
  Need(env, "unary", "out", o.n, x.n);
  const int64_t n = (int64_t)x.n;
  float* __restrict y = o.p;
  const float* xp = x.p;
  switch (op) {
    case kExp: ExpShift(xp, y, n, 0.f); break;
    case kLog: for (int64_t i = 0; i < n; i++) y[i] = std::log(xp[i]); break;
    case kSqrt: for (int64_t i = 0; i < n; i++) y[i] = std::sqrt(xp[i]); break;
    case kRsqrt: for (int64_t i = 0; i < n; i++) y[i] = 1.f / std::sqrt(xp[i]); break;
    case kNeg: for (int64_t i = 0; i < n; i++) y[i] = -xp[i]; break;
    case kSquare: for (int64_t i = 0; i < n; i++) y[i] = xp[i] * xp[i]; break;
    case kRelu:
      for (int64_t i = 0; i < n; i++) y[i] = std::isnan(xp[i]) ? xp[i] : (xp[i] < 0.f ? 0.f : xp[i]);
      break;
    case kSigmoid: for (int64_t i = 0; i < n; i++) y[i] = 1.f / (1.f + std::exp(-xp[i])); break;
    case kTanh: for (int64_t i = 0; i < n; i++) y[i] = std::tanh(xp[i]); break;
    case kAbs: for (int64_t i = 0; i < n; i++) y[i] = std::fabs(xp[i]); break;
    case kLeaky: for (int64_t i = 0; i < n; i++) y[i] = xp[i] < 0.f ? alpha * xp[i] : xp[i]; break;
    case kRelu6:
      for (int64_t i = 0; i < n; i++) y[i] = std::isnan(xp[i]) ? xp[i] : std::min(std::max(xp[i], 0.f), 6.f);
      break;
    case kStep:
      for (int64_t i = 0; i < n; i++) y[i] = std::isnan(xp[i]) ? NAN : (xp[i] > 0.f ? 1.f : alpha);
      break;
    default: Fail(env, "unary", "unknown op " + std::to_string(op));
  }
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// softmax(x, out, rows, cols, log): softmax (or log-softmax) of each row.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  FtzGuard ftz;
  Napi::Env env = info.Env();
  F32View x = F32(info, 0, "softmax"), o = F32(info, 1, "softmax");
  const int64_t rows = Int(info, 2), cols = Int(info, 3);
  const bool log = info[4].ToBoolean();
  Need(env, "softmax", "x", x.n, rows * cols);
  Need(env, "softmax", "out", o.n, rows * cols);
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x.p + r * cols;
    float* yr = o.p + r * cols;
    const float m = RowMax(xr, cols);
    if (log) {
      ExpShift(xr, yr, cols, m);
      double s = 0;
      for (int64_t j = 0; j < cols; j++) s += yr[j];
      const float lse = m + (float)std::log(s);
      for (int64_t j = 0; j < cols; j++) yr[j] = xr[j] - lse;
    } else {
      if (yr != xr) std::memcpy(yr, xr, cols * sizeof(float));
      const double s = ExpShiftSum(yr, cols, m);
      Scale(yr, cols, (float)(1.0 / s));
    }
  }
  return env.Undefined();
}

// reduce(op, x, out, pre, red, post): out[p, q] = reduce over r of x[p, r, q].
// op: 0 sum, 1 max, 2 min, 3 mean, 4 prod.
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int op = (int)Int(info, 0);
  F32View x = F32(info, 1, "reduce"), o = F32(info, 2, "reduce");
  const int64_t pre = Int(info, 3), red = Int(info, 4), post = Int(info, 5);
  Need(env, "reduce", "x", x.n, pre * red * post);
  Need(env, "reduce", "out", o.n, pre * post);
  if (op < 0 || op > 4) Fail(env, "reduce", "unknown op " + std::to_string(op));
  std::vector<double> acc(post);
  for (int64_t p = 0; p < pre; p++) {
    const float* xp = x.p + p * red * post;
    float* op_ = o.p + p * post;
    if (op == 0 || op == 3 || op == 4) {
      if (post == 1) {
        double s = op == 4 ? 1.0 : 0.0;
        if (op == 4)
          for (int64_t r = 0; r < red; r++) s *= xp[r];
        else
          for (int64_t r = 0; r < red; r++) s += xp[r];
        if (op == 3) s /= (double)red;
        op_[0] = (float)s;
      } else {
        std::fill(acc.begin(), acc.end(), op == 4 ? 1.0 : 0.0);
        double* __restrict a = acc.data();
        for (int64_t r = 0; r < red; r++) {
          const float* __restrict row = xp + r * post;
          if (op == 4)
            for (int64_t q = 0; q < post; q++) a[q] *= row[q];
          else
            for (int64_t q = 0; q < post; q++) a[q] += row[q];
        }
        const double div = op == 3 ? (double)red : 1.0;
        for (int64_t q = 0; q < post; q++) op_[q] = (float)(a[q] / div);
      }
    } else {
      const bool mx = op == 1;
      for (int64_t q = 0; q < post; q++) {
        float m = red > 0 ? xp[q] : (mx ? -INFINITY : INFINITY);
        bool nan = false;
        for (int64_t r = 0; r < red; r++) {
          const float v = xp[r * post + q];
          if (std::isnan(v)) nan = true;
          m = mx ? (v > m ? v : m) : (v < m ? v : m);
        }
        op_[q] = nan ? NAN : m;
      }
    }
  }
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// inBatchSoftmaxCE(logits [B,N], B, N, invTemp, logQ [N] | null, ids [N] | null, labels [B],
//                  grad [B,N]) -> mean loss.
// z[i,j] = logits[i,j] * invTemp - logQ[j]; columns j != labels[i] with ids[j] == ids[labels[i]]
// are masked (accidental hits). loss = mean_i (logsumexp_j z[i,j] - z[i, labels[i]]).
// grad (dloss/dlogits) = (softmax(z) - onehot(labels)) * invTemp / B; masked entries get 0.
Napi::Value InBatchSoftmaxCE(const Napi::CallbackInfo& info) {
  FtzGuard ftz;
  Napi::Env env = info.Env();
  const char* fn = "inBatchSoftmaxCE";
  F32View s = F32(info, 0, fn);
  const int64_t B = Int(info, 1), N = Int(info, 2);
  const float invT = (float)Num(info, 3);
  F32View logQ = F32(info, 4, fn, true);
  I32View ids = I32(info, 5, fn, true);
  I32View labels = I32(info, 6, fn);
  F32View g = F32(info, 7, fn);
  Need(env, fn, "logits", s.n, B * N);
  Need(env, fn, "grad", g.n, B * N);
  Need(env, fn, "labels", labels.n, B);
  if (logQ.p) Need(env, fn, "logQ", logQ.n, N);
  if (ids.p) Need(env, fn, "ids", ids.n, N);
  double total = 0;
  const float scale = invT / (float)std::max<int64_t>(B, 1);
  for (int64_t i = 0; i < B; i++) {
    const int32_t li = labels.p[i];
    if (li < 0 || li >= N) Fail(env, fn, "label " + std::to_string(li) + " of row " + std::to_string(i) +
                                             " is not in [0, " + std::to_string(N) + ")");
    const float* sr = s.p + i * N;
    float* gr = g.p + i * N;
    const int32_t pid = ids.p ? ids.p[li] : 0;
    for (int64_t j = 0; j < N; j++) gr[j] = sr[j] * invT - (logQ.p ? logQ.p[j] : 0.f);
    if (ids.p)
      for (int64_t j = 0; j < N; j++)
        if (j != li && ids.p[j] == pid) gr[j] = -INFINITY;
    const float m = RowMax(gr, N);
    const float zl = gr[li];
    const double sum = ExpShiftSum(gr, N, m);
    total += (double)m + std::log(sum) - zl;
    Scale(gr, N, (float)(1.0 / sum) * scale);
    gr[li] -= scale;
  }
  return Napi::Number::New(env, B > 0 ? total / (double)B : 0.0);
}

// reluGrad(dy, y, out): out = y > 0 ? dy : 0 (the gradient through a ReLU, from its output).
Napi::Value ReluGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  F32View dy = F32(info, 0, "reluGrad"), y = F32(info, 1, "reluGrad"), o = F32(info, 2, "reluGrad");
  Need(env, "reluGrad", "y", y.n, dy.n);
  Need(env, "reluGrad", "out", o.n, dy.n);
  ReluGradLoop(dy.p, y.p, o.p, (int64_t)dy.n);
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// Layer normalisation over the last axis.
// layerNormFwd(x [R,D], gamma [D], beta [D], R, D, eps, y [R,D], mean [R], rstd [R])
Napi::Value LayerNormFwd(const Napi::CallbackInfo& info) {
  FtzGuard ftz;
  Napi::Env env = info.Env();
  const char* fn = "layerNormFwd";
  F32View x = F32(info, 0, fn), gamma = F32(info, 1, fn), beta = F32(info, 2, fn);
  const int64_t R = Int(info, 3), D = Int(info, 4);
  const float eps = (float)Num(info, 5);
  F32View y = F32(info, 6, fn), mean = F32(info, 7, fn), rstd = F32(info, 8, fn);
  Need(env, fn, "x", x.n, R * D);
  Need(env, fn, "y", y.n, R * D);
  Need(env, fn, "gamma", gamma.n, D);
  Need(env, fn, "beta", beta.n, D);
  Need(env, fn, "mean", mean.n, R);
  Need(env, fn, "rstd", rstd.n, R);
  for (int64_t r = 0; r < R; r++) {
    const float* __restrict xr = x.p + r * D;
    float* __restrict yr = y.p + r * D;
    double s = 0;
    for (int64_t j = 0; j < D; j++) s += xr[j];
    const float mu = (float)(s / (double)D);
    double v = 0;
    for (int64_t j = 0; j < D; j++) {
      const float c = xr[j] - mu;
      v += (double)c * c;
    }
    const float rs = 1.0f / std::sqrt((float)(v / (double)D) + eps);
    mean.p[r] = mu;
    rstd.p[r] = rs;
    for (int64_t j = 0; j < D; j++) yr[j] = (xr[j] - mu) * rs * gamma.p[j] + beta.p[j];
  }
  return env.Undefined();
}

// layerNormBwd(x, gamma, mean, rstd, dy, R, D, dx [R,D], dgamma [D] zeroed, dbeta [D] zeroed)
Napi::Value LayerNormBwd(const Napi::CallbackInfo& info) {
  FtzGuard ftz;
  Napi::Env env = info.Env();
  const char* fn = "layerNormBwd";
  F32View x = F32(info, 0, fn), gamma = F32(info, 1, fn), mean = F32(info, 2, fn), rstd = F32(info, 3, fn),
          dy = F32(info, 4, fn);
  const int64_t R = Int(info, 5), D = Int(info, 6);
  F32View dx = F32(info, 7, fn), dgamma = F32(info, 8, fn), dbeta = F32(info, 9, fn);
  Need(env, fn, "x", x.n, R * D);
  Need(env, fn, "dy", dy.n, R * D);
  Need(env, fn, "dx", dx.n, R * D);
  Need(env, fn, "gamma", gamma.n, D);
  Need(env, fn, "dgamma", dgamma.n, D);
  Need(env, fn, "dbeta", dbeta.n, D);
  Need(env, fn, "mean", mean.n, R);
  Need(env, fn, "rstd", rstd.n, R);
  std::vector<float> xhat(D), g(D);
  const float invD = 1.0f / (float)D;
  for (int64_t r = 0; r < R; r++) {
    const float* xr = x.p + r * D;
    const float* dyr = dy.p + r * D;
    float* dxr = dx.p + r * D;
    const float mu = mean.p[r], rs = rstd.p[r];
    float sg = 0.f, sgx = 0.f;
    for (int64_t j = 0; j < D; j++) {
      const float xh = (xr[j] - mu) * rs;
      xhat[j] = xh;
      dgamma.p[j] += dyr[j] * xh;
      dbeta.p[j] += dyr[j];
      const float gj = dyr[j] * gamma.p[j];
      g[j] = gj;
      sg += gj;
      sgx += gj * xh;
    }
    for (int64_t j = 0; j < D; j++) dxr[j] = rs * (g[j] - invD * sg - xhat[j] * invD * sgx);
  }
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// Optimiser updates, in place.
// Adam's element-wise update. The scalar sqrt may set errno, which keeps GCC from vectorising it,
// so the AVX2 and AVX-512 versions are written with intrinsics and picked at run time.
void AdamScalar(float* __restrict p, float* __restrict m, float* __restrict v, const float* __restrict g,
                int64_t i, int64_t n, float lr, float b1, float b2, float eps, float c1, float c2) {
  for (; i < n; i++) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * (1.f - b1);
    const float vi = v[i] * b2 + gi * gi * (1.f - b2);
    m[i] = mi;
    v[i] = vi;
    p[i] -= lr * (mi * c1) / (std::sqrt(vi * c2) + eps);
  }
}

__attribute__((target("avx512f"))) void Adam512(float* __restrict p, float* __restrict m, float* __restrict v,
                                                 const float* __restrict g, int64_t n, float lr, float b1,
                                                 float b2, float eps, float c1, float c2) {
  const __m512 vb1 = _mm512_set1_ps(b1), vb1c = _mm512_set1_ps(1.f - b1), vb2 = _mm512_set1_ps(b2),
               vb2c = _mm512_set1_ps(1.f - b2), vlr = _mm512_set1_ps(lr), veps = _mm512_set1_ps(eps),
               vc1 = _mm512_set1_ps(c1), vc2 = _mm512_set1_ps(c2);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 gi = _mm512_loadu_ps(g + i);
    const __m512 mi = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(m + i), vb1), _mm512_mul_ps(gi, vb1c));
    const __m512 vi =
        _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(v + i), vb2), _mm512_mul_ps(_mm512_mul_ps(gi, gi), vb2c));
    _mm512_storeu_ps(m + i, mi);
    _mm512_storeu_ps(v + i, vi);
    const __m512 den = _mm512_add_ps(_mm512_sqrt_ps(_mm512_mul_ps(vi, vc2)), veps);
    const __m512 step = _mm512_div_ps(_mm512_mul_ps(vlr, _mm512_mul_ps(mi, vc1)), den);
    _mm512_storeu_ps(p + i, _mm512_sub_ps(_mm512_loadu_ps(p + i), step));
  }
  AdamScalar(p, m, v, g, i, n, lr, b1, b2, eps, c1, c2);
}

__attribute__((target("avx2"))) void Adam256(float* __restrict p, float* __restrict m, float* __restrict v,
                                              const float* __restrict g, int64_t n, float lr, float b1, float b2,
                                              float eps, float c1, float c2) {
  const __m256 vb1 = _mm256_set1_ps(b1), vb1c = _mm256_set1_ps(1.f - b1), vb2 = _mm256_set1_ps(b2),
               vb2c = _mm256_set1_ps(1.f - b2), vlr = _mm256_set1_ps(lr), veps = _mm256_set1_ps(eps),
               vc1 = _mm256_set1_ps(c1), vc2 = _mm256_set1_ps(c2);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gi = _mm256_loadu_ps(g + i);
    const __m256 mi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m + i), vb1), _mm256_mul_ps(gi, vb1c));
    const __m256 vi =
        _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), vb2), _mm256_mul_ps(_mm256_mul_ps(gi, gi), vb2c));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    const __m256 den = _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(vi, vc2)), veps);
    const __m256 step = _mm256_div_ps(_mm256_mul_ps(vlr, _mm256_mul_ps(mi, vc1)), den);
    _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_loadu_ps(p + i), step));
  }
  AdamScalar(p, m, v, g, i, n, lr, b1, b2, eps, c1, c2);
}

// 2: AVX-512F, 1: AVX2, 0: neither (checked once).
int SimdLevel() {
  static const int level = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
  }();
  return level;
}

void AdamLoop(float* __restrict p, float* __restrict m, float* __restrict v, const float* __restrict g, int64_t n,
              float lr, float b1, float b2, float eps, float c1, float c2) {
  const int level = SimdLevel();
  if (level == 2)
    Adam512(p, m, v, g, n, lr, b1, b2, eps, c1, c2);
  else if (level == 1)
    Adam256(p, m, v, g, n, lr, b1, b2, eps, c1, c2);
  else
    AdamScalar(p, m, v, g, 0, n, lr, b1, b2, eps, c1, c2);
}

// adam(param, m, v, grad, lr, beta1, beta2, eps, step): tfjs/PyTorch Adam with bias correction.
Napi::Value Adam(const Napi::CallbackInfo& info) {
  FtzGuard ftz;
  Napi::Env env = info.Env();
  F32View p = F32(info, 0, "adam"), m = F32(info, 1, "adam"), v = F32(info, 2, "adam"), g = F32(info, 3, "adam");
  const double lr = Num(info, 4), b1 = Num(info, 5), b2 = Num(info, 6), eps = Num(info, 7), t = Num(info, 8);
  Need(env, "adam", "m", m.n, p.n);
  Need(env, "adam", "v", v.n, p.n);
  Need(env, "adam", "grad", g.n, p.n);
  AdamLoop(p.p, m.p, v.p, g.p, (int64_t)p.n, (float)lr, (float)b1, (float)b2, (float)eps,
           (float)(1.0 / (1.0 - std::pow(b1, t))), (float)(1.0 / (1.0 - std::pow(b2, t))));
  return env.Undefined();
}

// sparseAdam(param [R,d], m, v, rows [n] (unique), grad [n,d], d, lr, beta1, beta2, eps, step):
// lazy Adam, only the given rows' moments and values change (bias correction uses the global step).
Napi::Value SparseAdam(const Napi::CallbackInfo& info) {
  FtzGuard ftz;
  Napi::Env env = info.Env();
  const char* fn = "sparseAdam";
  F32View p = F32(info, 0, fn), m = F32(info, 1, fn), v = F32(info, 2, fn);
  I32View rows = I32(info, 3, fn);
  F32View g = F32(info, 4, fn);
  const int64_t d = Int(info, 5);
  const double lr = Num(info, 6), b1 = Num(info, 7), b2 = Num(info, 8), eps = Num(info, 9), t = Num(info, 10);
  Need(env, fn, "m", m.n, p.n);
  Need(env, fn, "v", v.n, p.n);
  Need(env, fn, "grad", g.n, rows.n * d);
  const int64_t R = d > 0 ? (int64_t)p.n / d : 0;
  for (size_t k = 0; k < rows.n; k++)
    if (rows.p[k] < 0 || rows.p[k] >= R)
      Fail(env, fn, "row " + std::to_string(rows.p[k]) + " is not in [0, " + std::to_string(R) + ")");
  const float c1 = (float)(1.0 / (1.0 - std::pow(b1, t))), c2 = (float)(1.0 / (1.0 - std::pow(b2, t)));
  const float fb1 = (float)b1, fb2 = (float)b2, flr = (float)lr, feps = (float)eps;
  for (size_t k = 0; k < rows.n; k++) {
    const int64_t off = (int64_t)rows.p[k] * d;
    const float* gr = g.p + k * d;
    for (int64_t j = 0; j < d; j++) {
      const float gi = gr[j];
      const float mi = m.p[off + j] * fb1 + gi * (1.f - fb1);
      const float vi = v.p[off + j] * fb2 + gi * gi * (1.f - fb2);
      m.p[off + j] = mi;
      v.p[off + j] = vi;
      p.p[off + j] -= flr * (mi * c1) / (std::sqrt(vi * c2) + feps);
    }
  }
  return env.Undefined();
}

// sparseAdagrad(param [R,d], accum [R,d], rows [n] (unique), grad [n,d], d, lr, eps):
// accum += g^2; param -= lr * g / (sqrt(accum) + eps), only on the given rows.
Napi::Value SparseAdagrad(const Napi::CallbackInfo& info) {
  FtzGuard ftz;
  Napi::Env env = info.Env();
  const char* fn = "sparseAdagrad";
  F32View p = F32(info, 0, fn), a = F32(info, 1, fn);
  I32View rows = I32(info, 2, fn);
  F32View g = F32(info, 3, fn);
  const int64_t d = Int(info, 4);
  const float lr = (float)Num(info, 5), eps = (float)Num(info, 6);
  Need(env, fn, "accum", a.n, p.n);
  Need(env, fn, "grad", g.n, rows.n * d);
  const int64_t R = d > 0 ? (int64_t)p.n / d : 0;
  for (size_t k = 0; k < rows.n; k++)
    if (rows.p[k] < 0 || rows.p[k] >= R)
      Fail(env, fn, "row " + std::to_string(rows.p[k]) + " is not in [0, " + std::to_string(R) + ")");
  for (size_t k = 0; k < rows.n; k++) {
    const int64_t off = (int64_t)rows.p[k] * d;
    const float* gr = g.p + k * d;
    for (int64_t j = 0; j < d; j++) {
      const float gi = gr[j];
      a.p[off + j] += gi * gi;
      p.p[off + j] -= lr * gi / (std::sqrt(a.p[off + j]) + eps);
    }
  }
  return env.Undefined();
}

// l2NormalizeFwd(x [R,D], R, D, y [R,D], t [R], r [R]) and l2NormalizeBwd(x, dy, t, r, R, D, dx):
// y = x · rsqrt(Σ x² + 1e-12) per row, fused, with the bits of the tfjs op chain it replaces
// (`mul(x, rsqrt(add(sum(square(x), 1, true), 1e-12)))` over this file's kernels) and of the gradient
// tfjs derives for that chain:
//   forward:  sq = x·x (the unary kernel: FTZ/DAZ), s = (float) Σ_j (double) sq_j (the reduce kernel,
//             in order), t = s + 1e-12f, r = 1 / sqrt(t) (unary, FTZ), y = x·r (binary, no FTZ)
//   backward: dr = (float) Σ_j (double)(dy·x) (Multiply's gradient for the broadcast factor, summed
//             by the reduce kernel), dt = −(dr / (fround(pow(t, 1.5)) · 2)) (Rsqrt's gradient; tfjs's
//             Pow is Math.pow rounded to float), dx = dy·r + dt·(x·2) (Multiply's gradient for x plus
//             Square's, each a binary kernel without FTZ; Sum's gradient multiplies by ones, exact).
// t and r are kept by the forward pass for the backward one.
constexpr float kL2Eps = 1e-12f;

Napi::Value L2NormalizeFwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "l2NormalizeFwd";
  F32View x = F32(info, 0, fn);
  const int64_t R = Int(info, 1), D = Int(info, 2);
  F32View y = F32(info, 3, fn), t = F32(info, 4, fn), r = F32(info, 5, fn);
  if (R < 0 || D < 0) Fail(env, fn, "negative shape");
  Need(env, fn, "x", x.n, R * D);
  Need(env, fn, "y", y.n, R * D);
  Need(env, fn, "t", t.n, R);
  Need(env, fn, "r", r.n, R);
  {
    FtzGuard ftz;  // the square as the unary kernel computes it; the double sum never meets a subnormal
    for (int64_t i = 0; i < R; i++) {
      const float* xr = x.p + i * D;
      double s = 0;
      for (int64_t j = 0; j < D; j++) {
        const float sq = xr[j] * xr[j];
        s += sq;
      }
      t.p[i] = (float)s;
    }
  }
  for (int64_t i = 0; i < R; i++) t.p[i] = t.p[i] + kL2Eps;  // binary add, no FTZ
  {
    FtzGuard ftz;
    for (int64_t i = 0; i < R; i++) r.p[i] = 1.f / std::sqrt(t.p[i]);
  }
  for (int64_t i = 0; i < R; i++) {
    const float* __restrict xr = x.p + i * D;
    float* __restrict yr = y.p + i * D;
    const float ri = r.p[i];
    for (int64_t j = 0; j < D; j++) yr[j] = xr[j] * ri;
  }
  return env.Undefined();
}

Napi::Value L2NormalizeBwd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "l2NormalizeBwd";
  F32View x = F32(info, 0, fn), dy = F32(info, 1, fn), t = F32(info, 2, fn), r = F32(info, 3, fn);
  const int64_t R = Int(info, 4), D = Int(info, 5);
  F32View dx = F32(info, 6, fn);
  if (R < 0 || D < 0) Fail(env, fn, "negative shape");
  Need(env, fn, "x", x.n, R * D);
  Need(env, fn, "dy", dy.n, R * D);
  Need(env, fn, "dx", dx.n, R * D);
  Need(env, fn, "t", t.n, R);
  Need(env, fn, "r", r.n, R);
  for (int64_t i = 0; i < R; i++) {
    const float* __restrict xr = x.p + i * D;
    const float* __restrict g = dy.p + i * D;
    float* __restrict o = dx.p + i * D;
    double s = 0;
    for (int64_t j = 0; j < D; j++) {
      const float p = g[j] * xr[j];
      s += p;
    }
    const float dr = (float)s;
    const float q = (float)std::pow((double)t.p[i], 1.5) * 2.f;
    const float dt = -(dr / q);
    const float ri = r.p[i];
    for (int64_t j = 0; j < D; j++) {
      const float direct = g[j] * ri;
      const float x2 = xr[j] * 2.f;
      const float viaNorm = dt * x2;
      o[j] = direct + viaNorm;
    }
  }
  return env.Undefined();
}

// The trainer's optimiser steps (packages/models Optimizer) in double precision, the same operations
// in the same order as its JavaScript loops, so the bits match them (no FTZ, no FMA at this file's
// -march; a test compares bit for bit). rows: Int32Array of unique rows of w [R, d] (grad [n, d]), or
// null: one block w[0 .. grad.length) (a dense parameter).
//   adamRowsF64(w, m, v, rows|null, grad, d, a, beta1, beta2, c2, eps, weightDecay)
//     g = grad + wd·w; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g·g; w −= a·m / (sqrt(v / c2) + eps)
//     (a = lr / (1 − β1^t), c2 = 1 − β2^t, computed by the caller)
//   adagradRowsF64(w, v, rows|null, grad, d, lr, eps, weightDecay)
//     g = grad + wd·w; v += g·g; w −= lr·g / (sqrt(v) + eps)
struct RowBlocks {
  const int32_t* rows = nullptr;
  size_t n = 0;  // blocks
  int64_t d = 0;  // values per block
};

RowBlocks Blocks(Napi::Env env, const char* fn, const Napi::CallbackInfo& info, size_t ri, size_t wLen,
                 size_t gLen, int64_t d) {
  if (info[ri].IsNull() || info[ri].IsUndefined()) {  // dense: one block of grad's length
    Need(env, fn, "w", wLen, gLen);
    return {nullptr, 1, (int64_t)gLen};
  }
  I32View rows = I32(info, ri, fn);
  if (d <= 0) Fail(env, fn, "dim must be positive, got " + std::to_string(d));
  Need(env, fn, "grad", gLen, rows.n * (size_t)d);
  const int64_t R = (int64_t)wLen / d;
  for (size_t k = 0; k < rows.n; k++)
    if (rows.p[k] < 0 || rows.p[k] >= R)
      Fail(env, fn, "row " + std::to_string(rows.p[k]) + " is not in [0, " + std::to_string(R) + ")");
  return {rows.p, rows.n, d};
}

struct AdamF64 {
  double a, b1, b2, c2, eps, wd, ob1, ob2;
};

void AdamF64Scalar(float* __restrict W, float* __restrict M, float* __restrict V, const float* __restrict G,
                   int64_t j, int64_t n, const AdamF64& c) {
  for (; j < n; j++) {
    const double wj = W[j];
    const double gj = (double)G[j] + c.wd * wj;
    const double mj = c.b1 * (double)M[j] + c.ob1 * gj;
    const double vj = c.b2 * (double)V[j] + c.ob2 * gj * gj;
    M[j] = (float)mj;
    V[j] = (float)vj;
    W[j] = (float)(wj - (c.a * mj) / (std::sqrt(vj / c.c2) + c.eps));
  }
}

// Four lanes of the scalar loop: the same IEEE double operations in the same order (no FMA: the
// target is avx2 alone, so nothing can be contracted), conversions round to nearest as the casts do.
__attribute__((target("avx2"))) void AdamF64Avx2(float* __restrict W, float* __restrict M, float* __restrict V,
                                                  const float* __restrict G, int64_t n, const AdamF64& c) {
  const __m256d a = _mm256_set1_pd(c.a), b1 = _mm256_set1_pd(c.b1), b2 = _mm256_set1_pd(c.b2),
                c2 = _mm256_set1_pd(c.c2), eps = _mm256_set1_pd(c.eps), wd = _mm256_set1_pd(c.wd),
                ob1 = _mm256_set1_pd(c.ob1), ob2 = _mm256_set1_pd(c.ob2);
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const __m256d wj = _mm256_cvtps_pd(_mm_loadu_ps(W + j));
    const __m256d gj = _mm256_add_pd(_mm256_cvtps_pd(_mm_loadu_ps(G + j)), _mm256_mul_pd(wd, wj));
    const __m256d mj = _mm256_add_pd(_mm256_mul_pd(b1, _mm256_cvtps_pd(_mm_loadu_ps(M + j))), _mm256_mul_pd(ob1, gj));
    const __m256d vj = _mm256_add_pd(_mm256_mul_pd(b2, _mm256_cvtps_pd(_mm_loadu_ps(V + j))),
                                     _mm256_mul_pd(_mm256_mul_pd(ob2, gj), gj));
    _mm_storeu_ps(M + j, _mm256_cvtpd_ps(mj));
    _mm_storeu_ps(V + j, _mm256_cvtpd_ps(vj));
    const __m256d den = _mm256_add_pd(_mm256_sqrt_pd(_mm256_div_pd(vj, c2)), eps);
    _mm_storeu_ps(W + j, _mm256_cvtpd_ps(_mm256_sub_pd(wj, _mm256_div_pd(_mm256_mul_pd(a, mj), den))));
  }
  AdamF64Scalar(W, M, V, G, j, n, c);
}

// The argument checks and the loop over row blocks of adamRowsF64 / adamRowsF32 (C: the constants).
template <class C>
Napi::Value AdamRowsWith(const Napi::CallbackInfo& info, const char* fn, const C& c,
                         void (*avx2)(float*, float*, float*, const float*, int64_t, const C&),
                         void (*scalar)(float*, float*, float*, const float*, int64_t, int64_t, const C&)) {
  Napi::Env env = info.Env();
  F32View w = F32(info, 0, fn), m = F32(info, 1, fn), v = F32(info, 2, fn), g = F32(info, 4, fn);
  Need(env, fn, "m", m.n, w.n);
  Need(env, fn, "v", v.n, w.n);
  const RowBlocks b = Blocks(env, fn, info, 3, w.n, g.n, Int(info, 5));
  const bool vec = SimdLevel() >= 1;
  for (size_t k = 0; k < b.n; k++) {
    const int64_t off = b.rows ? (int64_t)b.rows[k] * b.d : 0;
    const float* G = g.p + (int64_t)k * b.d;
    if (vec)
      avx2(w.p + off, m.p + off, v.p + off, G, b.d, c);
    else
      scalar(w.p + off, m.p + off, v.p + off, G, 0, b.d, c);
  }
  return env.Undefined();
}

Napi::Value AdamRowsF64(const Napi::CallbackInfo& info) {
  AdamF64 c{Num(info, 6), Num(info, 7), Num(info, 8), Num(info, 9), Num(info, 10), Num(info, 11), 0, 0};
  c.ob1 = 1 - c.b1;
  c.ob2 = 1 - c.b2;
  return AdamRowsWith<AdamF64>(info, "adamRowsF64", c, AdamF64Avx2, AdamF64Scalar);
}

// adamRowsF32(w, m, v, rows|null, grad, d, a, beta1, beta2, c2, eps, weightDecay): the same Adam step
// in single precision, as PyTorch's Adam computes it (√v / √(1 − β2^t) + ε as the denominator):
//   g = grad + wd·w; m = β1·m + (1−β1)·g; v = β2·v + ((1−β2)·g)·g; w −= (a·m) / (√v · s + ε)
// with every constant rounded to float and s = (float) 1/√c2. Each operation is one IEEE float
// operation (eight lanes, no FMA: nothing is contracted), so the bits equal the Math.fround loop of
// the models' Optimizer; 5–7× faster than adamRowsF64 on rows in cache, ~1.3× when memory-bound.
struct AdamF32 {
  float a, b1, b2, s, eps, wd, ob1, ob2;
};

void AdamF32Scalar(float* __restrict W, float* __restrict M, float* __restrict V, const float* __restrict G,
                   int64_t j, int64_t n, const AdamF32& c) {
  for (; j < n; j++) {
    const float wj = W[j];
    const float gj = G[j] + c.wd * wj;
    const float mj = c.b1 * M[j] + c.ob1 * gj;
    const float vj = c.b2 * V[j] + (c.ob2 * gj) * gj;
    M[j] = mj;
    V[j] = vj;
    W[j] = wj - (c.a * mj) / (std::sqrt(vj) * c.s + c.eps);
  }
}

__attribute__((target("avx2"))) void AdamF32Avx2(float* __restrict W, float* __restrict M, float* __restrict V,
                                                  const float* __restrict G, int64_t n, const AdamF32& c) {
  const __m256 a = _mm256_set1_ps(c.a), b1 = _mm256_set1_ps(c.b1), b2 = _mm256_set1_ps(c.b2),
               sc = _mm256_set1_ps(c.s), eps = _mm256_set1_ps(c.eps), wd = _mm256_set1_ps(c.wd),
               ob1 = _mm256_set1_ps(c.ob1), ob2 = _mm256_set1_ps(c.ob2);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 wj = _mm256_loadu_ps(W + j);
    const __m256 gj = _mm256_add_ps(_mm256_loadu_ps(G + j), _mm256_mul_ps(wd, wj));
    const __m256 mj = _mm256_add_ps(_mm256_mul_ps(b1, _mm256_loadu_ps(M + j)), _mm256_mul_ps(ob1, gj));
    const __m256 vj = _mm256_add_ps(_mm256_mul_ps(b2, _mm256_loadu_ps(V + j)), _mm256_mul_ps(_mm256_mul_ps(ob2, gj), gj));
    _mm256_storeu_ps(M + j, mj);
    _mm256_storeu_ps(V + j, vj);
    const __m256 den = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vj), sc), eps);
    _mm256_storeu_ps(W + j, _mm256_sub_ps(wj, _mm256_div_ps(_mm256_mul_ps(a, mj), den)));
  }
  AdamF32Scalar(W, M, V, G, j, n, c);
}

Napi::Value AdamRowsF32(const Napi::CallbackInfo& info) {
  const AdamF32 c{(float)Num(info, 6),           (float)Num(info, 7),
                  (float)Num(info, 8),           (float)(1.0 / std::sqrt(Num(info, 9))),
                  (float)Num(info, 10),          (float)Num(info, 11),
                  (float)(1 - Num(info, 7)),     (float)(1 - Num(info, 8))};
  return AdamRowsWith<AdamF32>(info, "adamRowsF32", c, AdamF32Avx2, AdamF32Scalar);
}

Napi::Value AdagradRowsF64(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "adagradRowsF64";
  F32View w = F32(info, 0, fn), v = F32(info, 1, fn), g = F32(info, 3, fn);
  Need(env, fn, "v", v.n, w.n);
  const RowBlocks b = Blocks(env, fn, info, 2, w.n, g.n, Int(info, 4));
  const double lr = Num(info, 5), eps = Num(info, 6), wd = Num(info, 7);
  for (size_t k = 0; k < b.n; k++) {
    const int64_t off = b.rows ? (int64_t)b.rows[k] * b.d : 0;
    float* __restrict W = w.p + off;
    float* __restrict V = v.p + off;
    const float* __restrict G = g.p + (int64_t)k * b.d;
    for (int64_t j = 0; j < b.d; j++) {
      const double wj = W[j];
      const double gj = (double)G[j] + wd * wj;
      const double vj = (double)V[j] + gj * gj;
      V[j] = (float)vj;
      W[j] = (float)(wj - (lr * gj) / (std::sqrt(vj) + eps));
    }
  }
  return env.Undefined();
}

// tuneAllocator(mmapThreshold, trimThreshold) -> [mmap accepted, trim accepted]: glibc's mallopt
// M_MMAP_THRESHOLD / M_TRIM_THRESHOLD (setupNativeBackend in backend.ts says why). false where the C
// library is not glibc or refuses the value.
Napi::Value TuneAllocator(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto out = Napi::Array::New(env, 2);
#ifdef __GLIBC__
  const int64_t mm = Int(info, 0), trim = Int(info, 1);
  // the trim threshold only after the mmap one: setting either turns glibc's dynamic thresholds off,
  // and a trim threshold alone would leave every large block to mmap (a fresh zeroed mapping each time)
  const bool a = mm > 0 && mm <= INT32_MAX && mallopt(M_MMAP_THRESHOLD, (int)mm) == 1;
  const bool b = a && trim > 0 && trim <= INT32_MAX && mallopt(M_TRIM_THRESHOLD, (int)trim) == 1;
  out.Set(0u, Napi::Boolean::New(env, a));
  out.Set(1u, Napi::Boolean::New(env, b));
#else
  out.Set(0u, Napi::Boolean::New(env, false));
  out.Set(1u, Napi::Boolean::New(env, false));
#endif
  return out;
}

}  // namespace

void InitKernels(Napi::Env env, Napi::Object exports) {
  exports.Set("gather", Napi::Function::New(env, Gather, "gather"));
  exports.Set("segmentSum", Napi::Function::New(env, SegmentSum, "segmentSum"));
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("transpose2d", Napi::Function::New(env, Transpose2d, "transpose2d"));
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  exports.Set("reduce", Napi::Function::New(env, Reduce, "reduce"));
  exports.Set("inBatchSoftmaxCE", Napi::Function::New(env, InBatchSoftmaxCE, "inBatchSoftmaxCE"));
  exports.Set("reluGrad", Napi::Function::New(env, ReluGrad, "reluGrad"));
  exports.Set("layerNormFwd", Napi::Function::New(env, LayerNormFwd, "layerNormFwd"));
  exports.Set("layerNormBwd", Napi::Function::New(env, LayerNormBwd, "layerNormBwd"));
  exports.Set("l2NormalizeFwd", Napi::Function::New(env, L2NormalizeFwd, "l2NormalizeFwd"));
  exports.Set("l2NormalizeBwd", Napi::Function::New(env, L2NormalizeBwd, "l2NormalizeBwd"));
  exports.Set("adam", Napi::Function::New(env, Adam, "adam"));
  exports.Set("sparseAdam", Napi::Function::New(env, SparseAdam, "sparseAdam"));
  exports.Set("sparseAdagrad", Napi::Function::New(env, SparseAdagrad, "sparseAdagrad"));
  exports.Set("adamRowsF64", Napi::Function::New(env, AdamRowsF64, "adamRowsF64"));
  exports.Set("adamRowsF32", Napi::Function::New(env, AdamRowsF32, "adamRowsF32"));
  exports.Set("adagradRowsF64", Napi::Function::New(env, AdagradRowsF64, "adagradRowsF64"));
  exports.Set("tuneAllocator", Napi::Function::New(env, TuneAllocator, "tuneAllocator"));
}
}  // namespace embrec
