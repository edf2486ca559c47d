#include "ops_util.h"

namespace embrec {
namespace ops {
void InitLinalg(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}
}  // namespace ops
}  // namespace embrec
