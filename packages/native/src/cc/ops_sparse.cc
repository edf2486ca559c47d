#include "ops_util.h"

namespace embrec {
namespace ops {
void InitSparse(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}
}  // namespace ops
}  // namespace embrec
