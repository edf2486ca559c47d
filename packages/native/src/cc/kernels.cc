#include "common.h"

namespace embrec {
void InitKernels(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}
}  // namespace embrec
