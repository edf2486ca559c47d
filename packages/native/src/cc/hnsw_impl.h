// The hnsw* functions, compiled once per instruction set: included by hnsw.cc (AVX2+FMA) and
// hnsw_avx512.cc (AVX-512), each after its own `#pragma GCC target`, with hnswlib's namespace
// renamed (HNSW_LIB) and ours (HNSW_IMPL_NS) so the two copies never meet at link time.
// Not a .cc file: binding.gyp compiles src/cc/*.cc only.
#define hnswlib HNSW_LIB
#include "hnswlib/hnswlib.h"
#ifndef USE_AVX
#error "hnswlib's AVX distance functions are off"
#endif

namespace embrec {
namespace HNSW_IMPL_NS {
namespace {

struct Hnsw {
  std::unique_ptr<hnswlib::SpaceInterface<float>> space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index;
  int64_t dim = 0;
};

std::unique_ptr<hnswlib::SpaceInterface<float>> MakeSpace(Napi::Env env, const std::string& s, int64_t dim) {
  if (s == "ip") return std::make_unique<hnswlib::InnerProductSpace>(static_cast<size_t>(dim));
  if (s == "l2") return std::make_unique<hnswlib::L2Space>(static_cast<size_t>(dim));
  ops::Throw(env, "space: expected \"ip\" or \"l2\", got \"" + s + "\"");
  return nullptr;
}

Hnsw* Get(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) ops::Throw(info.Env(), "hnsw: expected an index handle");
  return info[0].As<Napi::External<Hnsw>>().Data();
}

Napi::Value Wrap(Napi::Env env, Hnsw* h) {
  return Napi::External<Hnsw>::New(env, h, [](Napi::Env, Hnsw* p) { delete p; });
}

// hnswCreate(space, dim, maxElements, M, efConstruction, seed)
Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string s = info[0].As<Napi::String>().Utf8Value();
  int64_t dim = ops::IntArg(info, 1, "dim"), maxEl = ops::IntArg(info, 2, "maxElements");
  int64_t M = ops::IntArg(info, 3, "M"), efc = ops::IntArg(info, 4, "efConstruction");
  int64_t seed = ops::IntArg(info, 5, "seed");
  if (dim < 1) ops::Throw(env, "dim: expected ≥ 1, got " + std::to_string(dim));
  if (M < 2) ops::Throw(env, "M: expected ≥ 2, got " + std::to_string(M));
  auto h = std::make_unique<Hnsw>();
  h->space = MakeSpace(env, s, dim);
  h->dim = dim;
  try {
    h->index = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        h->space.get(), static_cast<size_t>(std::max<int64_t>(maxEl, 1)), static_cast<size_t>(M),
        static_cast<size_t>(efc), static_cast<size_t>(seed));
  } catch (const std::exception& e) {
    ops::Throw(env, std::string("hnsw: ") + e.what());
  }
  return Wrap(env, h.release());
}

// hnswAdd(h, vectors, n, threads): labels 0..n-1 after the current count.
Napi::Value Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Hnsw* h = Get(info);
  Napi::Float32Array v = ops::F32Arg(info, 1, "vectors");
  int64_t n = ops::IntArg(info, 2, "n");
  int threads = ops::ThreadsArg(info, 3);
  ops::CheckLen(env, "vectors", v.ElementLength(), static_cast<size_t>(n * h->dim), "n * dim");
  const float* X = v.Data();
  int64_t base = static_cast<int64_t>(h->index->getCurrentElementCount());
  if (base + n > static_cast<int64_t>(h->index->getMaxElements()))
    ops::Throw(env, "hnsw: " + std::to_string(base + n) + " elements exceed maxElements " +
                        std::to_string(h->index->getMaxElements()));
  try {
    int64_t first = 0;
    if (base == 0 && n > 0) {  // the entry point first, as hnswlib's Python add_items does
      h->index->addPoint(X, 0);
      first = 1;
    }
    // Interleaved, each thread taking the next item (as Python hnswlib's add_items does): the graph is
    // built in close to input order, not as t contiguous ranges growing at once.
    std::atomic<int64_t> next{first};
    int t = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n - first)));
    ops::ParallelFor(t, t, 1, [&](int64_t, int64_t) {
      for (int64_t i = next.fetch_add(1); i < n; i = next.fetch_add(1))
        h->index->addPoint(X + i * h->dim, static_cast<size_t>(base + i));
    });
  } catch (const std::exception& e) {
    ops::Throw(env, std::string("hnsw: ") + e.what());
  }
  return env.Undefined();
}

// hnswSearch(h, queries, nq, k, ef, threads) -> { ids: Int32Array, distances: Float32Array }, nearest first
Napi::Value Search(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Hnsw* h = Get(info);
  Napi::Float32Array q = ops::F32Arg(info, 1, "queries");
  int64_t nq = ops::IntArg(info, 2, "nq"), k = ops::IntArg(info, 3, "k"), ef = ops::IntArg(info, 4, "ef");
  int threads = ops::ThreadsArg(info, 5);
  ops::CheckLen(env, "queries", q.ElementLength(), static_cast<size_t>(nq * h->dim), "nq * dim");
  auto ids = Napi::Int32Array::New(env, static_cast<size_t>(nq * k));
  auto dist = Napi::Float32Array::New(env, static_cast<size_t>(nq * k));
  int32_t* I = ids.Data();
  float* D = dist.Data();
  std::fill(I, I + nq * k, -1);
  std::fill(D, D + nq * k, std::numeric_limits<float>::infinity());
  h->index->setEf(static_cast<size_t>(std::max(ef, k)));
  const float* Q = q.Data();
  try {
    ops::ParallelFor(nq, threads, 8, [&](int64_t a, int64_t b) {
      for (int64_t r = a; r < b; r++) {
        auto knn = h->index->searchKnn(Q + r * h->dim, static_cast<size_t>(k));
        for (int64_t j = static_cast<int64_t>(knn.size()) - 1; j >= 0; j--) {
          I[r * k + j] = static_cast<int32_t>(knn.top().second);
          D[r * k + j] = knn.top().first;
          knn.pop();
        }
      }
    });
  } catch (const std::exception& e) {
    ops::Throw(env, std::string("hnsw: ") + e.what());
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("ids", ids);
  o.Set("distances", dist);
  return o;
}

Napi::Value Save(const Napi::CallbackInfo& info) {
  Hnsw* h = Get(info);
  try {
    h->index->saveIndex(info[1].As<Napi::String>().Utf8Value());
  } catch (const std::exception& e) {
    ops::Throw(info.Env(), std::string("hnsw: ") + e.what());
  }
  return info.Env().Undefined();
}

// hnswLoad(space, dim, path)
Napi::Value Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string s = info[0].As<Napi::String>().Utf8Value();
  int64_t dim = ops::IntArg(info, 1, "dim");
  auto h = std::make_unique<Hnsw>();
  h->space = MakeSpace(env, s, dim);
  h->dim = dim;
  try {
    h->index = std::make_unique<hnswlib::HierarchicalNSW<float>>(h->space.get(), info[2].As<Napi::String>().Utf8Value());
  } catch (const std::exception& e) {
    ops::Throw(env, std::string("hnsw: ") + e.what());
  }
  return Wrap(env, h.release());
}

Napi::Value Count(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(Get(info)->index->getCurrentElementCount()));
}

}  // namespace

void Register(Napi::Env env, Napi::Object exports) {
  exports.Set("hnswCreate", Napi::Function::New(env, Create, "hnswCreate"));
  exports.Set("hnswAdd", Napi::Function::New(env, Add, "hnswAdd"));
  exports.Set("hnswSearch", Napi::Function::New(env, Search, "hnswSearch"));
  exports.Set("hnswSave", Napi::Function::New(env, Save, "hnswSave"));
  exports.Set("hnswLoad", Napi::Function::New(env, Load, "hnswLoad"));
  exports.Set("hnswCount", Napi::Function::New(env, Count, "hnswCount"));
}

}  // namespace HNSW_IMPL_NS
}  // namespace embrec
