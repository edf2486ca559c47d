// Skip-gram with negative sampling over item "sentences" (Item2Vec: Barkan & Koenigstein 2016), the
// training loop of word2vec (Mikolov et al. 2013, word2vec.c) as gensim's word2vec_inner.pyx runs it:
//   - sigmoid from a 1000-entry table over [-6, 6] (EXP_TABLE_SIZE, MAX_EXP); saturated dot products
//     (|u·v| >= 6) are skipped as gensim does (word2vec.c pushes them with label - 1 or label - 0);
//   - frequent-item subsampling: an occurrence of item i (count c_i, N items in all, threshold t) is
//     kept with probability (sqrt(c_i / (t N)) + 1) (t N) / c_i, drawn anew each epoch (t = 0: off);
//   - negatives drawn from c_i^power (power 0.75 in word2vec) by binary search in a cumulative table;
//   - reduced windows: context of position i is i ± (window - b), b uniform in [0, window); window 0
//     means the whole sentence (Item2Vec's set context); `shuffle` reorders each sentence at random
//     every epoch, so that a window samples the whole set at the cost of a window;
//   - learning rate decayed linearly from lr to minLr over all epochs, by items processed (counted
//     before subsampling), refreshed every 10,000 items;
//   - input vectors uniform in [-1, 1) / dim (gensim 4), output vectors zero; Hogwild threads (lock-free
//     updates, Recht et al. 2011), each owning a contiguous range of sentences.
// With threads = 1 a run is a pure function of its inputs and the seed.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common.h"
#include "ops_util.h"

namespace embrec {
namespace {

using ops::Throw;

constexpr int kTableSize = 1000;
constexpr float kMaxExp = 6.0f;
constexpr int64_t kLrRefresh = 10000;

struct SigmoidTables {
  float sig[kTableSize];      // σ(x) at x = (i / 1000 · 2 − 1) · 6
  float logSig[kTableSize];   // log σ(x)
  float log1mSig[kTableSize]; // log(1 − σ(x))
  SigmoidTables() {
    for (int i = 0; i < kTableSize; i++) {
      double x = (static_cast<double>(i) / kTableSize * 2 - 1) * kMaxExp;
      double s = std::exp(x) / (std::exp(x) + 1);
      sig[i] = static_cast<float>(s);
      logSig[i] = static_cast<float>(std::log(s));
      log1mSig[i] = static_cast<float>(std::log1p(-s));
    }
  }
};

const SigmoidTables& Tables() {
  static const SigmoidTables t;
  return t;
}

/** word2vec's 48-bit linear congruential generator; Next() returns the 32 bits above the low 16. */
struct Rng {
  uint64_t s;
  uint32_t Next() {
    uint32_t r = static_cast<uint32_t>(s >> 16);
    s = (s * 25214903917ULL + 11ULL) & 0xFFFFFFFFFFFFULL;
    return r;
  }
};

struct Config {
  int64_t dim = 0, window = 5, negative = 5, epochs = 5, threads = 1;
  bool shuffle = false;
  double power = 0.75, sample = 1e-3, lr = 0.025, minLr = 1e-4;
  uint64_t seed = 1;
};

std::string Fmt(double x) {
  std::ostringstream o;
  o << x;
  return o.str();
}

double Opt(Napi::Env env, const Napi::Object& o, const char* key, double fallback, double lo, double hi,
           bool integer) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) Throw(env, std::string("item2vecTrain options.") + key + ": expected a number");
  double x = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(x) || x < lo || x > hi || (integer && x != std::floor(x)))
    Throw(env, std::string("item2vecTrain options.") + key + ": expected " + (integer ? "an integer" : "a number") +
                    " in [" + Fmt(lo) + ", " + Fmt(hi) + "], got " + Fmt(x));
  return x;
}

struct Job {
  Config c;
  const int32_t* indptr;
  const int32_t* items;
  int64_t sentences, nItems, total;  // total = item occurrences per epoch
  float* in;                          // [nItems, dim]  input vectors (syn0)
  float* out;                         // [nItems, dim]  output vectors (syn1neg)
  std::vector<uint32_t> keep;         // [nItems]  keep an occurrence when keep >= a 32-bit draw
  std::vector<uint32_t> cum;          // [nItems]  cumulative negative-sampling weights
  std::atomic<int64_t> done{0};       // items processed by all threads, all epochs
  int64_t maxLen = 0;
};

/** Per-thread state that lives across epochs. */
struct Worker {
  Rng rng;
  int64_t s0 = 0, s1 = 0;  // sentence range
  double loss = 0;
  int64_t pairs = 0, kept = 0;
  std::vector<float> work;
  std::vector<int32_t> buf;
};

inline uint32_t DrawNegative(const Job& J, Rng& rng) {
  uint32_t x = rng.Next() % J.cum.back();
  // first index whose cumulative weight exceeds x: items of weight zero are never drawn
  return static_cast<uint32_t>(std::upper_bound(J.cum.begin(), J.cum.end(), x) - J.cum.begin());
}

// One (center, context) pair: the context's input vector predicts the center item against
// `negative` sampled items (gensim's fast_sentence_sg_neg).
inline void TrainPair(Job& J, Worker& w, int32_t center, int32_t context, float alpha) {
  const SigmoidTables& T = Tables();
  const int64_t d = J.c.dim;
  float* l1 = J.in + static_cast<int64_t>(context) * d;
  float* work = w.work.data();
  std::fill(work, work + d, 0.0f);
  for (int64_t k = 0; k <= J.c.negative; k++) {
    int32_t target;
    float label;
    if (k == 0) {
      target = center;
      label = 1.0f;
    } else {
      target = static_cast<int32_t>(DrawNegative(J, w.rng));
      if (target == center) continue;
      label = 0.0f;
    }
    float* l2 = J.out + static_cast<int64_t>(target) * d;
    float f = 0;
#pragma omp simd reduction(+ : f)
    for (int64_t t = 0; t < d; t++) f += l1[t] * l2[t];
    // Saturated dot products get no update, as in gensim (word2vec.c instead pushes with
    // label − 1 or label − 0); the loss still counts them (−log σ(±f) ≈ |f| or 0).
    if (f >= kMaxExp) {
      w.loss += label > 0 ? 0.0 : f;
      continue;
    }
    if (f <= -kMaxExp) {
      w.loss += label > 0 ? -f : 0.0;
      continue;
    }
    int idx = static_cast<int>((f + kMaxExp) * (kTableSize / kMaxExp / 2));
    float g = (label - T.sig[idx]) * alpha;
    w.loss -= label > 0 ? T.logSig[idx] : T.log1mSig[idx];
    for (int64_t t = 0; t < d; t++) work[t] += g * l2[t];
    for (int64_t t = 0; t < d; t++) l2[t] += g * l1[t];
  }
  for (int64_t t = 0; t < d; t++) l1[t] += work[t];
  w.pairs++;
}

double Alpha(const Job& J) {
  double progress = static_cast<double>(J.done.load(std::memory_order_relaxed)) /
                    (static_cast<double>(J.c.epochs) * static_cast<double>(J.total) + 1);
  return std::max(J.c.minLr, J.c.lr - (J.c.lr - J.c.minLr) * progress);
}

void TrainEpoch(Job& J, Worker& w) {
  float alpha = static_cast<float>(Alpha(J));
  int64_t pending = 0;
  const bool subsample = J.c.sample > 0;
  for (int64_t s = w.s0; s < w.s1; s++) {
    int32_t* buf = w.buf.data();
    int64_t n = 0;
    for (int32_t e = J.indptr[s]; e < J.indptr[s + 1]; e++) {
      int32_t it = J.items[e];
      if (subsample && J.keep[it] < w.rng.Next()) continue;
      buf[n++] = it;
    }
    w.kept += n;
    if (J.c.shuffle) {  // sentence as a set: a new random order each epoch (Fisher-Yates)
      for (int64_t i = n - 1; i > 0; i--) std::swap(buf[i], buf[w.rng.Next() % (i + 1)]);
    }
    for (int64_t i = 0; i < n; i++) {
      int64_t j0 = 0, j1 = n;
      if (J.c.window > 0) {
        int64_t b = w.rng.Next() % J.c.window;
        j0 = std::max<int64_t>(0, i - J.c.window + b);
        j1 = std::min<int64_t>(n, i + J.c.window + 1 - b);
      }
      for (int64_t j = j0; j < j1; j++)
        if (j != i) TrainPair(J, w, buf[i], buf[j], alpha);
    }
    pending += J.indptr[s + 1] - J.indptr[s];
    if (pending >= kLrRefresh) {
      J.done.fetch_add(pending, std::memory_order_relaxed);
      pending = 0;
      alpha = static_cast<float>(Alpha(J));
    }
  }
  J.done.fetch_add(pending, std::memory_order_relaxed);
}

// item2vecTrain(indptr [S+1], items [N], nItems, options) ->
//   { input [nItems*dim], output [nItems*dim], loss [epochs] (mean per positive pair),
//     pairs [epochs], kept [epochs] (occurrences left after subsampling) }
Napi::Value Item2VecTrain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto indptr = ops::I32Arg(info, 0, "indptr");
  auto items = ops::I32Arg(info, 1, "items");
  int64_t nItems = ops::IntArg(info, 2, "nItems");
  if (nItems < 1 || nItems > INT32_MAX) Throw(env, "nItems: expected 1..2^31-1, got " + std::to_string(nItems));
  if (info.Length() <= 3 || !info[3].IsObject()) Throw(env, "options: expected an object");
  Napi::Object o = info[3].As<Napi::Object>();
  if (indptr.ElementLength() < 1) Throw(env, "indptr: expected length sentences + 1 >= 1, got 0");
  int64_t sentences = static_cast<int64_t>(indptr.ElementLength()) - 1;
  ops::CheckCsr(env, "sentences", indptr.Data(), indptr.ElementLength(), items.Data(), items.ElementLength(),
                sentences, nItems);

  auto J = std::make_unique<Job>();
  Config& c = J->c;
  c.dim = static_cast<int64_t>(Opt(env, o, "dim", -1, 1, 4096, true));
  c.window = static_cast<int64_t>(Opt(env, o, "window", 5, 0, 1e6, true));
  c.negative = static_cast<int64_t>(Opt(env, o, "negative", 5, 1, 1000, true));
  c.power = Opt(env, o, "power", 0.75, -10, 10, false);
  c.sample = Opt(env, o, "sample", 1e-3, 0, 1, false);
  c.lr = Opt(env, o, "lr", 0.025, 1e-12, 10, false);
  c.minLr = Opt(env, o, "minLr", 1e-4, 0, c.lr, false);
  c.epochs = static_cast<int64_t>(Opt(env, o, "epochs", 5, 1, 100000, true));
  c.threads = static_cast<int64_t>(Opt(env, o, "threads", 1, 1, 256, true));
  c.seed = static_cast<uint64_t>(Opt(env, o, "seed", 1, 0, 9.0e15, true));
  Napi::Value sh = o.Get("shuffle");
  if (!sh.IsUndefined() && !sh.IsNull() && !sh.IsBoolean()) Throw(env, "item2vecTrain options.shuffle: expected a boolean");
  c.shuffle = sh.IsBoolean() && sh.As<Napi::Boolean>().Value();

  J->indptr = indptr.Data();
  J->items = items.Data();
  J->sentences = sentences;
  J->nItems = nItems;
  J->total = static_cast<int64_t>(items.ElementLength());
  if (J->total == 0) Throw(env, "items: the sentences hold no items, nothing to train on");

  std::vector<int64_t> count(nItems, 0);
  for (int64_t e = 0; e < J->total; e++) count[J->items[e]]++;
  for (int64_t s = 0; s < sentences; s++) J->maxLen = std::max<int64_t>(J->maxLen, indptr.Data()[s + 1] - indptr.Data()[s]);

  // subsampling thresholds as 32-bit integers (gensim's sample_int)
  J->keep.assign(nItems, UINT32_MAX);
  if (c.sample > 0) {
    double tn = c.sample * static_cast<double>(J->total);
    for (int64_t i = 0; i < nItems; i++) {
      if (count[i] == 0) continue;
      double p = (std::sqrt(count[i] / tn) + 1) * tn / count[i];
      if (p < 1) J->keep[i] = static_cast<uint32_t>(std::llround(p * 4294967296.0));
    }
  }
  // cumulative count^power table over the domain 2^31 - 1 (gensim's cum_table)
  double z = 0;
  for (int64_t i = 0; i < nItems; i++) z += count[i] > 0 ? std::pow(static_cast<double>(count[i]), c.power) : 0;
  J->cum.resize(nItems);
  double run = 0;
  for (int64_t i = 0; i < nItems; i++) {
    run += count[i] > 0 ? std::pow(static_cast<double>(count[i]), c.power) : 0;
    J->cum[i] = static_cast<uint32_t>(std::llround(run / z * 2147483647.0));
  }
  if (!std::isfinite(z) || z <= 0 || J->cum.back() == 0)
    Throw(env, "options.power: count^power overflows or vanishes (power = " + Fmt(c.power) + ")");

  int64_t size = nItems * c.dim;
  auto input = Napi::Float32Array::New(env, static_cast<size_t>(size));
  auto output = Napi::Float32Array::New(env, static_cast<size_t>(size));  // zero-filled
  J->in = input.Data();
  J->out = output.Data();
  Rng init{c.seed};
  // uniform in [-1, 1) / dim, as gensim 4 (word2vec.c draws from [-0.5, 0.5) / dim)
  for (int64_t k = 0; k < size; k++)
    J->in[k] = (static_cast<float>(init.Next() >> 8) / 16777216.0f * 2.0f - 1.0f) / static_cast<float>(c.dim);

  // contiguous sentence ranges holding about the same number of items
  int64_t t = std::max<int64_t>(1, std::min<int64_t>(c.threads, sentences));
  std::vector<Worker> workers(t);
  int64_t s = 0;
  for (int64_t k = 0; k < t; k++) {
    Worker& w = workers[k];
    w.rng.s = (c.seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(k) + 1) & 0xFFFFFFFFFFFFULL;
    w.work.assign(c.dim, 0.0f);
    w.buf.assign(std::max<int64_t>(J->maxLen, 1), 0);
    w.s0 = s;
    int64_t goal = (J->total * (k + 1)) / t;
    while (s < sentences && (k == t - 1 || indptr.Data()[s + 1] <= goal)) s++;
    w.s1 = s;
  }

  auto loss = Napi::Float64Array::New(env, static_cast<size_t>(c.epochs));
  auto pairs = Napi::Float64Array::New(env, static_cast<size_t>(c.epochs));
  auto kept = Napi::Float64Array::New(env, static_cast<size_t>(c.epochs));
  for (int64_t ep = 0; ep < c.epochs; ep++) {
    for (Worker& w : workers) w.loss = 0, w.pairs = 0, w.kept = 0;
    if (t == 1) {
      TrainEpoch(*J, workers[0]);
    } else {
      std::vector<std::thread> pool;
      for (Worker& w : workers) pool.emplace_back([&J, &w] { TrainEpoch(*J, w); });
      for (auto& th : pool) th.join();
    }
    double l = 0, p = 0, kk = 0;
    for (Worker& w : workers) l += w.loss, p += static_cast<double>(w.pairs), kk += static_cast<double>(w.kept);
    loss.Data()[ep] = p > 0 ? l / p : 0;
    pairs.Data()[ep] = p;
    kept.Data()[ep] = kk;
  }

  Napi::Object result = Napi::Object::New(env);
  result.Set("input", input);
  result.Set("output", output);
  result.Set("loss", loss);
  result.Set("pairs", pairs);
  result.Set("kept", kept);
  return result;
}

}  // namespace

void InitItem2Vec(Napi::Env env, Napi::Object exports) {
  exports.Set("item2vecTrain", Napi::Function::New(env, Item2VecTrain, "item2vecTrain"));
}

}  // namespace embrec
