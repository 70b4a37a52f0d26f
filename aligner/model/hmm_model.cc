#include "aligner/model/hmm_model.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace aligner {
namespace {

// Keeps log() finite and divisions defined if a position's mass underflows.
constexpr double kMinScale = 1e-300;

}  // namespace

HmmModel::HmmModel(std::shared_ptr<TranslationTable> table, bool use_null,
                   TranslationPrior prior, HmmOptions options, uint32_t max_source_length)
    : table_(std::move(table)),
      use_null_(use_null),
      prior_(prior),
      options_(options),
      max_jump_(std::max(1, options.max_jump)),
      p0_(use_null ? options.null_probability : 0.0),
      max_source_length_(max_source_length) {
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
  // Bucket counts N_b, then M(l, r) for l = 1..max_source_length, r = 0..l.
  // (l = max_source_length + 1 holds the jumps to the end of the longest.)
  counts->Reset(table_->num_entries(), LengthOffset(max_source_length_ + 2));
}

void HmmModel::Transitions(uint32_t l, double* probs, double* transposed, double* jump_scale,
                           double* end, double* end_scale) const {
  const double lambda = options_.jump_smoothing;
  const double uniform = (1.0 - p0_) * lambda / l;
  for (uint32_t r = 0; r <= l; ++r) {
    double* row = probs + static_cast<size_t>(r) * l;
    double z = 0;
    for (uint32_t i = 1; i <= l; ++i) {
      row[i - 1] = weights_[Bucket(r, i)];
      z += row[i - 1];
    }
    if (end != nullptr) {
      // The jump to position l + 1, normalized over 1..l + 1.
      const double w_end = options_.end_jump ? weights_[Bucket(r, l + 1)] : 0.0;
      const double z_end = z + w_end;
      const double scale = z_end > 0 ? (1.0 - lambda) / z_end : 0.0;
      end[r] = options_.end_jump ? scale * w_end + lambda / (l + 1) : 1.0;
      if (end_scale != nullptr) end_scale[r] = options_.end_jump ? scale : 0.0;
    }
    if (z > 0) {
      const double scale = (1.0 - p0_) * (1.0 - lambda) / z;
      for (uint32_t i = 0; i < l; ++i) row[i] = row[i] * scale + uniform;
      if (jump_scale != nullptr) jump_scale[r] = scale;
    } else {
      // No weight anywhere in reach: only the uniform jump is left.
      for (uint32_t i = 0; i < l; ++i) row[i] = (1.0 - p0_) / l;
      if (jump_scale != nullptr) jump_scale[r] = 0;
    }
  }
  if (transposed != nullptr) {
    const uint32_t stride = l + 1;
    for (uint32_t r = 0; r <= l; ++r) {
      for (uint32_t i = 0; i < l; ++i) {
        transposed[static_cast<size_t>(i) * stride + r] = probs[static_cast<size_t>(r) * l + i];
      }
    }
  }
}

void HmmModel::TransitionMatrix(uint32_t l, std::vector<double>* probs) const {
  probs->resize(static_cast<size_t>(l + 1) * l);
  if (l > 0) Transitions(l, probs->data(), nullptr, nullptr, nullptr, nullptr);
}

void HmmModel::EndProbabilities(uint32_t l, std::vector<double>* probs) const {
  probs->resize(l + 1);
  if (l == 0) return;
  std::vector<double> transitions(static_cast<size_t>(l + 1) * l);
  Transitions(l, transitions.data(), nullptr, nullptr, probs->data(), nullptr);
}

void HmmModel::Emissions(const SentencePair& pair, double* emit,
                         TranslationTable::Slot* slots) const {
  const uint32_t l = pair.source.size(), m = pair.target.size(), stride = l + 1;
  for (uint32_t i = 0; i <= l; ++i) {
    if (i == 0 && !use_null_) {
      for (uint32_t j = 0; j < m; ++j) slots[static_cast<size_t>(j) * stride] = TranslationTable::kNoSlot;
      continue;
    }
    const WordId e = i == 0 ? kNullWord : pair.source[i - 1];
    table_->FindBatch(e, pair.target.data(), m, slots + i, stride);
  }
  const size_t n = static_cast<size_t>(stride) * m;
  for (size_t k = 0; k < n; ++k) {
    const TranslationTable::Slot slot = slots[k];
    emit[k] = slot == TranslationTable::kNoSlot ? kUnknownTranslationProb : table_->prob(slot);
  }
  // Without a NULL word the NULL states are unreachable (p0 = 0) anyway.
  if (!use_null_) {
    for (uint32_t j = 0; j < m; ++j) emit[static_cast<size_t>(j) * stride] = 0;
  }
}

double HmmModel::ForwardBackward(const SentencePair& pair, double* posteriors,
                                 ExpectedCounts* counts) const {
  const uint32_t l = pair.source.size(), m = pair.target.size(), stride = l + 1;
  thread_local std::vector<double> emit, trans, trans_t, jump_scale, end, end_scale, alpha_real,
      alpha_null, scale, beta, beta_next, u, rho, acc, xsum;
  thread_local std::vector<TranslationTable::Slot> slots;
  const size_t cells = static_cast<size_t>(stride) * m;
  emit.resize(cells);
  slots.resize(cells);
  Emissions(pair, emit.data(), slots.data());
  trans.resize(static_cast<size_t>(stride) * l);
  trans_t.resize(trans.size());
  jump_scale.resize(stride);
  end.resize(stride);
  end_scale.resize(stride);
  Transitions(l, trans.data(), trans_t.data(), jump_scale.data(), end.data(), end_scale.data());
  alpha_real.resize(static_cast<size_t>(l) * m);
  alpha_null.resize(cells);
  scale.resize(m);
  beta.resize(stride);
  beta_next.resize(stride);
  u.resize(l);
  rho.resize(stride);
  acc.resize(l);
  const double p0 = p0_;

  // Forward, scaled so that every position's state probabilities sum to 1.
  // rho[r]: mass of the states remembering r (R_r and N_r) at position j - 1.
  double log_likelihood = 0;
  for (uint32_t j = 0; j < m; ++j) {
    const double* e = emit.data() + static_cast<size_t>(j) * stride;
    double* ar = alpha_real.data() + static_cast<size_t>(j) * l;
    double* an = alpha_null.data() + static_cast<size_t>(j) * stride;
    if (j == 0) {
      // The chain starts from N_0.
      for (uint32_t i = 0; i < l; ++i) ar[i] = trans[i] * e[i + 1];
      an[0] = p0 * e[0];
      for (uint32_t r = 1; r <= l; ++r) an[r] = 0;
    } else {
      const double* pr = alpha_real.data() + static_cast<size_t>(j - 1) * l;
      const double* pn = alpha_null.data() + static_cast<size_t>(j - 1) * stride;
      rho[0] = pn[0];
      for (uint32_t r = 1; r <= l; ++r) rho[r] = pr[r - 1] + pn[r];
      std::fill(acc.begin(), acc.end(), 0.0);
      double* a = acc.data();
      for (uint32_t r = 0; r <= l; ++r) {
        const double x = rho[r];
        const double* row = trans.data() + static_cast<size_t>(r) * l;
        for (uint32_t i = 0; i < l; ++i) a[i] += x * row[i];
      }
      for (uint32_t i = 0; i < l; ++i) ar[i] = a[i] * e[i + 1];
      const double to_null = p0 * e[0];
      for (uint32_t r = 0; r <= l; ++r) an[r] = to_null * rho[r];
    }
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

  // Backward, scaled by the same factors: beta[r] is the scaled probability
  // of the rest of the target given a state remembering r (R_r and N_r share
  // it). xsum[r * l + i - 1] sums rho_j(r) u_{j+1}(i) over j: times the
  // transition probability it is the expected number of jumps r -> i.
  const bool count_jumps = counts != nullptr && l <= max_source_length_;
  if (count_jumps) xsum.assign(static_cast<size_t>(stride) * l, 0.0);
  // The end: after the last word the chain jumps to position l + 1.
  {
    const double* ar = alpha_real.data() + static_cast<size_t>(m - 1) * l;
    const double* an = alpha_null.data() + static_cast<size_t>(m - 1) * stride;
    rho[0] = an[0];
    for (uint32_t r = 1; r <= l; ++r) rho[r] = ar[r - 1] + an[r];
    double c = 0;
    for (uint32_t r = 0; r <= l; ++r) c += rho[r] * end[r];
    c = std::max(c, kMinScale);
    if (options_.end_jump) log_likelihood += std::log(c);
    const double inv = 1.0 / c;
    for (uint32_t r = 0; r <= l; ++r) beta_next[r] = end[r] * inv;
    if (count_jumps && options_.end_jump) {
      // As a jump out of r in a sentence of length l + 1.
      const size_t offset = LengthOffset(l + 1);
      for (uint32_t r = 0; r <= l; ++r) {
        const size_t b = Bucket(r, l + 1);
        const double n = rho[r] * end_scale[r] * weights_[b] * inv;
        if (n > 0) {
          counts->alignment.Add(b, n);
          counts->alignment.Add(offset + r, n);
        }
      }
    }
  }
  for (int64_t j = static_cast<int64_t>(m) - 1; j >= -1; --j) {
    if (j < static_cast<int64_t>(m) - 1) {
      // beta_next holds position j + 1; compute u and beta for position j.
      const double* e1 = emit.data() + static_cast<size_t>(j + 1) * stride;
      const double inv = 1.0 / scale[j + 1];
      for (uint32_t i = 0; i < l; ++i) u[i] = e1[i + 1] * beta_next[i + 1] * inv;
      if (j < 0) {
        // The start: one jump out of r = 0 with probability 1.
        if (count_jumps) {
          for (uint32_t i = 0; i < l; ++i) xsum[i] += u[i];
        }
        break;
      }
      const double stay = p0 * e1[0] * inv;
      for (uint32_t r = 0; r <= l; ++r) beta[r] = stay * beta_next[r];
      double* b = beta.data();
      for (uint32_t i = 0; i < l; ++i) {
        const double x = u[i];
        const double* column = trans_t.data() + static_cast<size_t>(i) * stride;
        for (uint32_t r = 0; r <= l; ++r) b[r] += x * column[r];
      }
      if (count_jumps) {
        const double* ar = alpha_real.data() + static_cast<size_t>(j) * l;
        const double* an = alpha_null.data() + static_cast<size_t>(j) * stride;
        for (uint32_t r = 0; r <= l; ++r) {
          const double x = an[r] + (r > 0 ? ar[r - 1] : 0.0);
          double* row = xsum.data() + static_cast<size_t>(r) * l;
          for (uint32_t i = 0; i < l; ++i) row[i] += x * u[i];
        }
      }
      std::swap(beta, beta_next);
    }
    // beta_next now holds position j: the posteriors of position j.
    const double* ar = alpha_real.data() + static_cast<size_t>(j) * l;
    const double* an = alpha_null.data() + static_cast<size_t>(j) * stride;
    double* column = posteriors + static_cast<size_t>(j) * stride;
    double null_mass = 0, total = 0;
    for (uint32_t r = 0; r <= l; ++r) null_mass += an[r] * beta_next[r];
    column[0] = null_mass;
    total = null_mass;
    for (uint32_t i = 1; i <= l; ++i) {
      column[i] = ar[i - 1] * beta_next[i];
      total += column[i];
    }
    const double inv_total = 1.0 / std::max(total, kMinScale);
    for (uint32_t i = 0; i <= l; ++i) column[i] *= inv_total;
    if (counts != nullptr) {
      const TranslationTable::Slot* column_slots = slots.data() + static_cast<size_t>(j) * stride;
      for (uint32_t i = 0; i <= l; ++i) {
        if (column_slots[i] != TranslationTable::kNoSlot) {
          counts->AddTranslation(column_slots[i], column[i]);
        }
      }
    }
  }

  if (count_jumps) {
    // Only the part of each expected jump drawn from the weighted (not the
    // uniform) component counts toward the weights.
    thread_local std::vector<double> bucket_counts;
    bucket_counts.assign(num_buckets(), 0.0);
    const size_t offset = LengthOffset(l);
    for (uint32_t r = 0; r <= l; ++r) {
      const double s = jump_scale[r];
      const double* row = xsum.data() + static_cast<size_t>(r) * l;
      double from_r = 0;
      for (uint32_t i = 1; i <= l; ++i) {
        const size_t b = Bucket(r, i);
        const double n = s * weights_[b] * row[i - 1];
        bucket_counts[b] += n;
        from_r += n;
      }
      if (from_r > 0) counts->alignment.Add(offset + r, from_r);
    }
    for (size_t b = 0; b < bucket_counts.size(); ++b) {
      if (bucket_counts[b] > 0) counts->alignment.Add(b, bucket_counts[b]);
    }
  }
  return log_likelihood;
}

void HmmModel::AddExpectedCounts(const SentencePair& pair, ExpectedCounts* counts) const {
  const uint32_t l = pair.source.size(), m = pair.target.size();
  if (l == 0 || m == 0) return;
  thread_local std::vector<double> posteriors;
  posteriors.resize(static_cast<size_t>(l + 1) * m);
  const double log_likelihood = ForwardBackward(pair, posteriors.data(), counts);
  counts->AddLogLikelihood(log_likelihood);
  counts->pairs += 1;
  counts->target_tokens += m;
  counts->links += static_cast<int64_t>(l + 1) * m;
}

double HmmModel::Posteriors(const SentencePair& pair, std::vector<double>* posteriors) const {
  const uint32_t l = pair.source.size(), m = pair.target.size();
  posteriors->assign(static_cast<size_t>(l + 1) * m, 0.0);
  if (l == 0 || m == 0) return 0;
  return ForwardBackward(pair, posteriors->data(), nullptr);
}

double HmmModel::ViterbiAlign(const SentencePair& pair, std::vector<uint32_t>* alignment) const {
  const uint32_t l = pair.source.size(), m = pair.target.size(), stride = l + 1;
  alignment->assign(m, 0);
  if (l == 0 || m == 0) return 0;
  thread_local std::vector<double> emit, trans, trans_t, end, real, null, best;
  thread_local std::vector<uint32_t> back, best_state;
  thread_local std::vector<TranslationTable::Slot> slots;
  emit.resize(static_cast<size_t>(stride) * m);
  slots.resize(emit.size());
  Emissions(pair, emit.data(), slots.data());
  trans.resize(static_cast<size_t>(stride) * l);
  trans_t.resize(trans.size());
  end.resize(stride);
  Transitions(l, trans.data(), trans_t.data(), nullptr, end.data(), nullptr);
  // States are numbered R_i -> i - 1, N_r -> l + r; back[j * states + s] is
  // the best predecessor of state s at position j. Scores are scaled so that
  // each position's best is 1; log_prob collects the scales.
  const uint32_t states = 2 * l + 1;
  back.resize(static_cast<size_t>(states) * m);
  real.resize(l);
  null.resize(stride);
  best.resize(stride);
  best_state.resize(stride);
  const double p0 = p0_;
  double log_prob = 0;
  for (uint32_t j = 0; j < m; ++j) {
    const double* e = emit.data() + static_cast<size_t>(j) * stride;
    uint32_t* bp = back.data() + static_cast<size_t>(j) * states;
    if (j == 0) {
      for (uint32_t i = 0; i < l; ++i) real[i] = trans[i] * e[i + 1];
      null[0] = p0 * e[0];
      for (uint32_t r = 1; r <= l; ++r) null[r] = 0;
      std::fill(bp, bp + states, l);
    } else {
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
        double top = -1;
        uint32_t arg = 0;
        for (uint32_t r = 0; r <= l; ++r) {
          const double v = best[r] * column[r];
          if (v > top) {
            top = v;
            arg = r;
          }
        }
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
    if (real[i] * end[i + 1] > top) {
      top = real[i] * end[i + 1];
      state = i;
    }
  }
  for (uint32_t r = 0; r <= l; ++r) {
    if (null[r] * end[r] > top) {
      top = null[r] * end[r];
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

  // The jump weights: maximize sum_b N_b log w_b - sum_{l,r} M(l,r) log Z(l,r)
  // by minorize-maximize (Hunter and Lange 2004): with n_b(l, r) the number
  // of positions of bucket b reachable from r,
  //   w_b <- N_b / sum_{l,r} M(l, r) n_b(l, r) / Z(l, r).
  // Each update increases the objective, so the M-step never lowers it.
  const FixedPointArray& a = counts.alignment;
  const size_t num_b = num_buckets(), jump_b = num_jump_buckets();
  if (a.size() != LengthOffset(max_source_length_ + 2)) return;
  std::vector<double> bucket(num_b);
  double total = 0;
  for (size_t b = 0; b < num_b; ++b) {
    bucket[b] = a.Get(b);
    total += bucket[b];
  }
  if (!(total > 0)) return;
  struct Origin {
    uint32_t l, r;
    double count;
  };
  std::vector<Origin> origins;
  for (uint32_t l = 1; l <= max_source_length_ + 1; ++l) {
    const size_t offset = LengthOffset(l);
    for (uint32_t r = 0; r <= l; ++r) {
      const double count = a.Get(offset + r);
      if (count > 0) origins.push_back({l, r, count});
    }
  }
  const int64_t k = max_jump_;
  std::vector<double> w = weights_, denominator(num_b), reach(num_b);
  // For each origin, calls visit(bucket, positions) for the buckets in reach.
  auto for_each_bucket = [&](const Origin& o, auto&& visit) {
    if (o.r == 0) {
      const int64_t l = o.l;
      for (int64_t s = 1; s < k && s <= l; ++s) visit(jump_b + s - 1, 1.0);
      if (l >= k) visit(jump_b + k - 1, static_cast<double>(l - k + 1));
      return;
    }
    const int64_t lo = 1 - static_cast<int64_t>(o.r), hi = static_cast<int64_t>(o.l) - o.r;
    const int64_t far_left = std::min(hi, -k) - lo + 1;
    if (far_left > 0) visit(0, static_cast<double>(far_left));
    for (int64_t d = std::max(lo, -k + 1); d <= std::min(hi, k - 1); ++d) visit(d + k, 1.0);
    const int64_t far_right = hi - std::max(lo, k) + 1;
    if (far_right > 0) visit(2 * k, static_cast<double>(far_right));
  };
  for (int step = 0; step < options_.max_jump_updates; ++step) {
    std::fill(denominator.begin(), denominator.end(), 0.0);
    for (const Origin& o : origins) {
      double z = 0;
      for_each_bucket(o, [&](size_t b, double n) { z += n * w[b]; });
      if (!(z > 0)) continue;
      const double f = o.count / z;
      for_each_bucket(o, [&](size_t b, double n) { denominator[b] += f * n; });
    }
    std::vector<double> next = w;
    for (size_t b = 0; b < num_b; ++b) {
      if (denominator[b] > 0) next[b] = bucket[b] / denominator[b];
    }
    // Normalize each group (the objective does not depend on their scales).
    double change = 0;
    for (int g = 0; g < 2; ++g) {
      const size_t begin = g == 0 ? 0 : jump_b, end = g == 0 ? jump_b : num_b;
      double sum = 0;
      for (size_t b = begin; b < end; ++b) sum += next[b];
      if (!(sum > 0)) {
        for (size_t b = begin; b < end; ++b) next[b] = w[b];
        continue;
      }
      for (size_t b = begin; b < end; ++b) {
        next[b] /= sum;
        change = std::max(change, std::fabs(next[b] - w[b]) / std::max(w[b], 1e-300));
      }
    }
    w.swap(next);
    if (change < 1e-9) break;
  }
  weights_ = w;
}

}  // namespace aligner
