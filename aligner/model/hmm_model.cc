#include "aligner/model/hmm_model.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <utility>

#include "aligner/base/status_macros.h"
#include "aligner/model/model_registry.h"

namespace aligner {
namespace {

// Keeps log() finite and divisions defined if a position's mass underflows.
constexpr double kMinScale = 1e-300;
// A jump weight is estimated on its own once its bucket has seen this share
// of all (weighted) jumps; rarer buckets pool with their inner neighbors.
constexpr double kMinJumpEvidence = 1e-4;
// Hands out HmmModel::weights_version_.
std::atomic<uint64_t> next_weights_version{1};

// Forward-backward's inner loops: out[i] = sum over k < rows, in order of k,
// of x[k * x_stride] * matrix[k * matrix_stride + i], for i < n. The sums are
// kept in registers for up to 32 columns at a time, instead of loading and
// storing out[] once per k; each out[i] still adds the same products in the
// same order, so the result is bit-identical to the plain loop. Terms with
// x = 0 are skipped (they would add +0). Reads up to kRowPadding entries
// past the n of the last row: pad `matrix` with that many.
constexpr size_t kRowPadding = 32;
using Vec8 = double __attribute__((vector_size(64)));

template <int kVectors>
void AccumulateColumns(const double* x, size_t x_stride, size_t rows, const double* matrix,
                       size_t matrix_stride, size_t width, double* out) {
  Vec8 acc[kVectors] = {};
  for (size_t k = 0; k < rows; ++k) {
    const double xk = x[k * x_stride];
    if (xk == 0) continue;
    const double* row = matrix + k * matrix_stride;
#pragma GCC unroll 4
    for (int v = 0; v < kVectors; ++v) {
      Vec8 values;
      std::memcpy(&values, row + 8 * v, sizeof(values));
      acc[v] += xk * values;
    }
  }
  double sums[8 * kVectors];
  std::memcpy(sums, acc, sizeof(sums));
  std::memcpy(out, sums, width * sizeof(double));
}

// The first r < n with the largest best[r] * column[r], as a scan that keeps
// the first of equal values finds it, and that product (into *top). Eight
// lanes at a time, each keeping its own first maximum; then the best lane,
// the lowest position among equals. Products are >= 0.
using Index8 = int64_t __attribute__((vector_size(64)));
uint32_t FirstArgMax(const double* best, const double* column, uint32_t n, double* top) {
  double top_value = -1;
  int64_t arg = 0;
  uint32_t r = 0;
  if (n >= 8) {
    Vec8 b, c;
    std::memcpy(&b, best, sizeof(b));
    std::memcpy(&c, column, sizeof(c));
    Vec8 lane_max = b * c;
    const Index8 lanes = {0, 1, 2, 3, 4, 5, 6, 7};
    Index8 lane_arg = lanes;
    for (r = 8; r + 8 <= n; r += 8) {
      std::memcpy(&b, best + r, sizeof(b));
      std::memcpy(&c, column + r, sizeof(c));
      const Vec8 values = b * c;
      const auto greater = values > lane_max;
      lane_max = greater ? values : lane_max;
      lane_arg = greater ? lanes + static_cast<int64_t>(r) : lane_arg;
    }
    for (int k = 0; k < 8; ++k) {
      if (lane_max[k] > top_value || (lane_max[k] == top_value && lane_arg[k] < arg)) {
        top_value = lane_max[k];
        arg = lane_arg[k];
      }
    }
  }
  for (; r < n; ++r) {
    const double value = best[r] * column[r];
    if (value > top_value) {
      top_value = value;
      arg = r;
    }
  }
  *top = top_value;
  return static_cast<uint32_t>(arg);
}

void AccumulateRows(const double* x, size_t x_stride, size_t rows, const double* matrix,
                    size_t matrix_stride, size_t n, double* out) {
  for (size_t i = 0; i < n; i += 32) {
    const size_t width = std::min<size_t>(32, n - i);
    switch ((width + 7) / 8) {
      case 1:
        AccumulateColumns<1>(x, x_stride, rows, matrix + i, matrix_stride, width, out + i);
        break;
      case 2:
        AccumulateColumns<2>(x, x_stride, rows, matrix + i, matrix_stride, width, out + i);
        break;
      case 3:
        AccumulateColumns<3>(x, x_stride, rows, matrix + i, matrix_stride, width, out + i);
        break;
      default:
        AccumulateColumns<4>(x, x_stride, rows, matrix + i, matrix_stride, width, out + i);
        break;
    }
  }
}

}  // namespace

HmmModel::HmmModel(std::shared_ptr<TranslationTable> table, bool use_null,
                   TranslationPrior prior, HmmOptions options, uint32_t /*max_source_length*/)
    : table_(std::move(table)),
      use_null_(use_null),
      prior_(prior),
      options_(options),
      max_jump_(std::max(1, options.max_jump)),
      p0_(use_null ? options.null_probability : 0.0) {
  options_.max_jump = max_jump_;
  weights_.assign(num_jump_buckets() + max_jump_, 1.0);
  set_jump_weights(weights_);
}

uint32_t HmmModel::MaxSourceLength(const ParallelCorpus& corpus) {
  size_t longest = 0;
  for (size_t k = 0; k < corpus.size(); ++k) longest = std::max(longest, corpus.pair(k).source.size());
  return static_cast<uint32_t>(longest);
}

void HmmModel::set_jump_weights(const std::vector<double>& weights) {
  weights_version_ = next_weights_version.fetch_add(1);
  weights_ = weights;
  weights_.resize(num_jump_buckets() + max_jump_, 0.0);
  const size_t groups[3] = {0, num_jump_buckets(), weights_.size()};
  for (int g = 0; g < 2; ++g) {
    double total = 0;
    for (size_t b = groups[g]; b < groups[g + 1]; ++b) total += std::max(weights_[b], 0.0);
    // Already normalized (a loaded model): keep the exact bits, so a model
    // file aligns exactly as the model that wrote it.
    if (std::fabs(total - 1.0) < 1e-12) continue;
    for (size_t b = groups[g]; b < groups[g + 1]; ++b) {
      weights_[b] = total > 0 ? std::max(weights_[b], 0.0) / total
                              : 1.0 / static_cast<double>(groups[g + 1] - groups[g]);
    }
  }
}

void HmmModel::InitCounts(ExpectedCounts* counts) const {
  // N_b for every bucket, then D_b.
  counts->Reset(table_->num_entries(), 2 * num_buckets());
}

const HmmModel::JumpTables& HmmModel::CachedJumpTables(uint32_t l, uint32_t m) const {
  // A few entries, least recently used out: training by agreement
  // alternates two models, and decoding asks for Viterbi and posteriors.
  constexpr int kEntries = 4;
  thread_local JumpTables cache[kEntries];
  thread_local uint64_t clock = 0;
  JumpTables* oldest = &cache[0];
  for (JumpTables& t : cache) {
    if (t.version == weights_version_ && t.l == l && t.m == m) {
      t.last_used = ++clock;
      return t;
    }
    if (t.last_used < oldest->last_used) oldest = &t;
  }
  ComputeJumpTables(l, m, oldest);
  oldest->version = weights_version_;
  oldest->l = l;
  oldest->m = m;
  oldest->last_used = ++clock;
  return *oldest;
}

void HmmModel::ComputeJumpTables(uint32_t l, uint32_t m, JumpTables* t) const {
  const uint32_t stride = l + 1;
  const double lambda = options_.jump_smoothing, tau = options_.diagonal_tension;
  t->diagonal = tau > 0;
  // Padded for AccumulateRows.
  t->w.resize(static_cast<size_t>(stride) * l + kRowPadding);
  t->w_t.resize(t->w.size());
  // by_width[d + l - 1] = w(b(r, r + d)) for r >= 1: rows are slices of it.
  thread_local std::vector<double> by_width;
  by_width.resize(2 * static_cast<size_t>(l) - 1);
  for (int64_t d = -static_cast<int64_t>(l) + 1; d < static_cast<int64_t>(l); ++d) {
    const int64_t k = std::clamp<int64_t>(d, -max_jump_, max_jump_);
    by_width[d + l - 1] = weights_[k + max_jump_];
  }
  for (uint32_t i = 1; i <= l; ++i) {
    const double w = weights_[Bucket(0, i)];
    t->w[i - 1] = w;
    t->w_t[static_cast<size_t>(i - 1) * stride] = w;
  }
  for (uint32_t r = 1; r <= l; ++r) {
    // Row r: widths 1 - r .. l - r.
    std::copy_n(by_width.data() + (l - r), l, t->w.data() + static_cast<size_t>(r) * l);
  }
  for (uint32_t i = 1; i <= l; ++i) {
    // Column i, r = 1..l: widths i - 1 .. i - l.
    double* column = t->w_t.data() + static_cast<size_t>(i - 1) * stride;
    const double* from = by_width.data() + (i - 1) + (l - 1);
    for (uint32_t r = 1; r <= l; ++r) column[r] = *(from - (r - 1));
  }
  // The end factors, and Z without the diagonal.
  t->end.resize(stride);
  t->end_inv_z.resize(stride);
  t->inv_z.resize(t->diagonal ? static_cast<size_t>(stride) * m : stride);
  for (uint32_t r = 0; r <= l; ++r) {
    const double* row = t->w.data() + static_cast<size_t>(r) * l;
    double z = 0;
    for (uint32_t i = 0; i < l; ++i) z += row[i];
    if (!t->diagonal) t->inv_z[r] = z > 0 ? 1.0 / z : 0.0;
    if (options_.end_jump) {
      const double w_end = weights_[Bucket(r, l + 1)];
      t->end_inv_z[r] = z + w_end > 0 ? 1.0 / (z + w_end) : 0.0;
      t->end[r] = (1.0 - lambda) * w_end * t->end_inv_z[r] + lambda / (l + 1);
    } else {
      t->end_inv_z[r] = 0;
      t->end[r] = 1;
    }
  }
  t->g.resize(static_cast<size_t>(l) * m);
  if (!t->diagonal) {
    std::fill(t->g.begin(), t->g.end(), 1.0);
    return;
  }
  // g_j(i) = exp(-tau |x_i - c_j|) with x_i = i / l, c_j = (j + 1) / m is
  // left_j up_i where x_i <= c_j and right_j down_i elsewhere: l + m exp().
  t->up.resize(l);
  t->down.resize(l);
  t->left.resize(m);
  t->right.resize(m);
  for (uint32_t i = 1; i <= l; ++i) {
    t->up[i - 1] = std::exp(tau * i / l);
    t->down[i - 1] = 1.0 / t->up[i - 1];
  }
  for (uint32_t j = 0; j < m; ++j) {
    t->left[j] = std::exp(-tau * (j + 1) / m);
    t->right[j] = 1.0 / t->left[j];
  }
  // split[j]: the number of positions i with x_i <= c_j.
  thread_local std::vector<uint32_t> split;
  split.resize(m);
  for (uint32_t j = 0, k = 0; j < m; ++j) {
    const double c = static_cast<double>(j + 1) / m;
    while (k < l && static_cast<double>(k + 1) / l <= c) ++k;
    split[j] = k;
    double* g = t->g.data() + static_cast<size_t>(j) * l;
    for (uint32_t i = 0; i < k; ++i) g[i] = t->left[j] * t->up[i];
    for (uint32_t i = k; i < l; ++i) g[i] = t->right[j] * t->down[i];
  }
  // Z_j(r) = left_j sum_{i <= split_j} w up_i + right_j sum_{i > split_j} w down_i,
  // from prefix and suffix sums: O(l (l + m)), not O(l^2 m).
  thread_local std::vector<double> prefix, suffix;
  prefix.resize(l + 1);
  suffix.resize(l + 1);
  for (uint32_t r = 0; r <= l; ++r) {
    const double* row = t->w.data() + static_cast<size_t>(r) * l;
    prefix[0] = 0;
    for (uint32_t i = 0; i < l; ++i) prefix[i + 1] = prefix[i] + row[i] * t->up[i];
    suffix[l] = 0;
    for (uint32_t i = l; i-- > 0;) suffix[i] = suffix[i + 1] + row[i] * t->down[i];
    for (uint32_t j = 0; j < m; ++j) {
      const double z = t->left[j] * prefix[split[j]] + t->right[j] * suffix[split[j]];
      t->inv_z[static_cast<size_t>(j) * stride + r] = z > 0 ? 1.0 / z : 0.0;
    }
  }
}

void HmmModel::TransitionMatrix(uint32_t l, uint32_t m, uint32_t j,
                                std::vector<double>* probs) const {
  probs->resize(static_cast<size_t>(l + 1) * l);
  if (l == 0 || m == 0) return;
  JumpTables t;
  ComputeJumpTables(l, m, &t);
  const double a = (1.0 - p0_) * (1.0 - options_.jump_smoothing);
  const double u0 = (1.0 - p0_) * options_.jump_smoothing / l;
  const double* iz = t.inv_z_row(j, l);
  const double* g = t.g.data() + static_cast<size_t>(j) * l;
  for (uint32_t r = 0; r <= l; ++r) {
    for (uint32_t i = 0; i < l; ++i) {
      const size_t k = static_cast<size_t>(r) * l + i;
      (*probs)[k] = a * t.w[k] * g[i] * iz[r] + u0;
    }
  }
}

void HmmModel::EndProbabilities(uint32_t l, std::vector<double>* probs) const {
  probs->assign(l + 1, 1.0);
  if (l == 0) return;
  JumpTables t;
  ComputeJumpTables(l, 1, &t);
  *probs = t.end;
}

const double* HmmModel::Emissions(const SentencePair& pair, PairLookup* lookup) const {
  // Without a NULL word the NULL states are unreachable (p0 = 0) anyway, and
  // their emissions are 0.
  thread_local std::vector<double> emit;
  emit.resize(static_cast<size_t>(pair.source.size() + 1) * pair.target.size());
  lookup->Lookup(*table_, pair, use_null_);
  lookup->Probabilities(emit.data());
  return emit.data();
}

double HmmModel::ForwardBackward(uint32_t l, uint32_t m, const double* emit,
                                 const PairLookup& lookup, double* posteriors,
                                 ExpectedCounts* counts, bool translation_counts) const {
  const uint32_t stride = l + 1;
  thread_local std::vector<double> alpha_real, alpha_null, scale, beta, beta_next, u, h, v,
      rho, acc, x, xs, hs, xsum, coef, y, bucket_n, bucket_d;
  const size_t cells = static_cast<size_t>(stride) * m;
  // The translation counts of the pair follow forward-backward (here or in
  // the agreement trainer): start fetching their lines.
  if (counts != nullptr) lookup.PrefetchCounts(*counts);
  const JumpTables& t = CachedJumpTables(l, m);
  alpha_real.resize(static_cast<size_t>(l) * m);
  alpha_null.resize(cells);
  scale.resize(m);
  beta.resize(stride);
  beta_next.resize(stride);
  u.resize(l);
  h.resize(l);
  v.resize(stride);
  rho.resize(stride);
  acc.resize(l);
  x.resize(stride);
  const double p0 = p0_, lambda = options_.jump_smoothing;
  const double a = (1.0 - p0) * (1.0 - lambda);  // weighted part of a real transition
  const double u0 = (1.0 - p0) * lambda / l;      // uniform part
  // rho[r]: the mass of the states remembering r (R_r and N_r) at position
  // j, from the scaled forward probabilities; the virtual N_0 before j = 0.
  auto remembered = [&](int64_t j) {
    if (j < 0) {
      std::fill(rho.begin(), rho.end(), 0.0);
      rho[0] = 1;
      return;
    }
    const double* ar = alpha_real.data() + static_cast<size_t>(j) * l;
    const double* an = alpha_null.data() + static_cast<size_t>(j) * stride;
    rho[0] = an[0];
    for (uint32_t r = 1; r <= l; ++r) rho[r] = ar[r - 1] + an[r];
  };

  // Forward, scaled so that every position's state probabilities sum to 1.
  double log_likelihood = 0;
  for (uint32_t j = 0; j < m; ++j) {
    const double* e = emit + static_cast<size_t>(j) * stride;
    const double* g = t.g.data() + static_cast<size_t>(j) * l;
    const double* iz = t.inv_z_row(j, l);
    double* ar = alpha_real.data() + static_cast<size_t>(j) * l;
    double* an = alpha_null.data() + static_cast<size_t>(j) * stride;
    remembered(static_cast<int64_t>(j) - 1);
    double rho_sum = 0;
    for (uint32_t r = 0; r <= l; ++r) rho_sum += rho[r];
    // sums[i] = sum_r rho[r] / Z_j(r) w(b(r, i + 1)).
    for (uint32_t r = 0; r <= l; ++r) x[r] = rho[r] * iz[r];
    double* sums = acc.data();
    AccumulateRows(x.data(), 1, stride, t.w.data(), l, l, sums);
    const double uniform = u0 * rho_sum;
    for (uint32_t i = 0; i < l; ++i) ar[i] = e[i + 1] * (a * g[i] * sums[i] + uniform);
    const double to_null = p0 * e[0];
    for (uint32_t r = 0; r <= l; ++r) an[r] = to_null * rho[r];
    double c = 0;
    for (uint32_t i = 0; i < l; ++i) c += ar[i];
    for (uint32_t r = 0; r <= l; ++r) c += an[r];
    c = std::max(c, kMinScale);
    scale[j] = c;
    log_likelihood += std::log(c);
    const double inv = 1.0 / c;
    for (uint32_t i = 0; i < l; ++i) ar[i] *= inv;
    for (uint32_t r = 0; r <= l; ++r) an[r] *= inv;
  }

  const bool count_jumps = counts != nullptr;
  if (count_jumps) {
    bucket_n.assign(num_buckets(), 0.0);
    bucket_d.assign(num_buckets(), 0.0);
    xsum.resize(static_cast<size_t>(stride) * l);
    coef.assign(cells, 0.0);
    // Step s of the backward pass (position m - 1 - s) keeps its x and h
    // here; xsum is summed from them afterwards.
    xs.resize(cells);
    hs.resize(static_cast<size_t>(l) * m + kRowPadding);
  }

  // The jump to the end, after the last word.
  remembered(static_cast<int64_t>(m) - 1);
  {
    double c = 0;
    for (uint32_t r = 0; r <= l; ++r) c += rho[r] * t.end[r];
    c = std::max(c, kMinScale);
    if (options_.end_jump) log_likelihood += std::log(c);
    const double inv = 1.0 / c;
    for (uint32_t r = 0; r <= l; ++r) beta_next[r] = t.end[r] * inv;
    if (count_jumps && options_.end_jump) {
      for (uint32_t r = 0; r <= l; ++r) {
        const size_t b = Bucket(r, l + 1);
        const double n = rho[r] * (1.0 - lambda) * weights_[b] * t.end_inv_z[r] * inv;
        if (!(n > 0)) continue;
        bucket_n[b] += n;
        const double d = n * t.end_inv_z[r];
        for (uint32_t i = 1; i <= l + 1; ++i) bucket_d[Bucket(r, i)] += d;
      }
    }
  }

  // Backward, scaled by the same factors: beta[r] is the scaled probability
  // of the rest of the target given a state remembering r (R_r and N_r share
  // it). The expected number of weighted jumps r -> i into position j + 1 is
  // a w(b(r, i)) rho_j(r) / Z_{j+1}(r) h_{j+1}(i) with h = g e beta / c;
  // xsum[r * l + i - 1] sums rho_j(r) / Z_{j+1}(r) h_{j+1}(i) over j, and
  // coef[(j + 1) * (l + 1) + r] holds M_{j+1}(r) / Z_{j+1}(r) for D_b.
  for (int64_t j = static_cast<int64_t>(m) - 1; j >= -1; --j) {
    if (j < static_cast<int64_t>(m) - 1) {
      const uint32_t next = static_cast<uint32_t>(j + 1);
      const double* e1 = emit + static_cast<size_t>(next) * stride;
      const double* g1 = t.g.data() + static_cast<size_t>(next) * l;
      const double* iz = t.inv_z_row(next, l);
      const double inv = 1.0 / scale[next];
      double u_sum = 0;
      for (uint32_t i = 0; i < l; ++i) {
        u[i] = e1[i + 1] * beta_next[i + 1] * inv;
        h[i] = g1[i] * u[i];
        u_sum += u[i];
      }
      remembered(j);
      // v[r] = sum_i w(b(r, i)) h[i]; from the start only r = 0 is needed.
      if (j >= 0) {
        AccumulateRows(h.data(), 1, l, t.w_t.data(), stride, stride, v.data());
      } else {
        double sum = 0;
        for (uint32_t i = 0; i < l; ++i) sum += t.w[i] * h[i];
        v[0] = sum;
      }
      if (count_jumps) {
        double* c = coef.data() + static_cast<size_t>(next) * stride;
        const size_t step = m - 1 - next;
        double* step_x = xs.data() + step * stride;
        std::copy_n(h.data(), l, hs.data() + step * l);
        for (uint32_t r = 0; r <= l; ++r) {
          const double xr = rho[r] * iz[r];
          step_x[r] = xr;
          if (xr == 0) continue;
          c[r] = a * xr * v[r] * iz[r];
        }
      }
      if (j < 0) break;
      const double stay = p0 * e1[0] * inv;
      const double uniform = u0 * u_sum;
      for (uint32_t r = 0; r <= l; ++r) {
        beta[r] = a * v[r] * iz[r] + uniform + stay * beta_next[r];
      }
      std::swap(beta, beta_next);
    }
    // beta_next now holds position j: the posteriors of position j.
    const double* ar = alpha_real.data() + static_cast<size_t>(j) * l;
    const double* an = alpha_null.data() + static_cast<size_t>(j) * stride;
    double* column = posteriors + static_cast<size_t>(j) * stride;
    double null_mass = 0;
    for (uint32_t r = 0; r <= l; ++r) null_mass += an[r] * beta_next[r];
    column[0] = null_mass;
    double total = null_mass;
    for (uint32_t i = 1; i <= l; ++i) {
      column[i] = ar[i - 1] * beta_next[i];
      total += column[i];
    }
    const double inv_total = 1.0 / std::max(total, kMinScale);
    for (uint32_t i = 0; i <= l; ++i) column[i] *= inv_total;
  }
  if (counts != nullptr && translation_counts) lookup.AddCounts(posteriors, counts);

  if (count_jumps) {
    // xsum[r * l + i] = sum over the steps of x[r] h[i].
    for (uint32_t r = 0; r <= l; ++r) {
      AccumulateRows(xs.data() + r, stride, m, hs.data(), l, l,
                     xsum.data() + static_cast<size_t>(r) * l);
    }
    // N_b, and D_b = sum_{j, r} coef_j(r) sum_{i in b(r)} g_j(i) with
    // Y(r, i) = sum_j coef_j(r) g_j(i) computed for each r by a sweep over
    // i in each direction (g_j(i) factors on either side of the diagonal).
    y.resize(l);
    for (uint32_t r = 0; r <= l; ++r) {
      const double* row = xsum.data() + static_cast<size_t>(r) * l;
      const double* w = t.w.data() + static_cast<size_t>(r) * l;
      for (uint32_t i = 0; i < l; ++i) bucket_n[Bucket(r, i + 1)] += a * w[i] * row[i];
      if (!t.diagonal) {
        double sum = 0;
        for (uint32_t j = 0; j < m; ++j) sum += coef[static_cast<size_t>(j) * stride + r];
        std::fill(y.begin(), y.end(), sum);
      } else {
        double sum = 0;
        uint32_t j = 0;
        for (uint32_t i = 1; i <= l; ++i) {
          // c_j < x_i: g_j(i) = right_j down_i.
          while (j < m && !(static_cast<double>(i) / l <= static_cast<double>(j + 1) / m)) {
            sum += coef[static_cast<size_t>(j) * stride + r] * t.right[j];
            ++j;
          }
          y[i - 1] = t.down[i - 1] * sum;
        }
        sum = 0;
        j = m;
        for (uint32_t i = l; i >= 1; --i) {
          // x_i <= c_j: g_j(i) = left_j up_i.
          while (j > 0 && static_cast<double>(i) / l <= static_cast<double>(j) / m) {
            --j;
            sum += coef[static_cast<size_t>(j) * stride + r] * t.left[j];
          }
          y[i - 1] += t.up[i - 1] * sum;
        }
      }
      for (uint32_t i = 0; i < l; ++i) bucket_d[Bucket(r, i + 1)] += y[i];
    }
    for (size_t b = 0; b < num_buckets(); ++b) {
      if (bucket_n[b] > 0) counts->alignment.Add(JumpCountIndex(b), bucket_n[b]);
      if (bucket_d[b] > 0) counts->alignment.Add(JumpDenominatorIndex(b), bucket_d[b]);
    }
  }
  return log_likelihood;
}

void HmmModel::AddExpectedCounts(const SentencePair& pair, ExpectedCounts* counts) const {
  const uint32_t l = pair.source.size(), m = pair.target.size();
  if (l == 0 || m == 0) return;
  thread_local std::vector<double> posteriors;
  thread_local PairLookup lookup;
  posteriors.resize(static_cast<size_t>(l + 1) * m);
  const double* emit = Emissions(pair, &lookup);
  const double log_likelihood = ForwardBackward(l, m, emit, lookup, posteriors.data(), counts, true);
  counts->AddPair(log_likelihood, l, m);
}

void HmmModel::AddExpectedCountsExceptTranslation(const SentencePair& pair,
                                                  std::vector<double>* posteriors,
                                                  PairLookup* lookup,
                                                  ExpectedCounts* counts) const {
  const uint32_t l = pair.source.size(), m = pair.target.size();
  if (l == 0 || m == 0) {
    posteriors->clear();
    return;
  }
  posteriors->resize(static_cast<size_t>(l + 1) * m);
  const double* emit = Emissions(pair, lookup);
  const double log_likelihood =
      ForwardBackward(l, m, emit, *lookup, posteriors->data(), counts, false);
  counts->AddPair(log_likelihood, l, m);
}

double HmmModel::Posteriors(const SentencePair& pair, std::vector<double>* posteriors) const {
  const uint32_t l = pair.source.size(), m = pair.target.size();
  posteriors->assign(static_cast<size_t>(l + 1) * m, 0.0);
  if (l == 0 || m == 0) return 0;
  thread_local PairLookup lookup;
  const double* emit = Emissions(pair, &lookup);
  return ForwardBackward(l, m, emit, lookup, posteriors->data(), nullptr, false);
}

double HmmModel::ViterbiAlign(const SentencePair& pair, std::vector<uint32_t>* alignment) const {
  const uint32_t l = pair.source.size(), m = pair.target.size();
  alignment->assign(m, 0);
  if (l == 0 || m == 0) return 0;
  thread_local PairLookup lookup;
  return Viterbi(l, m, Emissions(pair, &lookup), alignment);
}

double HmmModel::ViterbiAndPosteriors(const SentencePair& pair, std::vector<uint32_t>* alignment,
                                      std::vector<double>* posteriors) const {
  const uint32_t l = pair.source.size(), m = pair.target.size();
  alignment->assign(m, 0);
  posteriors->assign(static_cast<size_t>(l + 1) * m, 0.0);
  if (l == 0 || m == 0) return 0;
  thread_local PairLookup lookup;
  const double* emit = Emissions(pair, &lookup);
  ForwardBackward(l, m, emit, lookup, posteriors->data(), nullptr, false);
  return Viterbi(l, m, emit, alignment);
}

double HmmModel::Viterbi(uint32_t l, uint32_t m, const double* emit,
                         std::vector<uint32_t>* alignment) const {
  const uint32_t stride = l + 1;
  thread_local std::vector<double> trans_t, real, null, best;
  thread_local std::vector<uint32_t> back, best_state;
  const JumpTables& t = CachedJumpTables(l, m);
  const double p0 = p0_, lambda = options_.jump_smoothing;
  const double a = (1.0 - p0) * (1.0 - lambda), u0 = (1.0 - p0) * lambda / l;
  trans_t.resize(static_cast<size_t>(l) * stride);
  // States are numbered R_i -> i - 1, N_r -> l + r; back[j * states + s] is
  // the best predecessor of state s at position j. Scores are scaled so that
  // each position's best is 1; log_prob collects the scales.
  const uint32_t states = 2 * l + 1;
  back.resize(static_cast<size_t>(states) * m);
  real.resize(l);
  null.resize(stride);
  best.resize(stride);
  best_state.resize(stride);
  double log_prob = 0;
  for (uint32_t j = 0; j < m; ++j) {
    const double* e = emit + static_cast<size_t>(j) * stride;
    const double* g = t.g.data() + static_cast<size_t>(j) * l;
    const double* iz = t.inv_z_row(j, l);
    uint32_t* bp = back.data() + static_cast<size_t>(j) * states;
    if (j == 0) {
      for (uint32_t i = 0; i < l; ++i) real[i] = (a * t.w[i] * g[i] * iz[0] + u0) * e[i + 1];
      null[0] = p0 * e[0];
      for (uint32_t r = 1; r <= l; ++r) null[r] = 0;
      std::fill(bp, bp + states, l);
    } else {
      // trans_t[(i - 1) * (l + 1) + r] = T_j(r, i).
      for (uint32_t i = 0; i < l; ++i) {
        const double* w = t.w_t.data() + static_cast<size_t>(i) * stride;
        double* column = trans_t.data() + static_cast<size_t>(i) * stride;
        const double ag = a * g[i];
        for (uint32_t r = 0; r <= l; ++r) column[r] = ag * w[r] * iz[r] + u0;
      }
      // The best state remembering r: N_r (r = 0) or the better of R_r and
      // N_r, ties to R_r.
      best[0] = null[0];
      best_state[0] = l;
      for (uint32_t r = 1; r <= l; ++r) {
        if (real[r - 1] >= null[r]) {
          best[r] = real[r - 1];
          best_state[r] = r - 1;
        } else {
          best[r] = null[r];
          best_state[r] = l + r;
        }
      }
      for (uint32_t i = 0; i < l; ++i) {
        const double* column = trans_t.data() + static_cast<size_t>(i) * stride;
        double top;
        const uint32_t arg = FirstArgMax(best.data(), column, stride, &top);
        real[i] = top * e[i + 1];
        bp[i] = best_state[arg];
      }
      const double to_null = p0 * e[0];
      for (uint32_t r = 0; r <= l; ++r) {
        null[r] = to_null * best[r];
        bp[l + r] = best_state[r];
      }
    }
    double top = 0;
    for (uint32_t i = 0; i < l; ++i) top = std::max(top, real[i]);
    for (uint32_t r = 0; r <= l; ++r) top = std::max(top, null[r]);
    top = std::max(top, kMinScale);
    log_prob += std::log(top);
    const double inv = 1.0 / top;
    for (uint32_t i = 0; i < l; ++i) real[i] *= inv;
    for (uint32_t r = 0; r <= l; ++r) null[r] *= inv;
  }
  // The best final state, with its jump to the end: real states first, so
  // ties go to a source word.
  uint32_t state = 0;
  double top = -1;
  for (uint32_t i = 0; i < l; ++i) {
    if (real[i] * t.end[i + 1] > top) {
      top = real[i] * t.end[i + 1];
      state = i;
    }
  }
  for (uint32_t r = 0; r <= l; ++r) {
    if (null[r] * t.end[r] > top) {
      top = null[r] * t.end[r];
      state = l + r;
    }
  }
  if (options_.end_jump) log_prob += std::log(std::max(top, kMinScale));
  for (uint32_t j = m; j-- > 0;) {
    (*alignment)[j] = state < l ? state + 1 : 0;
    state = back[static_cast<size_t>(j) * states + state];
  }
  return log_prob;
}

void HmmModel::Maximize(const ExpectedCounts& counts) {
  EstimateTranslationTable(counts.translation(), prior_, table_.get());
  // One minorize-maximize step on the jump weights: w_b <- N_b / D_b. Buckets
  // no pair can reach (D_b = 0) keep their weight.
  const FixedPointArray& c = counts.alignment;
  if (c.size() != 2 * num_buckets()) return;
  double total = 0;
  for (size_t b = 0; b < num_buckets(); ++b) total += c.Get(JumpCountIndex(b));
  if (!(total > 0)) return;
  // Widths the corpus hardly ever reaches (say a jump of 12 when the longest
  // sentence has 12 words) have N_b and D_b both near 0, and their ratio is
  // noise. So buckets are pooled from the outside in until a pool has seen
  // enough events, and a pool shares one weight, sum N / sum D. A pool keeps
  // its old weights if that would lower the surrogate
  // sum_b N_b log w_b - D_b w_b, so the step still never lowers Q.
  const double min_events = kMinJumpEvidence * total;
  std::vector<double> next = weights_;
  std::vector<size_t> pool;
  auto flush = [&] {
    double n = 0, d = 0;
    for (size_t b : pool) {
      n += c.Get(JumpCountIndex(b));
      d += c.Get(JumpDenominatorIndex(b));
    }
    if (d > 0) {
      const double w = n / d;
      double gain = 0;
      for (size_t b : pool) {
        const double nb = c.Get(JumpCountIndex(b)), db = c.Get(JumpDenominatorIndex(b));
        const double old = weights_[b];
        gain += (nb > 0 ? nb * (std::log(w) - std::log(old)) : 0.0) - db * (w - old);
      }
      if (gain >= 0) {
        for (size_t b : pool) next[b] = w;
      }
    }
    pool.clear();
  };
  auto add = [&](size_t b) {
    pool.push_back(b);
    double events = 0;
    for (size_t p : pool) {
      events += std::max(c.Get(JumpCountIndex(p)), c.Get(JumpDenominatorIndex(p)) * weights_[p]);
    }
    if (events >= min_events) flush();
  };
  const size_t k = max_jump_;
  for (size_t b = 0; b < k; ++b) add(b);  // widths -max_jump .. -1
  flush();
  for (size_t b = 2 * k; b > k; --b) add(b);  // widths max_jump .. 1
  flush();
  add(k);  // width 0
  flush();
  for (size_t b = num_buckets(); b-- > num_jump_buckets();) add(b);  // start max_jump .. 1
  flush();
  set_jump_weights(next);
}

void HmmModel::WriteParameters(ModelWriter* writer) const {
  writer->PutDoubles("hmm.p0", {options_.null_probability});
  writer->PutDoubles("hmm.jump_smoothing", {options_.jump_smoothing});
  writer->PutDoubles("hmm.diagonal_tension", {options_.diagonal_tension});
  writer->PutUint64s("hmm.end_jump", {options_.end_jump ? 1u : 0u});
  writer->PutUint64s("hmm.max_jump", {static_cast<uint64_t>(options_.max_jump)});
  writer->PutDoubles("hmm.weights", weights_);
}

absl::Status HmmModel::ReadParameters(const ModelReader& reader) {
  ASSIGN_OR_RETURN(auto weights, reader.GetDoubles("hmm.weights"));
  if (weights.size() != num_buckets()) return reader.Corrupt("hmm weights have the wrong size");
  for (double w : weights) {
    if (!(w >= 0 && w <= 1)) return reader.Corrupt("hmm weight outside [0, 1]");
  }
  set_jump_weights(weights);
  return absl::OkStatus();
}

ModelInfo HmmModel::Info() {
  ModelInfo info;
  info.name = "hmm";
  info.description = "the HMM of Vogel et al. 1996: jumps between source positions";
  info.create = [](const ModelSetup& setup) -> std::unique_ptr<AlignmentModel> {
    return std::make_unique<HmmModel>(setup.table, setup.options.use_null, setup.options.prior,
                                      setup.options.hmm);
  };
  info.read_options = [](const ModelReader& reader, ModelOptions* model) {
    HmmOptions& options = model->hmm;
    ASSIGN_OR_RETURN(options.null_probability, reader.GetScalar("hmm.p0"));
    ASSIGN_OR_RETURN(options.jump_smoothing, reader.GetScalar("hmm.jump_smoothing"));
    ASSIGN_OR_RETURN(options.diagonal_tension, reader.GetScalar("hmm.diagonal_tension"));
    ASSIGN_OR_RETURN(const uint64_t end_jump, reader.GetUint64("hmm.end_jump"));
    ASSIGN_OR_RETURN(const uint64_t max_jump, reader.GetUint64("hmm.max_jump"));
    if (end_jump > 1 || !(options.diagonal_tension >= 0 && options.diagonal_tension <= 700) ||
        max_jump == 0 || max_jump > 10000 ||
        !(options.null_probability >= 0 && options.null_probability < 1) ||
        !(options.jump_smoothing >= 0 && options.jump_smoothing <= 1)) {
      return reader.Corrupt("hmm parameters out of range");
    }
    options.end_jump = end_jump == 1;
    options.max_jump = static_cast<int>(max_jump);
    return absl::OkStatus();
  };
  return info;
}

}  // namespace aligner
