// The HMM: forward-backward (the E-step, posteriors).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "aligner/base/scratch.h"
#include "aligner/model/hmm_kernels.h"
#include "aligner/model/hmm_model.h"
#include "aligner/model/pair_lookup.h"

namespace aligner {

using hmm::AccumulateRows;
using hmm::kMinScale;
using hmm::kRowPadding;

double HmmModel::ForwardBackward(uint32_t l, uint32_t m, const double* emit,
                                 const PairLookup& lookup, double* posteriors,
                                 ExpectedCounts* counts, bool translation_counts) const {
  const uint32_t stride = l + 1;
  thread_local std::vector<double> alpha_real, alpha_null, scale, beta, beta_next, u, h, v, rho,
      acc, x, xs, hs, xsum, coef, y, bucket_n, bucket_d;
  const size_t cells = static_cast<size_t>(stride) * m;
  // The translation counts of the pair follow forward-backward (here or in
  // the agreement trainer): start fetching their lines.
  if (counts != nullptr) lookup.PrefetchCounts(*counts);
  const JumpTables& t = CachedJumpTables(l, m);
  ResizeScratch(&alpha_real, static_cast<size_t>(l) * m);
  ResizeScratch(&alpha_null, cells);
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
  const double u0 = (1.0 - p0) * lambda / l;     // uniform part
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
    ResizeScratch(&xsum, static_cast<size_t>(stride) * l);
    AssignScratch(&coef, cells, 0.0);
    // Step s of the backward pass (position m - 1 - s) keeps its x and h
    // here; xsum is summed from them afterwards.
    ResizeScratch(&xs, cells);
    ResizeScratch(&hs, static_cast<size_t>(l) * m + kRowPadding);
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
          for (; j < t.before[i - 1]; ++j)
            sum += coef[static_cast<size_t>(j) * stride + r] * t.right[j];
          y[i - 1] = t.down[i - 1] * sum;
        }
        sum = 0;
        j = m;
        for (uint32_t i = l; i >= 1; --i) {
          // x_i <= c_j: g_j(i) = left_j up_i.
          while (j > t.from[i - 1]) {
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
  ResizeScratch(&posteriors, static_cast<size_t>(l + 1) * m);
  const double* emit = Emissions(pair, &lookup);
  const double log_likelihood =
      ForwardBackward(l, m, emit, lookup, posteriors.data(), counts, true);
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
  ResizeScratch(posteriors, static_cast<size_t>(l + 1) * m);
  const double* emit = Emissions(pair, lookup);
  const double log_likelihood =
      ForwardBackward(l, m, emit, *lookup, posteriors->data(), counts, false);
  counts->AddPair(log_likelihood, l, m);
}

void HmmModel::AddViterbiCounts(const SentencePair& pair, ExpectedCounts* counts) const {
  const uint32_t l = pair.source.size(), m = pair.target.size();
  if (l == 0 || m == 0) return;
  thread_local PairLookup lookup;
  thread_local std::vector<uint32_t> path;
  thread_local std::vector<double> path_emissions, posteriors;
  path.assign(m, 0);
  const double log_prob = Viterbi(l, m, Emissions(pair, &lookup), &path);
  // Forward-backward with emissions 1 on the path's states and 0 elsewhere
  // has the path as its one alignment: its posteriors and jump counts are
  // the path's (a NULL link's state remembers the last real position, as on
  // the path), through the same code as the soft counts.
  const size_t stride = static_cast<size_t>(l) + 1;
  AssignScratch(&path_emissions, stride * m, 0.0);
  for (uint32_t j = 0; j < m; ++j) path_emissions[j * stride + path[j]] = 1.0;
  ResizeScratch(&posteriors, stride * m);
  ForwardBackward(l, m, path_emissions.data(), lookup, posteriors.data(), counts, true);
  counts->AddPair(log_prob, l, m);
}

double HmmModel::Posteriors(const SentencePair& pair, std::vector<double>* posteriors) const {
  const uint32_t l = pair.source.size(), m = pair.target.size();
  AssignScratch(posteriors, static_cast<size_t>(l + 1) * m, 0.0);
  if (l == 0 || m == 0) return 0;
  thread_local PairLookup lookup;
  const double* emit = Emissions(pair, &lookup);
  return ForwardBackward(l, m, emit, lookup, posteriors->data(), nullptr, false);
}

}  // namespace aligner
