#include "common.h"

namespace embrec {
void InitFaiss(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}
}  // namespace embrec
