// Extra ops for evaluation, retrieval and models: top-K (ops_topk.cc), dense symmetric inverse and
// Gram matrices (ops_linalg.cc), CSR products and row normalisation (ops_sparse.cc).
#include "common.h"
#include "ops_util.h"

namespace embrec {
void InitOps(Napi::Env env, Napi::Object exports) {
  ops::InitTopk(env, exports);
  ops::InitLinalg(env, exports);
  ops::InitSparse(env, exports);
}
}  // namespace embrec
