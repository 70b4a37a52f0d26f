// The HMM: the Viterbi alignment.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "aligner/base/scratch.h"
#include "aligner/model/hmm_kernels.h"
#include "aligner/model/hmm_model.h"
#include "aligner/model/pair_lookup.h"

namespace aligner {

using hmm::FirstArgMax;
using hmm::kMinScale;

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
  ResizeScratch(&trans_t, static_cast<size_t>(l) * stride);
  // States are numbered R_i -> i - 1, N_r -> l + r; back[j * states + s] is
  // the best predecessor of state s at position j. Scores are scaled so that
  // each position's best is 1; log_prob collects the scales.
  const uint32_t states = 2 * l + 1;
  ResizeScratch(&back, static_cast<size_t>(states) * m);
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

}  // namespace aligner
