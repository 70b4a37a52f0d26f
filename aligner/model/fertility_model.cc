#include "aligner/model/fertility_model.h"

#include <algorithm>
#include <cmath>

#include "aligner/base/scratch.h"

namespace aligner {
namespace {

constexpr int K = FertilityModel::kMaxFertility;
constexpr int S = FertilityModel::kSlots;
// No fertility becomes impossible (log 0).
constexpr double kMinFertilityProb = 1e-6;
// Link probabilities at most this count as 0 in the distribution of a
// position's other links (LinkFactors).
constexpr double kMinActiveLink = 1e-4;

// out = in convolved with a Bernoulli(q) link, the last slot absorbing
// ("K or more"). out may alias in.
inline void AddLink(double q, const double* in, double* out) {
  const double r = 1 - q;
  out[K] = in[K] + q * in[K - 1];
  for (int phi = K - 1; phi >= 1; --phi) out[phi] = in[phi] * r + in[phi - 1] * q;
  out[0] = in[0] * r;
}

}  // namespace

FertilityModel::FertilityModel(size_t num_source_words, double alpha)
    : num_source_words_(num_source_words), alpha_(alpha), log_probs_(num_source_words * S, 0.0) {}

void FertilityModel::InitCounts(FixedPointArray* counts) const {
  counts->Resize(num_source_words_ * S);
}

void FertilityModel::AddCounts(absl::Span<const WordId> source, uint32_t m,
                               const double* posteriors, FixedPointArray* counts,
                               bool shared) const {
  const uint32_t l = source.size();
  const size_t stride = static_cast<size_t>(l) + 1;
  for (uint32_t i = 1; i <= l; ++i) {
    double dist[S] = {1.0};
    for (uint32_t j = 0; j < m; ++j) {
      const double q = posteriors[j * stride + i];
      if (q > kMinActiveLink) AddLink(q, dist, dist);
    }
    const size_t base = static_cast<size_t>(source[i - 1]) * S;
    if (shared) {
      for (int phi = 0; phi < S; ++phi) counts->AtomicAdd(base + phi, dist[phi]);
    } else {
      for (int phi = 0; phi < S; ++phi) counts->Add(base + phi, dist[phi]);
    }
  }
}

void FertilityModel::Maximize(const FixedPointArray& counts) {
  double global[S] = {};
  for (size_t e = 0; e < num_source_words_; ++e) {
    for (int phi = 0; phi < S; ++phi) global[phi] += counts.Get(e * S + phi);
  }
  double total = 0;
  for (double g : global) total += g;
  if (!(total > 0)) return;
  for (double& g : global) g /= total;
  for (size_t e = 0; e < num_source_words_; ++e) {
    double sum = 0;
    for (int phi = 0; phi < S; ++phi) sum += counts.Get(e * S + phi);
    for (int phi = 0; phi < S; ++phi) {
      const double p = (counts.Get(e * S + phi) + alpha_ * global[phi]) / (sum + alpha_);
      log_probs_[e * S + phi] = std::log(std::max(p, kMinFertilityProb));
    }
  }
  trained_ = true;
}

void FertilityModel::set_probs(WordId e, const std::vector<double>& probs) {
  for (int phi = 0; phi < S; ++phi) {
    log_probs_[static_cast<size_t>(e) * S + phi] =
        std::log(std::max(probs[phi], kMinFertilityProb));
  }
  trained_ = true;
}

void FertilityModel::LinkFactors(absl::Span<const WordId> source, uint32_t m,
                                 const double* posteriors, double* factors) const {
  const uint32_t l = source.size();
  const size_t stride = static_cast<size_t>(l) + 1;
  for (uint32_t j = 0; j < m; ++j) factors[j * stride] = 1;
  // Posteriors are peaked: a source position has a few target words with a
  // link probability worth counting ("active", above kMinActiveLink) and
  // many near 0, which are counted as 0. The others of an inactive j are
  // then all the active links, the same for every inactive j.
  thread_local std::vector<uint32_t> active;
  thread_local std::vector<double> prefix, suffix;
  prefix.resize((static_cast<size_t>(m) + 1) * S);
  suffix.resize((static_cast<size_t>(m) + 1) * S);
  active.resize(m);
  uint32_t* const active_j = active.data();
  double* const pre = prefix.data();
  double* const suf = suffix.data();
  for (uint32_t i = 1; i <= l; ++i) {
    if (!trained_) {
      for (uint32_t j = 0; j < m; ++j) factors[j * stride + i] = 1;
      continue;
    }
    const double* lp = log_probs(source[i - 1]);
    // delta[phi]: the log-factor of one more link when i has phi others
    // (0 at K: "K or more" stays).
    double delta[K];
    for (int phi = 0; phi < K; ++phi) delta[phi] = lp[phi + 1] - lp[phi];
    // The next word's row of log n(phi | e), a likely cache miss.
    if (i < l) __builtin_prefetch(log_probs(source[i]));
    // Branch-free: whether a link is active is a coin toss to the branch
    // predictor, and push_back reloaded the thread-local vector every time.
    size_t n = 0;
    for (uint32_t j = 0; j < m; ++j) {
      active_j[n] = j;
      n += posteriors[j * stride + i] > kMinActiveLink;
    }
    // The distributions of i's links among the first a and the last n - a
    // active target words; active word a's "others" combine prefix a and
    // suffix a + 1, an inactive word's are all n (prefix n).
    std::fill(pre, pre + S, 0.0);
    pre[0] = 1;
    for (size_t a = 0; a < n; ++a) {
      AddLink(posteriors[active_j[a] * stride + i], pre + a * S, pre + (a + 1) * S);
    }
    double* last = suf + n * S;
    std::fill(last, last + S, 0.0);
    last[0] = 1;
    for (size_t a = n; a-- > 0;) {
      AddLink(posteriors[active_j[a] * stride + i], suf + (a + 1) * S, suf + a * S);
    }
    double inactive_score = 0;
    for (int phi = 0; phi < K; ++phi) inactive_score += pre[n * S + phi] * delta[phi];
    const double inactive_factor = std::exp(inactive_score);
    for (uint32_t j = 0; j < m; ++j) factors[j * stride + i] = inactive_factor;
    for (size_t a = 0; a < n; ++a) {
      const double* x = pre + a * S;
      const double* y = suf + (a + 1) * S;
      double score = 0;
      for (int phi = 0; phi < K; ++phi) {
        double d = 0;
        for (int k = 0; k <= phi; ++k) d += x[k] * y[phi - k];
        score += d * delta[phi];
      }
      factors[active_j[a] * stride + i] = std::exp(score);
    }
  }
}

void FertilityModel::Apply(absl::Span<const WordId> source, uint32_t m, int sweeps,
                           double* posteriors) const {
  const uint32_t l = source.size();
  if (!trained_ || l == 0 || m == 0) return;
  const size_t stride = static_cast<size_t>(l) + 1, cells = stride * m;
  thread_local std::vector<double> unary, factors;
  ResizeScratch(&unary, cells);
  std::copy_n(posteriors, cells, unary.data());
  ResizeScratch(&factors, cells);
  for (int sweep = 0; sweep < sweeps; ++sweep) {
    LinkFactors(source, m, posteriors, factors.data());
    for (uint32_t j = 0; j < m; ++j) {
      double* column = posteriors + j * stride;
      const double* u = unary.data() + j * stride;
      const double* f = factors.data() + j * stride;
      double sum = 0;
      for (uint32_t i = 0; i <= l; ++i) sum += column[i] = u[i] * f[i];
      if (!(sum > 0)) continue;
      const double inv = 1.0 / sum;
      for (uint32_t i = 0; i <= l; ++i) column[i] *= inv;
    }
  }
}

}  // namespace aligner
