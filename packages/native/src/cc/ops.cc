#include "common.h"

namespace embrec {
void InitOps(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}
}  // namespace embrec
