// FAISS binding: one ObjectWrap class around a faiss::Index built by index_factory or read back
// from a file or a Buffer. Arguments are checked here before FAISS sees them (FAISS trusts its
// callers: a wrong length or an out-of-range key reads out of bounds), and every FAISS or C++
// exception becomes a JS Error. Calls are synchronous; OpenMP threads are set with setOmpThreads.
#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/IndexRefine.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <functional>
#include <limits>
#include <memory>
#include <string>

#include "common.h"
#include "ops_util.h"

namespace embrec {
namespace {

// FAISS 1.7.3 (Debian) declares the label type inside Index; later versions at namespace level
#if FAISS_VERSION_MAJOR == 1 && FAISS_VERSION_MINOR < 8
using idx_t = faiss::Index::idx_t;
#else
using idx_t = faiss::idx_t;
#endif
using ops::Present;
using ops::Throw;

// Runs fn, turning FAISS and C++ exceptions into JS errors (JS errors pass through unchanged).
template <typename F>
auto Guard(Napi::Env env, const char* what, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const faiss::FaissException& e) {
    throw Napi::Error::New(env, std::string("faiss ") + what + ": " + e.msg);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("faiss ") + what + ": " + e.what());
  }
}

// The components of a (possibly wrapped) index whose search parameters can be set.
struct Parts {
  faiss::IndexIVF* ivf = nullptr;
  faiss::IndexHNSW* hnsw = nullptr;
  faiss::IndexRefine* refine = nullptr;
  faiss::IndexIDMap* idmap = nullptr;
  faiss::IndexPreTransform* pre = nullptr;
  faiss::Index* core = nullptr;  // the innermost index
};

Parts Decompose(faiss::Index* idx) {
  Parts p;
  while (idx) {
    if (auto* a = dynamic_cast<faiss::IndexPreTransform*>(idx)) {
      if (!p.pre) p.pre = a;
      idx = a->index;
    } else if (auto* b = dynamic_cast<faiss::IndexIDMap*>(idx)) {
      if (!p.idmap) p.idmap = b;
      idx = b->index;
    } else if (auto* c = dynamic_cast<faiss::IndexRefine*>(idx)) {
      if (!p.refine) p.refine = c;
      idx = c->base_index;
    } else {
      break;
    }
  }
  p.core = idx;
  p.ivf = dynamic_cast<faiss::IndexIVF*>(idx);
  p.hnsw = dynamic_cast<faiss::IndexHNSW*>(idx);
  return p;
}

// True when o[key] is present and not undefined/null.
bool Present2(const Napi::Object& o, const char* key) {
  if (!o.Has(key)) return false;
  Napi::Value v = o.Get(key);
  return !v.IsUndefined() && !v.IsNull();
}

// FAISS 1.7.3's IndexIDMap rejects search parameters: search its inner index with a selector
// that maps the inner sequential ids to the external ids (what later FAISS versions do).
struct TranslatedSelector : faiss::IDSelector {
  const std::vector<idx_t>& idMap;
  const faiss::IDSelector* sel;
  TranslatedSelector(const std::vector<idx_t>& m, const faiss::IDSelector* s) : idMap(m), sel(s) {}
  bool is_member(idx_t id) const override {
    return id >= 0 && static_cast<size_t>(id) < idMap.size() && sel->is_member(idMap[id]);
  }
};

// Holds a selector built from {ids | bitmap | range, invert}.
struct Selector {
  std::vector<idx_t> ids;
  std::unique_ptr<faiss::IDSelector> base;
  std::unique_ptr<faiss::IDSelector> inverted;
  faiss::IDSelector* get() const { return inverted ? inverted.get() : base.get(); }
};

std::unique_ptr<Selector> ReadSelector(Napi::Env env, Napi::Value v, bool asArray = false) {
  if (v.IsUndefined() || v.IsNull()) return nullptr;
  if (!v.IsObject()) Throw(env, "selector: expected an object {ids} | {bitmap} | {range}");
  Napi::Object o = v.As<Napi::Object>();
  auto s = std::make_unique<Selector>();
  int given = 0;
  if (Present2(o, "ids")) {
    given++;
    Napi::Value ids = o.Get("ids");
    if (!ids.IsTypedArray()) Throw(env, "selector.ids: expected a BigInt64Array or Int32Array");
    auto ta = ids.As<Napi::TypedArray>();
    if (ta.TypedArrayType() == napi_bigint64_array) {
      auto a = ids.As<Napi::BigInt64Array>();
      s->ids.assign(a.Data(), a.Data() + a.ElementLength());
    } else if (ta.TypedArrayType() == napi_int32_array) {
      auto a = ids.As<Napi::Int32Array>();
      s->ids.assign(a.Data(), a.Data() + a.ElementLength());
    } else {
      Throw(env, "selector.ids: expected a BigInt64Array or Int32Array");
    }
    if (asArray)  // what an IVF hashtable direct map requires for remove_ids
      s->base = std::make_unique<faiss::IDSelectorArray>(s->ids.size(), s->ids.data());
    else
      s->base = std::make_unique<faiss::IDSelectorBatch>(s->ids.size(), s->ids.data());
  }
  if (Present2(o, "bitmap")) {
    given++;
    Napi::Value b = o.Get("bitmap");
    if (!b.IsTypedArray() || b.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      Throw(env, "selector.bitmap: expected a Uint8Array (bit i of byte i>>3 selects id i)");
    auto a = b.As<Napi::Uint8Array>();
    s->base = std::make_unique<faiss::IDSelectorBitmap>(a.ElementLength(), a.Data());
  }
  if (Present2(o, "range")) {
    given++;
    Napi::Value r = o.Get("range");
    if (!r.IsArray() || r.As<Napi::Array>().Length() != 2 || !r.As<Napi::Array>().Get(0u).IsNumber() ||
        !r.As<Napi::Array>().Get(1u).IsNumber())
      Throw(env, "selector.range: expected [min, max) as two numbers");
    auto a = r.As<Napi::Array>();
    s->base = std::make_unique<faiss::IDSelectorRange>(a.Get(0u).As<Napi::Number>().Int64Value(),
                                                       a.Get(1u).As<Napi::Number>().Int64Value());
  }
  if (given != 1) Throw(env, "selector: give exactly one of ids, bitmap, range");
  if (o.Has("invert") && o.Get("invert").ToBoolean().Value())
    s->inverted = std::make_unique<faiss::IDSelectorNot>(s->base.get());
  return s;
}

class FaissIndex : public Napi::ObjectWrap<FaissIndex> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FaissIndex",
                       {
                           StaticMethod("factory", &FaissIndex::Factory),
                           StaticMethod("readFile", &FaissIndex::ReadFile),
                           StaticMethod("fromBuffer", &FaissIndex::FromBuffer),
                           InstanceMethod("train", &FaissIndex::Train),
                           InstanceMethod("add", &FaissIndex::Add),
                           InstanceMethod("addWithIds", &FaissIndex::AddWithIds),
                           InstanceMethod("search", &FaissIndex::Search),
                           InstanceMethod("setParams", &FaissIndex::SetParams),
                           InstanceMethod("removeIds", &FaissIndex::RemoveIds),
                           InstanceMethod("reconstruct", &FaissIndex::Reconstruct),
                           InstanceMethod("reset", &FaissIndex::Reset),
                           InstanceMethod("writeFile", &FaissIndex::WriteFile),
                           InstanceMethod("toBuffer", &FaissIndex::ToBuffer),
                           InstanceMethod("dispose", &FaissIndex::Dispose),
                           InstanceAccessor("ntotal", &FaissIndex::Ntotal, nullptr),
                           InstanceAccessor("d", &FaissIndex::D, nullptr),
                           InstanceAccessor("isTrained", &FaissIndex::IsTrained, nullptr),
                           InstanceAccessor("metric", &FaissIndex::Metric, nullptr),
                           InstanceAccessor("kind", &FaissIndex::Kind, nullptr),
                           InstanceAccessor("disposed", &FaissIndex::Disposed, nullptr),
                       });
  }

  // Only the static constructors create instances: they pass the index as an External.
  explicit FaissIndex(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FaissIndex>(info) {
    if (info.Length() != 1 || !info[0].IsExternal())
      throw Napi::TypeError::New(info.Env(), "use FaissIndex.factory(d, description, metric), readFile or fromBuffer");
    index_.reset(info[0].As<Napi::External<faiss::Index>>().Data());
  }

 private:
  std::unique_ptr<faiss::Index> index_;

  static Napi::Value Wrap(const Napi::CallbackInfo& info, faiss::Index* idx) {
    std::unique_ptr<faiss::Index> own(idx);
    if (!info.This().IsFunction()) throw Napi::TypeError::New(info.Env(), "call as FaissIndex.<method>(...)");
    Napi::Value ext = Napi::External<faiss::Index>::New(info.Env(), own.get());
    Napi::Object obj = info.This().As<Napi::Function>().New({ext});
    own.release();  // now owned by the wrapper
    return obj;
  }

  faiss::Index* Live(Napi::Env env) {
    if (!index_) throw Napi::Error::New(env, "faiss: the index was disposed");
    return index_.get();
  }

  // Rows in x: length must be a whole number of d-vectors.
  static int64_t Rows(Napi::Env env, const char* name, const Napi::Float32Array& x, int64_t d) {
    if (x.ElementLength() % static_cast<size_t>(d) != 0)
      Throw(env, std::string(name) + ": length " + std::to_string(x.ElementLength()) + " is not a multiple of d = " +
                     std::to_string(d));
    return static_cast<int64_t>(x.ElementLength()) / d;
  }

  // factory(d, description, metric: 'ip' | 'l2')
  static Napi::Value Factory(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int64_t d = ops::IntArg(info, 0, "d");
    if (d < 1 || d > 1 << 20) Throw(env, "d: expected 1..1048576, got " + std::to_string(d));
    if (info.Length() < 2 || !info[1].IsString()) Throw(env, "description: expected a string like \"IVF256,Flat\"");
    std::string desc = info[1].As<Napi::String>().Utf8Value();
    std::string metric = Present(info, 2) && info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
    faiss::MetricType m;
    if (metric == "ip")
      m = faiss::METRIC_INNER_PRODUCT;
    else if (metric == "l2")
      m = faiss::METRIC_L2;
    else
      Throw(env, "metric: expected 'ip' or 'l2', got '" + metric + "'");
    faiss::Index* idx = Guard(env, "index_factory", [&] {
      return faiss::index_factory(static_cast<int>(d), desc.c_str(), m);
    });
    return Wrap(info, idx);
  }

  static Napi::Value ReadFile(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsString()) Throw(info.Env(), "path: expected a string");
    std::string path = info[0].As<Napi::String>().Utf8Value();
    faiss::Index* idx = Guard(info.Env(), "read_index", [&] { return faiss::read_index(path.c_str()); });
    return Wrap(info, idx);
  }

  static Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      Throw(info.Env(), "buffer: expected a Buffer or Uint8Array");
    auto b = info[0].As<Napi::Uint8Array>();
    faiss::Index* idx = Guard(info.Env(), "read_index", [&] {
      faiss::VectorIOReader reader;
      reader.data.assign(b.Data(), b.Data() + b.ElementLength());
      return faiss::read_index(&reader);
    });
    return Wrap(info, idx);
  }

  Napi::Value Train(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    faiss::Index* idx = Live(env);
    auto x = ops::F32Arg(info, 0, "x");
    int64_t n = Rows(env, "x", x, idx->d);
    if (n == 0) Throw(env, "train: no training vectors");
    Guard(env, "train", [&] { idx->train(n, x.Data()); });
    return env.Undefined();
  }

  void CheckTrained(Napi::Env env, const char* what) {
    if (!index_->is_trained)
      throw Napi::Error::New(env, std::string("faiss ") + what + ": the index is not trained; call train() first");
  }

  Napi::Value Add(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    faiss::Index* idx = Live(env);
    auto x = ops::F32Arg(info, 0, "x");
    int64_t n = Rows(env, "x", x, idx->d);
    CheckTrained(env, "add");
    Guard(env, "add", [&] { idx->add(n, x.Data()); });
    return env.Undefined();
  }

  Napi::Value AddWithIds(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    faiss::Index* idx = Live(env);
    auto x = ops::F32Arg(info, 0, "x");
    int64_t n = Rows(env, "x", x, idx->d);
    if (info.Length() < 2 || !info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array)
      Throw(env, "ids: expected a BigInt64Array");
    auto ids = info[1].As<Napi::BigInt64Array>();
    ops::CheckLen(env, "ids", ids.ElementLength(), static_cast<size_t>(n), "one id per vector");
    CheckTrained(env, "addWithIds");
    Guard(env, "add_with_ids", [&] { idx->add_with_ids(n, x.Data(), ids.Data()); });
    return env.Undefined();
  }

  // Sets nprobe / efSearch / kFactor from a params object on the parts that take them.
  // Returns a function that restores the previous values (for per-call parameters).
  static std::function<void()> ApplyParams(Napi::Env env, const Parts& p, Napi::Value v) {
    std::function<void()> undo = [] {};
    if (v.IsUndefined() || v.IsNull()) return undo;
    if (!v.IsObject()) Throw(env, "params: expected an object {nprobe, efSearch, kFactor}");
    Napi::Object o = v.As<Napi::Object>();
    auto num = [&](const char* key) -> double {
      Napi::Value x = o.Get(key);
      if (!x.IsNumber()) Throw(env, std::string("params.") + key + ": expected a number");
      double d = x.As<Napi::Number>().DoubleValue();
      if (!(d >= 1) || d > 1e9) Throw(env, std::string("params.") + key + ": expected a number >= 1, got " + std::to_string(d));
      return d;
    };
    if (Present2(o, "nprobe")) {
      if (!p.ivf) Throw(env, "params.nprobe: this index has no IVF part");
      size_t old = p.ivf->nprobe;
      p.ivf->nprobe = static_cast<size_t>(num("nprobe"));
      undo = [undo, ivf = p.ivf, old] { undo(); ivf->nprobe = old; };
    }
    if (Present2(o, "efSearch")) {
      if (!p.hnsw) Throw(env, "params.efSearch: this index has no HNSW part");
      int old = p.hnsw->hnsw.efSearch;
      p.hnsw->hnsw.efSearch = static_cast<int>(num("efSearch"));
      undo = [undo, h = p.hnsw, old] { undo(); h->hnsw.efSearch = old; };
    }
    if (Present2(o, "kFactor")) {
      if (!p.refine) Throw(env, "params.kFactor: this index has no refinement stage (e.g. \"IVF256,PQ16,RFlat\")");
      float old = p.refine->k_factor;
      p.refine->k_factor = static_cast<float>(num("kFactor"));
      undo = [undo, r = p.refine, old] { undo(); r->k_factor = old; };
    }
    return undo;
  }

  Napi::Value SetParams(const Napi::CallbackInfo& info) {
    Parts p = Decompose(Live(info.Env()));
    ApplyParams(info.Env(), p, info.Length() > 0 ? info[0] : info.Env().Undefined());
    return info.Env().Undefined();
  }

  // search(queries, k, params?, selector?, labels32?) -> {distances, labels}
  Napi::Value Search(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    faiss::Index* idx = Live(env);
    auto x = ops::F32Arg(info, 0, "queries");
    int64_t n = Rows(env, "queries", x, idx->d);
    int64_t k = ops::IntArg(info, 1, "k");
    if (k < 1) Throw(env, "k: expected an integer >= 1");
    CheckTrained(env, "search");
    bool labels32 = Present(info, 4) && info[4].ToBoolean().Value();
    Parts p = Decompose(idx);
    std::unique_ptr<Selector> sel = ReadSelector(env, info.Length() > 3 ? info[3] : env.Undefined());
    if (sel && (p.pre || p.refine || (!p.ivf && !p.hnsw && !dynamic_cast<faiss::IndexFlat*>(p.core))))
      Throw(env, "selector: supported for Flat, IVF and HNSW indexes (optionally with IDMap), not this one");
    std::function<void()> undo = ApplyParams(env, p, info.Length() > 2 ? info[2] : env.Undefined());
    struct Restore {
      std::function<void()>& f;
      ~Restore() { f(); }
    } restore{undo};

    auto dist = Napi::Float32Array::New(env, static_cast<size_t>(n * k));
    std::vector<idx_t> lab(static_cast<size_t>(n * k), -1);
    if (n > 0 && idx->ntotal > 0) {
      Guard(env, "search", [&] {
        if (!sel) {
          idx->search(n, x.Data(), k, dist.Data(), lab.data());
          return;
        }
        // The parameter object must be of the type the core index expects.
        std::unique_ptr<faiss::SearchParameters> sp;
        if (p.ivf) {
          auto q = std::make_unique<faiss::SearchParametersIVF>();
          q->nprobe = p.ivf->nprobe;
          q->max_codes = p.ivf->max_codes;
          sp = std::move(q);
        } else if (p.hnsw) {
          auto q = std::make_unique<faiss::SearchParametersHNSW>();
          q->efSearch = p.hnsw->hnsw.efSearch;
          sp = std::move(q);
        } else {
          sp = std::make_unique<faiss::SearchParameters>();
        }
        if (p.idmap) {
          TranslatedSelector tr(p.idmap->id_map, sel->get());
          sp->sel = &tr;
          p.idmap->index->search(n, x.Data(), k, dist.Data(), lab.data(), sp.get());
          for (auto& l : lab)
            if (l >= 0) l = p.idmap->id_map[static_cast<size_t>(l)];
        } else {
          sp->sel = sel->get();
          idx->search(n, x.Data(), k, dist.Data(), lab.data(), sp.get());
        }
      });
    } else {
      float pad = idx->metric_type == faiss::METRIC_INNER_PRODUCT ? -std::numeric_limits<float>::infinity()
                                                                   : std::numeric_limits<float>::infinity();
      std::fill(dist.Data(), dist.Data() + n * k, pad);
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("distances", dist);
    if (labels32) {
      auto l = Napi::Int32Array::New(env, lab.size());
      for (size_t i = 0; i < lab.size(); i++) {
        if (lab[i] < INT32_MIN || lab[i] > INT32_MAX)
          throw Napi::RangeError::New(env, "faiss search: label " + std::to_string(lab[i]) + " does not fit in int32");
        l.Data()[i] = static_cast<int32_t>(lab[i]);
      }
      out.Set("labels", l);
    } else {
      auto l = Napi::BigInt64Array::New(env, lab.size());
      std::copy(lab.begin(), lab.end(), l.Data());
      out.Set("labels", l);
    }
    return out;
  }

  Napi::Value RemoveIds(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    faiss::Index* idx = Live(env);
    Parts p = Decompose(idx);
    bool hashtable = p.ivf && p.ivf->direct_map.type == faiss::DirectMap::Hashtable;
    std::unique_ptr<Selector> sel = ReadSelector(env, info.Length() > 0 ? info[0] : env.Undefined(), hashtable);
    if (!sel) Throw(env, "removeIds: expected a selector {ids} | {bitmap} | {range}");
    size_t removed = Guard(env, "remove_ids", [&] { return idx->remove_ids(*sel->get()); });
    return Napi::Number::New(env, static_cast<double>(removed));
  }

  Napi::Value Reconstruct(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    faiss::Index* idx = Live(env);
    if (info.Length() < 1 || !info[0].IsNumber()) Throw(env, "key: expected a number");
    double kd = info[0].As<Napi::Number>().DoubleValue();
    if (kd != static_cast<double>(static_cast<int64_t>(kd))) Throw(env, "key: expected an integer");
    idx_t key = static_cast<idx_t>(kd);
    Parts p = Decompose(idx);
    // FAISS does not bounds-check sequential ids (flat storage, HNSW): check here.
    // Ids are external (possibly sparse) only under an IDMap or on an IVF index that is not
    // wrapped in a refinement stage (IndexRefine stores vectors by sequential id).
    bool external = p.idmap || (p.ivf && !p.refine);
    if (!external && (key < 0 || key >= idx->ntotal))
      Throw(env, "key: " + std::to_string(key) + " is outside 0.." + std::to_string(idx->ntotal - 1));
    if (p.idmap && !dynamic_cast<faiss::IndexIDMap2*>(p.idmap))
      throw Napi::Error::New(env, "faiss reconstruct: an IDMap index cannot reconstruct; build it with \"IDMap2,...\"");
    auto out = Napi::Float32Array::New(env, static_cast<size_t>(idx->d));
    Guard(env, "reconstruct", [&] {
      if (p.ivf && !p.idmap && p.ivf->direct_map.type == faiss::DirectMap::NoMap)
        p.ivf->set_direct_map_type(faiss::DirectMap::Hashtable);
      idx->reconstruct(key, out.Data());
    });
    return out;
  }

  Napi::Value Reset(const Napi::CallbackInfo& info) {
    faiss::Index* idx = Live(info.Env());
    Guard(info.Env(), "reset", [&] { idx->reset(); });
    return info.Env().Undefined();
  }

  Napi::Value WriteFile(const Napi::CallbackInfo& info) {
    faiss::Index* idx = Live(info.Env());
    if (info.Length() < 1 || !info[0].IsString()) Throw(info.Env(), "path: expected a string");
    std::string path = info[0].As<Napi::String>().Utf8Value();
    Guard(info.Env(), "write_index", [&] { faiss::write_index(idx, path.c_str()); });
    return info.Env().Undefined();
  }

  Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
    faiss::Index* idx = Live(info.Env());
    faiss::VectorIOWriter w;
    Guard(info.Env(), "write_index", [&] { faiss::write_index(idx, &w); });
    return Napi::Buffer<uint8_t>::Copy(info.Env(), w.data.data(), w.data.size());
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    index_.reset();
    return info.Env().Undefined();
  }

  Napi::Value Ntotal(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(Live(info.Env())->ntotal));
  }
  Napi::Value D(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), Live(info.Env())->d); }
  Napi::Value IsTrained(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), Live(info.Env())->is_trained);
  }
  Napi::Value Metric(const Napi::CallbackInfo& info) {
    auto m = Live(info.Env())->metric_type;
    return Napi::String::New(info.Env(), m == faiss::METRIC_INNER_PRODUCT ? "ip" : m == faiss::METRIC_L2 ? "l2" : "other");
  }
  // The parts found by unwrapping, e.g. "IDMap,IVF" or "HNSW" (for messages and tests).
  Napi::Value Kind(const Napi::CallbackInfo& info) {
    Parts p = Decompose(Live(info.Env()));
    std::string s;
    auto add = [&](bool on, const char* name) {
      if (!on) return;
      if (!s.empty()) s += ",";
      s += name;
    };
    add(p.pre != nullptr, "PreTransform");
    add(p.idmap != nullptr, "IDMap");
    add(p.refine != nullptr, "Refine");
    add(p.ivf != nullptr, "IVF");
    add(p.hnsw != nullptr, "HNSW");
    add(!p.ivf && !p.hnsw && dynamic_cast<faiss::IndexFlat*>(p.core) != nullptr, "Flat");
    if (s.empty()) s = "other";
    return Napi::String::New(info.Env(), s);
  }
  Napi::Value Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !index_); }

};

}  // namespace

void InitFaiss(Napi::Env env, Napi::Object exports) {
  exports.Set("FaissIndex", FaissIndex::Define(env));
  // the FAISS this addon was compiled against (faiss/Index.h): Debian's 1.7.3 unless built with
  // EMBREC_FAISS_SRC (docs/indexes.md)
  exports.Set("faissVersion", Napi::String::New(env, std::to_string(FAISS_VERSION_MAJOR) + "." +
                                                         std::to_string(FAISS_VERSION_MINOR) + "." +
                                                         std::to_string(FAISS_VERSION_PATCH)));
}
}  // namespace embrec
