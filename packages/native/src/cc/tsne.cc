// Barnes-Hut t-SNE (van der Maaten 2014, "Accelerating t-SNE using tree-based algorithms"), following
// scikit-learn's method="barnes_hut" (sklearn/manifold/_t_sne.py, _barnes_hut_tsne.pyx, _quad_tree.pyx):
//   - input similarities over the k = min(n − 1, ⌊3·perplexity⌋ + 1) exact nearest neighbours (squared
//     Euclidean distances from blocked sgemm), conditional P_j|i calibrated by binary search on the
//     precision to the perplexity (natural-log entropy, tolerance 1e-5, 100 steps), then P = (P + Pᵀ) / ΣP;
//   - a quadtree over the map each iteration; a cell is summarised when width² / d² < θ² (sklearn's
//     squared_max_width rule with the full cell width); Student-t kernel with one degree of freedom;
//   - gradient 4 (Σ_j p_ij q_ij Z (y_i − y_j) − Σ_j q_ij² Z² (y_i − y_j) / Z);
//   - gradient descent with momentum and gains (+0.2 / ×0.8, min 0.01): early exaggeration for the
//     first phase with momentum 0.5, then momentum 0.8 with updates and gains reset, as sklearn's two
//     _gradient_descent calls;
//   - init "pca" (top-2 principal components from LAPACK dsyev on the covariance, scaled so that the
//     first column has standard deviation 1e-4, as sklearn ≥ 1.2) or "random" (N(0, 1e-4²), seeded).
// Forces are computed in parallel over points (ops::ParallelFor); the normaliser Z is summed per
// thread chunk in a fixed order, so a run is a pure function of its inputs, the seed and the threads.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common.h"
#include "ops_util.h"

extern "C" {
void dsyev_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w, double* work,
            const int* lwork, int* info, size_t, size_t);
}

namespace embrec {
namespace {

using ops::Throw;

struct Options {
  double perplexity = 30, theta = 0.5, exaggeration = 12, learningRate = -1;  // < 0: "auto"
  int64_t iterations = 1000, exaggerationIterations = 250;
  bool pcaInit = true;
  uint64_t seed = 1;
  int threads = 1;
};

/** Exact k nearest neighbours by squared Euclidean distance (self excluded), rows sorted ascending. */
void Knn(const float* x, int64_t n, int64_t dim, int64_t k, int threads, std::vector<int32_t>& nbr,
         std::vector<double>& d2) {
  std::vector<float> norms(n);
  for (int64_t i = 0; i < n; i++) {
    double s = 0;
    for (int64_t j = 0; j < dim; j++) s += static_cast<double>(x[i * dim + j]) * x[i * dim + j];
    norms[i] = static_cast<float>(s);
  }
  nbr.assign(n * k, 0);
  d2.assign(n * k, 0);
  const int64_t block = 256;
  std::vector<float> dots(block * n);
  for (int64_t b0 = 0; b0 < n; b0 += block) {
    int64_t rows = std::min(block, n - b0);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(n),
                static_cast<int>(dim), 1.0f, x + b0 * dim, static_cast<int>(dim), x, static_cast<int>(dim), 0.0f,
                dots.data(), static_cast<int>(n));
    ops::ParallelFor(rows, threads, 8, [&](int64_t r0, int64_t r1) {
      std::vector<std::pair<float, int32_t>> cand(n);
      for (int64_t r = r0; r < r1; r++) {
        int64_t i = b0 + r;
        const float* dr = dots.data() + r * n;
        int64_t c = 0;
        for (int64_t j = 0; j < n; j++) {
          if (j == i) continue;
          float d = norms[i] + norms[j] - 2.0f * dr[j];
          cand[c++] = {d < 0 ? 0.0f : d, static_cast<int32_t>(j)};
        }
        std::partial_sort(cand.begin(), cand.begin() + k, cand.begin() + c);
        for (int64_t m = 0; m < k; m++) {
          nbr[i * k + m] = cand[m].second;
          d2[i * k + m] = cand[m].first;
        }
      }
    });
  }
}

/** Conditional P_j|i per row by binary search on beta (sklearn's _binary_search_perplexity). */
void Calibrate(int64_t n, int64_t k, double perplexity, int threads, const std::vector<double>& d2,
               std::vector<double>& p) {
  p.assign(n * k, 0);
  const double desired = std::log(perplexity);
  ops::ParallelFor(n, threads, 64, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const double* d = d2.data() + i * k;
      double* pi = p.data() + i * k;
      double beta = 1, lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
      for (int step = 0; step < 100; step++) {
        double sum = 0;
        for (int64_t m = 0; m < k; m++) sum += (pi[m] = std::exp(-d[m] * beta));
        if (sum == 0) sum = 1e-8;
        double sumDP = 0;
        for (int64_t m = 0; m < k; m++) {
          pi[m] /= sum;
          sumDP += d[m] * pi[m];
        }
        double diff = std::log(sum) + beta * sumDP - desired;
        if (std::fabs(diff) <= 1e-5) break;
        if (diff > 0) {
          lo = beta;
          beta = std::isinf(hi) ? beta * 2 : (beta + hi) / 2;
        } else {
          hi = beta;
          beta = std::isinf(lo) ? beta / 2 : (beta + lo) / 2;
        }
      }
    }
  });
}

/** P + Pᵀ normalised to sum 1, as CSR (indptr [n+1], indices, values). */
void Symmetrise(int64_t n, int64_t k, const std::vector<int32_t>& nbr, const std::vector<double>& p,
                std::vector<int64_t>& indptr, std::vector<int32_t>& idx, std::vector<double>& val) {
  std::vector<int64_t> count(n + 1, 0);
  for (int64_t i = 0; i < n; i++)
    for (int64_t m = 0; m < k; m++) count[i + 1]++, count[nbr[i * k + m] + 1]++;
  for (int64_t i = 0; i < n; i++) count[i + 1] += count[i];
  std::vector<std::pair<int32_t, double>> ent(count[n]);
  std::vector<int64_t> fill(count.begin(), count.end() - 1);
  for (int64_t i = 0; i < n; i++)
    for (int64_t m = 0; m < k; m++) {
      int32_t j = nbr[i * k + m];
      double v = p[i * k + m];
      ent[fill[i]++] = {j, v};
      ent[fill[j]++] = {static_cast<int32_t>(i), v};
    }
  indptr.assign(n + 1, 0);
  idx.clear();
  val.clear();
  double total = 0;
  for (int64_t i = 0; i < n; i++) {
    auto b = ent.begin() + count[i], e = ent.begin() + count[i + 1];
    std::sort(b, e, [](const auto& a, const auto& c) { return a.first < c.first; });
    for (auto it = b; it != e; ++it) {
      if (!idx.empty() && static_cast<int64_t>(idx.size()) > indptr[i] && idx.back() == it->first)
        val.back() += it->second;
      else
        idx.push_back(it->first), val.push_back(it->second);
      total += it->second;
    }
    indptr[i + 1] = static_cast<int64_t>(idx.size());
  }
  total = std::max(total, std::numeric_limits<double>::epsilon());
  for (double& v : val) v /= total;
}

struct Node {
  double cx, cy, hw;      // centre and half-width of the cell
  double sx = 0, sy = 0;  // sum of the positions inside
  double px = 0, py = 0;  // the leaf's point (duplicates of it share the leaf)
  int64_t count = 0;
  int32_t child = -1;  // first of 4 consecutive children; -1: leaf
};

class QuadTree {
 public:
  void Build(const double* y, int64_t n) {
    double x0 = y[0], x1 = y[0], y0 = y[1], y1 = y[1];
    for (int64_t i = 1; i < n; i++) {
      x0 = std::min(x0, y[2 * i]), x1 = std::max(x1, y[2 * i]);
      y0 = std::min(y0, y[2 * i + 1]), y1 = std::max(y1, y[2 * i + 1]);
    }
    double hw = std::max(x1 - x0, y1 - y0) / 2 * (1 + 1e-3) + 1e-12;
    nodes_.clear();
    nodes_.reserve(4 * n);
    nodes_.push_back(Node{(x0 + x1) / 2, (y0 + y1) / 2, hw});
    for (int64_t i = 0; i < n; i++) Insert(y[2 * i], y[2 * i + 1]);
  }

  /** Adds the repulsive force on (x, y) (times Z) to f and returns this point's share of Z. */
  double Repulse(double x, double y, double theta2, double* f) const {
    double z = 0, fx = 0, fy = 0;
    int32_t stack[256];
    int top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const Node& c = nodes_[stack[--top]];
      if (c.count == 0) continue;
      double cnt = static_cast<double>(c.count);
      double dx, dy;
      if (c.child < 0) {
        if (c.px == x && c.py == y) {  // this point's own leaf (with its exact duplicates)
          cnt -= 1;
          if (cnt <= 0) continue;
        }
        dx = x - c.px, dy = y - c.py;
      } else {
        dx = x - c.sx / cnt, dy = y - c.sy / cnt;
      }
      double d2 = dx * dx + dy * dy;
      double w = 2 * c.hw;
      if (c.child < 0 || w * w < theta2 * d2) {
        double q = 1 / (1 + d2);
        z += cnt * q;
        double m = cnt * q * q;
        fx += m * dx, fy += m * dy;
      } else {
        for (int32_t ch = 0; ch < 4; ch++) stack[top++] = c.child + ch;
      }
    }
    f[0] += fx, f[1] += fy;
    return z;
  }

 private:
  int32_t Quadrant(const Node& c, double x, double y) const { return (x >= c.cx ? 1 : 0) + (y >= c.cy ? 2 : 0); }

  void Split(int32_t at) {
    auto base = static_cast<int32_t>(nodes_.size());
    Node c = nodes_[at];
    double h = c.hw / 2;
    for (int32_t q = 0; q < 4; q++)
      nodes_.push_back(Node{c.cx + ((q & 1) ? h : -h), c.cy + ((q & 2) ? h : -h), h});
    nodes_[at].child = base;
    Node& ch = nodes_[base + Quadrant(c, c.px, c.py)];
    ch.px = c.px, ch.py = c.py, ch.sx = c.sx, ch.sy = c.sy, ch.count = c.count;
  }

  void Insert(double x, double y) {
    int32_t at = 0;
    for (int depth = 0;; depth++) {
      Node& c = nodes_[at];
      if (c.child < 0) {
        // an empty leaf, an exact duplicate, or (beyond 50 levels) points too close to tell apart
        if (c.count == 0 || (c.px == x && c.py == y) || depth >= 50) {
          if (c.count == 0) c.px = x, c.py = y;
          c.sx += x, c.sy += y, c.count++;
          return;
        }
        Split(at);
      }
      Node& n = nodes_[at];
      n.sx += x, n.sy += y, n.count++;
      at = n.child + Quadrant(n, x, y);
    }
  }

  std::vector<Node> nodes_;
};

/** Initial map: top-2 principal components (scaled to std 1e-4 in the first) or N(0, 1e-4²). */
void Init(const float* x, int64_t n, int64_t dim, const Options& o, Napi::Env env, double* y) {
  if (!o.pcaInit) {
    uint64_t s = o.seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    auto next = [&s] {  // splitmix64 → uniform in (0, 1)
      uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      return (static_cast<double>((z ^ (z >> 31)) >> 11) + 0.5) / 9007199254740992.0;
    };
    for (int64_t i = 0; i < 2 * n; i += 2) {  // Box-Muller
      double r = std::sqrt(-2 * std::log(next())), a = 2 * M_PI * next();
      y[i] = 1e-4 * r * std::cos(a);
      y[i + 1] = 1e-4 * r * std::sin(a);
    }
    return;
  }
  std::vector<double> mean(dim, 0), cov(dim * dim, 0), xc(n * dim);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < dim; j++) mean[j] += x[i * dim + j];
  for (double& m : mean) m /= static_cast<double>(n);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < dim; j++) xc[i * dim + j] = x[i * dim + j] - mean[j];
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(dim), static_cast<int>(n), 1.0, xc.data(),
              static_cast<int>(dim), 0.0, cov.data(), static_cast<int>(dim));
  // row-major upper = column-major lower
  int nd = static_cast<int>(dim), info = 0, lwork = -1;
  std::vector<double> w(dim);
  double q = 0;
  dsyev_("V", "L", &nd, cov.data(), &nd, w.data(), &q, &lwork, &info, 1, 1);
  lwork = static_cast<int>(q);
  std::vector<double> work(std::max(lwork, 1));
  dsyev_("V", "L", &nd, cov.data(), &nd, w.data(), work.data(), &lwork, &info, 1, 1);
  if (info != 0) Throw(env, "tsne: the PCA initialisation failed (LAPACK dsyev info " + std::to_string(info) + ")");
  // eigenvalues ascending; column c of the column-major result is eigenvector c
  for (int comp = 0; comp < 2; comp++) {
    const double* v = cov.data() + (dim - 1 - std::min<int64_t>(comp, dim - 1)) * dim;
    int64_t big = 0;
    for (int64_t j = 1; j < dim; j++)
      if (std::fabs(v[j]) > std::fabs(v[big])) big = j;
    double sign = v[big] < 0 ? -1 : 1;  // sign convention: largest loading positive
    for (int64_t i = 0; i < n; i++) {
      double s = 0;
      for (int64_t j = 0; j < dim; j++) s += xc[i * dim + j] * v[j];
      y[2 * i + comp] = sign * s * (comp < dim ? 1 : 0);
    }
  }
  double m = 0, ss = 0;
  for (int64_t i = 0; i < n; i++) m += y[2 * i];
  m /= static_cast<double>(n);
  for (int64_t i = 0; i < n; i++) ss += (y[2 * i] - m) * (y[2 * i] - m);
  double sd = std::sqrt(ss / static_cast<double>(n));
  double scale = sd > 0 ? 1e-4 / sd : 1.0;
  for (int64_t i = 0; i < 2 * n; i++) y[i] *= scale;
}

Napi::Value Tsne(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto xs = ops::F32Arg(info, 0, "points");
  int64_t dim = ops::IntArg(info, 1, "dim");
  if (dim < 1) Throw(env, "dim: expected >= 1, got 0");
  if (xs.ElementLength() % dim != 0)
    Throw(env, "points: length " + std::to_string(xs.ElementLength()) + " is not a multiple of dim " +
                   std::to_string(dim));
  int64_t n = static_cast<int64_t>(xs.ElementLength()) / dim;
  if (!info[2].IsObject()) Throw(env, "options: expected an object");
  auto opt = info[2].As<Napi::Object>();
  Options o;
  auto num = [&](const char* key, double& out) {
    Napi::Value v = opt.Get(key);
    if (v.IsUndefined()) return;
    if (!v.IsNumber()) Throw(env, std::string("options.") + key + ": expected a number");
    out = v.As<Napi::Number>().DoubleValue();
  };
  double iters = static_cast<double>(o.iterations), exIters = static_cast<double>(o.exaggerationIterations),
         seed = 1, threads = 1;
  num("perplexity", o.perplexity);
  num("theta", o.theta);
  num("exaggeration", o.exaggeration);
  num("learningRate", o.learningRate);
  num("iterations", iters);
  num("exaggerationIterations", exIters);
  num("seed", seed);
  num("threads", threads);
  Napi::Value init = opt.Get("init");
  if (!init.IsUndefined()) o.pcaInit = init.ToString().Utf8Value() == "pca";
  o.iterations = static_cast<int64_t>(iters);
  o.exaggerationIterations = std::min<int64_t>(static_cast<int64_t>(exIters), o.iterations);
  o.seed = static_cast<uint64_t>(seed);
  o.threads = std::max(1, static_cast<int>(threads));
  int64_t k = std::min<int64_t>(n - 1, static_cast<int64_t>(3 * o.perplexity + 1));
  if (n < 2 || k < 1) Throw(env, "points: t-SNE needs at least 2 points, got " + std::to_string(n));
  if (o.learningRate < 0) o.learningRate = std::max(static_cast<double>(n) / o.exaggeration / 4, 50.0);

  const float* x = xs.Data();
  for (int64_t e = 0; e < n * dim; e++)
    if (!std::isfinite(x[e]))
      Throw(env, "points: entry " + std::to_string(e) + " (row " + std::to_string(e / dim) + ") is not finite");

  std::vector<int32_t> nbr;
  std::vector<double> d2, pc;
  Knn(x, n, dim, k, o.threads, nbr, d2);
  Calibrate(n, k, o.perplexity, o.threads, d2, pc);
  std::vector<int64_t> indptr;
  std::vector<int32_t> idx;
  std::vector<double> pval;
  Symmetrise(n, k, nbr, pc, indptr, idx, pval);

  auto out = Napi::Float64Array::New(env, static_cast<size_t>(2 * n));
  double* y = out.Data();
  Init(x, n, dim, o, env, y);

  std::vector<double> grad(2 * n), update(2 * n), gains(2 * n), neg(2 * n);
  QuadTree tree;
  const double theta2 = o.theta * o.theta;
  const int64_t grain = 256;
  int64_t chunks = (n + grain - 1) / grain;
  std::vector<double> zPart(chunks);
  for (int64_t it = 0; it < o.iterations; it++) {
    bool early = it < o.exaggerationIterations;
    if (it == 0 || it == o.exaggerationIterations) {
      std::fill(update.begin(), update.end(), 0.0);
      std::fill(gains.begin(), gains.end(), 1.0);
    }
    double ex = early ? o.exaggeration : 1.0, momentum = early ? 0.5 : 0.8;
    tree.Build(y, n);
    // every grain-sized chunk is its own unit, so Z is summed in the same order for any thread count
    ops::ParallelFor(chunks, o.threads, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; c++) {
        double z = 0;
        for (int64_t i = c * grain, e = std::min(n, (c + 1) * grain); i < e; i++) {
          neg[2 * i] = neg[2 * i + 1] = 0;
          z += tree.Repulse(y[2 * i], y[2 * i + 1], theta2, &neg[2 * i]);
          double fx = 0, fy = 0;
          for (int64_t e2 = indptr[i]; e2 < indptr[i + 1]; e2++) {
            int32_t j = idx[e2];
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
            double m = ex * pval[e2] / (1 + dx * dx + dy * dy);
            fx += m * dx, fy += m * dy;
          }
          grad[2 * i] = fx, grad[2 * i + 1] = fy;
        }
        zPart[c] = z;
      }
    });
    double z = 0;
    for (double v : zPart) z += v;
    z = std::max(z, std::numeric_limits<double>::min());
    for (int64_t e = 0; e < 2 * n; e++) {
      double g = 4 * (grad[e] - neg[e] / z);
      gains[e] = (update[e] * g < 0) ? gains[e] + 0.2 : gains[e] * 0.8;
      if (gains[e] < 0.01) gains[e] = 0.01;
      update[e] = momentum * update[e] - o.learningRate * gains[e] * g;
      y[e] += update[e];
    }
  }
  return out;
}

}  // namespace

void InitTsne(Napi::Env env, Napi::Object exports) {
  exports.Set("tsneBarnesHut", Napi::Function::New(env, Tsne, "tsneBarnesHut"));
}

}  // namespace embrec
