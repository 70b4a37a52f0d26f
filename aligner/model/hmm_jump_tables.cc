// The HMM: jump tables for a pair of lengths, and their per-thread cache.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "aligner/base/scratch.h"
#include "aligner/model/hmm_kernels.h"
#include "aligner/model/hmm_model.h"

namespace aligner {

using hmm::AccumulateRows;
using hmm::kRowPadding;

const HmmModel::JumpTables& HmmModel::CachedJumpTables(uint32_t l, uint32_t m) const {
  // A few entries, least recently used out: training by agreement
  // alternates two models, and decoding asks for Viterbi and posteriors.
  constexpr int kEntries = 4;
  constexpr size_t kJumpCacheBytes = size_t{4} << 20;
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
  // An entry keeps the capacity of the longest pair it held (w alone is
  // l^2 doubles, 8 MB at l = 1,000): beyond the entry in use, the cache
  // keeps at most kJumpCacheBytes, releasing the least recently used first.
  // Entries of ordinary pairs are a few kB; this only frees long pairs'.
  size_t others = 0;
  for (const JumpTables& t : cache) others += &t == oldest ? 0 : t.Bytes();
  while (others > kJumpCacheBytes) {
    JumpTables* lru = nullptr;
    for (JumpTables& t : cache) {
      if (&t != oldest && t.Bytes() > 0 && (lru == nullptr || t.last_used < lru->last_used)) {
        lru = &t;
      }
    }
    others -= lru->Bytes();
    lru->Release();
  }
  return *oldest;
}

size_t HmmModel::JumpTables::Bytes() const {
  size_t doubles = 0;
  for (const std::vector<double>* v :
       {&w, &w_t, &g, &inv_z, &end, &end_inv_z, &up, &down, &left, &right}) {
    doubles += v->capacity();
  }
  return doubles * sizeof(double) + (before.capacity() + from.capacity()) * sizeof(uint32_t);
}

void HmmModel::JumpTables::Release() { *this = JumpTables(); }

void HmmModel::ComputeJumpTables(uint32_t l, uint32_t m, JumpTables* t) const {
  const uint32_t stride = l + 1;
  const double lambda = options_.jump_smoothing, tau = options_.diagonal_tension;
  t->diagonal = tau > 0;
  // Padded for AccumulateRows.
  ResizeScratch(&t->w, static_cast<size_t>(stride) * l + kRowPadding);
  ResizeScratch(&t->w_t, t->w.size());
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
  ResizeScratch(&t->inv_z, t->diagonal ? static_cast<size_t>(stride) * m : stride);
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
  ResizeScratch(&t->g, static_cast<size_t>(l) * m);
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
  t->before.resize(l);
  t->from.resize(l);
  for (uint32_t i = 1, j = 0; i <= l; ++i) {
    while (j < m && !(static_cast<double>(i) / l <= static_cast<double>(j + 1) / m)) ++j;
    t->before[i - 1] = j;
  }
  for (uint32_t i = l, j = m; i >= 1; --i) {
    while (j > 0 && static_cast<double>(i) / l <= static_cast<double>(j) / m) --j;
    t->from[i - 1] = j;
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

}  // namespace aligner
