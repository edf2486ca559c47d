/* The C peer of bench/native-gemm.ts: OpenBLAS cblas_sgemm called directly from C, same shapes,
 * same repetitions, one BLAS thread (OPENBLAS_NUM_THREADS=1 set by the caller).
 * Build: cc -O2 -o gemm gemm.c -lopenblas.  Run: ./gemm M K N reps  -> prints best and mean ms. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: gemm M K N reps\n");
    return 2;
  }
  const int M = atoi(argv[1]), K = atoi(argv[2]), N = atoi(argv[3]), reps = atoi(argv[4]);
  float* A = malloc(sizeof(float) * (size_t)M * K);
  float* B = malloc(sizeof(float) * (size_t)K * N);
  float* C = malloc(sizeof(float) * (size_t)M * N);
  srand(1);
  for (size_t i = 0; i < (size_t)M * K; i++) A[i] = (float)rand() / RAND_MAX - 0.5f;
  for (size_t i = 0; i < (size_t)K * N; i++) B[i] = (float)rand() / RAND_MAX - 0.5f;
  /* warm-up */
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.f, A, K, B, N, 0.f, C, N);
  double best = 1e30, total = 0;
  for (int r = 0; r < reps; r++) {
    const double t0 = now_ms();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.f, A, K, B, N, 0.f, C, N);
    const double dt = now_ms() - t0;
    total += dt;
    if (dt < best) best = dt;
  }
  printf("best_ms=%.4f mean_ms=%.4f check=%.4f\n", best, total / reps, C[0] + C[(size_t)M * N - 1]);
  free(A);
  free(B);
  free(C);
  return 0;
}
