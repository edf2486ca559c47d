#include "common.h"

namespace embrec {
void InitBlas(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}
}  // namespace embrec
