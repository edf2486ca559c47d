#include "common.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  embrec::InitBlas(env, exports);
  embrec::InitKernels(env, exports);
  embrec::InitOps(env, exports);
  embrec::InitFaiss(env, exports);
  embrec::InitItem2Vec(env, exports);
  embrec::InitTsne(env, exports);
  return exports;
}

NODE_API_MODULE(embrec_native, Init)
