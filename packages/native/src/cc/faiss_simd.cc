// SIMD distance kernels for FAISS. Debian's libfaiss.a (1.7.3) is built for baseline x86-64, where
// FAISS compiles fvec_inner_product / fvec_L2sqr as plain scalar loops (its SSE path needs SSE3),
// which made HNSW and IVF scans 2-4x slower than the same FAISS version from pip. The linker's
// --wrap (see binding.gyp) sends FAISS's own calls to the __wrap_* functions below, which use
// AVX2+FMA when the CPU has them (checked once at run time) and SSE otherwise.
#include <immintrin.h>

#include <cstddef>

namespace {

using IpFn = float (*)(const float*, const float*, size_t);

__attribute__((target("avx2,fma"))) inline float Hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) float IpAvx2(const float* x, const float* y, size_t d) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
  }
  if (i + 8 <= d) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
    i += 8;
  }
  float s = Hsum256(_mm256_add_ps(a0, a1));
  for (; i < d; i++) s += x[i] * y[i];
  return s;
}

__attribute__((target("avx2,fma"))) float L2Avx2(const float* x, const float* y, size_t d) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    __m256 u = _mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i));
    __m256 v = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8));
    a0 = _mm256_fmadd_ps(u, u, a0);
    a1 = _mm256_fmadd_ps(v, v, a1);
  }
  if (i + 8 <= d) {
    __m256 u = _mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i));
    a0 = _mm256_fmadd_ps(u, u, a0);
    i += 8;
  }
  float s = Hsum256(_mm256_add_ps(a0, a1));
  for (; i < d; i++) {
    float t = x[i] - y[i];
    s += t * t;
  }
  return s;
}

inline float Hsum128(__m128 s) {
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

float IpSse(const float* x, const float* y, size_t d) {
  __m128 a = _mm_setzero_ps();
  size_t i = 0;
  for (; i + 4 <= d; i += 4) a = _mm_add_ps(a, _mm_mul_ps(_mm_loadu_ps(x + i), _mm_loadu_ps(y + i)));
  float s = Hsum128(a);
  for (; i < d; i++) s += x[i] * y[i];
  return s;
}

float L2Sse(const float* x, const float* y, size_t d) {
  __m128 a = _mm_setzero_ps();
  size_t i = 0;
  for (; i + 4 <= d; i += 4) {
    __m128 u = _mm_sub_ps(_mm_loadu_ps(x + i), _mm_loadu_ps(y + i));
    a = _mm_add_ps(a, _mm_mul_ps(u, u));
  }
  float s = Hsum128(a);
  for (; i < d; i++) {
    float t = x[i] - y[i];
    s += t * t;
  }
  return s;
}

bool HasAvx2() {
  __builtin_cpu_init();  // this runs from a static initialiser, possibly before libgcc's
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}
const IpFn kIp = HasAvx2() ? IpAvx2 : IpSse;
const IpFn kL2 = HasAvx2() ? L2Avx2 : L2Sse;

}  // namespace

// Mangled names of faiss::fvec_* (utils/distances.h, FAISS 1.7.3), prefixed with __wrap_.
extern "C" {
float __wrap__ZN5faiss18fvec_inner_productEPKfS1_m(const float* x, const float* y, size_t d) { return kIp(x, y, d); }
float __wrap__ZN5faiss10fvec_L2sqrEPKfS1_m(const float* x, const float* y, size_t d) { return kL2(x, y, d); }
float __wrap__ZN5faiss15fvec_norm_L2sqrEPKfm(const float* x, size_t d) { return kIp(x, x, d); }
void __wrap__ZN5faiss22fvec_inner_products_nyEPfPKfS2_mm(float* ip, const float* x, const float* y, size_t d,
                                                          size_t ny) {
  for (size_t i = 0; i < ny; i++) ip[i] = kIp(x, y + i * d, d);
}
void __wrap__ZN5faiss13fvec_L2sqr_nyEPfPKfS2_mm(float* dis, const float* x, const float* y, size_t d, size_t ny) {
  for (size_t i = 0; i < ny; i++) dis[i] = kL2(x, y + i * d, d);
}
}
