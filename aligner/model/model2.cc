#include "aligner/model/model2.h"

#include <algorithm>

namespace aligner {

AlignmentTable AlignmentTable::FromCorpus(const ParallelCorpus& corpus, bool use_null) {
  AlignmentTable table;
  for (size_t k = 0; k < corpus.size(); ++k) {
    const SentencePair pair = corpus.pair(k);
    if (pair.source.empty() || pair.target.empty()) continue;
    table.AddLengths(pair.source.size(), pair.target.size(), use_null);
  }
  return table;
}

void AlignmentTable::AddLengths(uint32_t l, uint32_t m, bool use_null) {
  auto [it, inserted] = offsets_.try_emplace(Key(l, m), probs_.size());
  if (!inserted) return;
  const uint32_t stride = l + 1;
  const double uniform = 1.0 / (use_null ? l + 1 : l);
  probs_.resize(probs_.size() + static_cast<size_t>(stride) * m, uniform);
  if (!use_null) {
    for (uint32_t j = 0; j < m; ++j) probs_[it->second + j * stride] = 0;
  }
}

void Model2::AlignmentMatrix(uint32_t l, uint32_t m, double* probs) const {
  const size_t n = static_cast<size_t>(l + 1) * m;
  const int64_t offset = alignment_.Find(l, m);
  if (offset >= 0) {
    std::copy(alignment_.probs().begin() + offset, alignment_.probs().begin() + offset + n, probs);
    return;
  }
  const double uniform = 1.0 / (use_null() ? l + 1 : l);
  std::fill(probs, probs + n, uniform);
  if (!use_null()) {
    for (uint32_t j = 0; j < m; ++j) probs[j * (l + 1)] = 0;
  }
}

void Model2::AddAlignmentCounts(uint32_t l, uint32_t m, const double* posteriors,
                                ExpectedCounts* counts) const {
  const int64_t offset = alignment_.Find(l, m);
  if (offset < 0) return;
  const size_t n = static_cast<size_t>(l + 1) * m;
  for (size_t k = 0; k < n; ++k) counts->alignment.Add(offset + k, posteriors[k]);
}

void Model2::MaximizeAlignment(const ExpectedCounts& counts) {
  std::vector<double>& probs = alignment_.mutable_probs();
  for (const auto& [key, offset] : alignment_.blocks()) {
    const uint32_t l = key >> 32, m = key & 0xffffffffu, stride = l + 1;
    for (uint32_t j = 0; j < m; ++j) {
      const size_t base = offset + static_cast<size_t>(j) * stride;
      double total = 0;
      for (uint32_t i = 0; i <= l; ++i) total += counts.alignment.Get(base + i);
      if (total <= 0) continue;
      for (uint32_t i = 0; i <= l; ++i) probs[base + i] = counts.alignment.Get(base + i) / total;
    }
  }
}

}  // namespace aligner
