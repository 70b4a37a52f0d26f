#include "aligner/model/pair_lookup.h"

#include <algorithm>

#include "aligner/base/scratch.h"
#include "aligner/model/slot_cache.h"

namespace aligner {
namespace {

// Sorts a sentence's (word id, position) keys, all distinct, so any sort
// gives the same order. Sentences are short (20 words on average in
// Hansards), where insertion sort beats std::sort's partitioning and is
// done twice per pair in every E-step.
void SortKeys(std::vector<uint64_t>* keys) {
  constexpr size_t kInsertionSortMax = 32;
  uint64_t* const first = keys->data();
  const size_t n = keys->size();
  if (n > kInsertionSortMax) {
    std::sort(first, first + n);
    return;
  }
  for (size_t i = 1; i < n; ++i) {
    const uint64_t key = first[i];
    size_t j = i;
    for (; j > 0 && first[j - 1] > key; --j) first[j] = first[j - 1];
    first[j] = key;
  }
}

}  // namespace

void PairLookup::Lookup(const TranslationTable& table, const SentencePair& pair, bool with_null) {
  if (forward_ != nullptr && transposed_->reverse() == &table &&
      LookupTransposed(table, pair, with_null)) {
    FillProbabilities(table, with_null);
    return;
  }
  l_ = static_cast<uint32_t>(pair.source.size());
  m_ = static_cast<uint32_t>(pair.target.size());
  // Distinct targets in increasing id order (the order rows are sorted in),
  // found by sorting (id, position) keys.
  keys_.resize(m_);
  for (uint32_t j = 0; j < m_; ++j) keys_[j] = (static_cast<uint64_t>(pair.target[j]) << 32) | j;
  SortKeys(&keys_);
  distinct_targets_.clear();
  target_index_.resize(m_);
  for (uint64_t key : keys_) {
    const WordId f = static_cast<WordId>(key >> 32);
    if (distinct_targets_.empty() || distinct_targets_.back() != f) distinct_targets_.push_back(f);
    target_index_[static_cast<uint32_t>(key)] = static_cast<uint32_t>(distinct_targets_.size() - 1);
  }
  const uint32_t width = static_cast<uint32_t>(distinct_targets_.size());

  // Distinct source words, after row 0 for NULL (kNullWord is no word's id).
  keys_.resize(l_);
  for (uint32_t i = 0; i < l_; ++i) {
    keys_[i] = (static_cast<uint64_t>(pair.source[i]) << 32) | (i + 1);
  }
  SortKeys(&keys_);
  distinct_sources_.assign(1, kNullWord);
  source_offset_.resize(static_cast<size_t>(l_) + 1);
  source_offset_[0] = 0;
  for (uint64_t key : keys_) {
    const WordId e = static_cast<WordId>(key >> 32);
    if (distinct_sources_.size() == 1 || distinct_sources_.back() != e) {
      distinct_sources_.push_back(e);
    }
    source_offset_[static_cast<uint32_t>(key)] =
        static_cast<uint32_t>(distinct_sources_.size() - 1) * width;
  }

  ResizeScratch(&slots_, distinct_sources_.size() * width);
  const SlotCache* cache = table.slot_cache();
  if (cache != nullptr && cache->Load(pair, table, distinct_sources_, distinct_targets_.data(),
                                      width, with_null, slots_.data())) {
    FillProbabilities(table, with_null);
    return;
  }
  // The cache holds the NULL row whether or not this lookup needs it.
  const bool store = cache != nullptr && width > 0;
  for (size_t row = 0; row < distinct_sources_.size(); ++row) {
    TranslationTable::Slot* out = slots_.data() + row * width;
    if (row == 0 && !with_null && !store) {
      std::fill_n(out, width, TranslationTable::kNoSlot);
    } else {
      table.FindBatch(distinct_sources_[row], distinct_targets_.data(), width, out, 1);
    }
  }
  if (store) {
    cache->Store(pair, table, distinct_sources_, width, slots_);
    if (!with_null) std::fill_n(slots_.begin(), width, TranslationTable::kNoSlot);
  }
  FillProbabilities(table, with_null);
}

bool PairLookup::LookupTransposed(const TranslationTable& table, const SentencePair& pair,
                                  bool with_null) {
  const PairLookup& forward = *forward_;
  const uint32_t l = static_cast<uint32_t>(pair.source.size());
  const uint32_t m = static_cast<uint32_t>(pair.target.size());
  if (l == 0 || m == 0 || l != forward.m_ || m != forward.l_) return false;
  const uint32_t forward_width = static_cast<uint32_t>(forward.distinct_targets_.size());
  for (uint32_t j = 0; j < l; ++j) {
    if (pair.source[j] != forward.distinct_targets_[forward.target_index_[j]]) return false;
  }
  for (uint32_t i = 0; i < m; ++i) {
    if (pair.target[i] !=
        forward.distinct_sources_[forward.source_offset_[i + 1] / forward_width]) {
      return false;
    }
  }
  // Both lists of distinct words are sorted by id, so this pair's distinct
  // targets are the forward pair's distinct sources without NULL, and its
  // distinct sources are NULL and the forward pair's distinct targets: the
  // layout Lookup would build.
  l_ = l;
  m_ = m;
  distinct_targets_.assign(forward.distinct_sources_.begin() + 1, forward.distinct_sources_.end());
  const uint32_t width = static_cast<uint32_t>(distinct_targets_.size());
  target_index_.resize(m);
  for (uint32_t i = 0; i < m; ++i)
    target_index_[i] = forward.source_offset_[i + 1] / forward_width - 1;
  distinct_sources_.assign(1, kNullWord);
  distinct_sources_.insert(distinct_sources_.end(), forward.distinct_targets_.begin(),
                           forward.distinct_targets_.end());
  source_offset_.resize(static_cast<size_t>(l) + 1);
  source_offset_[0] = 0;
  for (uint32_t j = 0; j < l; ++j) source_offset_[j + 1] = (forward.target_index_[j] + 1) * width;

  ResizeScratch(&slots_, distinct_sources_.size() * width);
  if (with_null) {
    table.FindBatch(kNullWord, distinct_targets_.data(), width, slots_.data(), 1);
  } else {
    std::fill_n(slots_.begin(), width, TranslationTable::kNoSlot);
  }
  const TransposedSlots& transposed = *transposed_;
  for (uint32_t row = 1; row < distinct_sources_.size(); ++row) {
    TranslationTable::Slot* out = slots_.data() + static_cast<size_t>(row) * width;
    // Column `row - 1` of the forward pair's rows 1 .. width.
    const TranslationTable::Slot* in = forward.slots_.data() + forward_width + (row - 1);
    for (uint32_t c = 0; c < width; ++c) {
      const TranslationTable::Slot slot = in[static_cast<size_t>(c) * forward_width];
      out[c] = slot == TranslationTable::kNoSlot ? slot : transposed[slot];
    }
  }
  return true;
}

void PairLookup::FillProbabilities(const TranslationTable& table, bool with_null) {
  ResizeScratch(&probs_, slots_.size());
  if (table.is_uniform()) {
    // Every known pair has the same probability: no need to fetch it.
    for (size_t k = 0; k < slots_.size(); ++k) {
      probs_[k] =
          slots_[k] == TranslationTable::kNoSlot ? kUnknownTranslationProb : table.uniform_prob();
    }
  } else {
    for (size_t k = 0; k < slots_.size(); ++k) {
      const TranslationTable::Slot slot = slots_[k];
      probs_[k] = slot == TranslationTable::kNoSlot ? kUnknownTranslationProb : table.prob(slot);
    }
  }
  if (!with_null) std::fill_n(probs_.begin(), distinct_targets_.size(), 0.0f);
}

void PairLookup::Probabilities(double* out) const {
  const size_t stride = static_cast<size_t>(l_) + 1;
  for (uint32_t j = 0; j < m_; ++j) {
    const float* column = probs_.data() + target_index_[j];
    double* o = out + j * stride;
    for (uint32_t i = 0; i <= l_; ++i) o[i] = column[source_offset_[i]];
  }
}

void PairLookup::MultiplyProbabilities(double* out) const {
  const size_t stride = static_cast<size_t>(l_) + 1;
  for (uint32_t j = 0; j < m_; ++j) {
    const float* column = probs_.data() + target_index_[j];
    double* o = out + j * stride;
    for (uint32_t i = 0; i <= l_; ++i) o[i] *= column[source_offset_[i]];
  }
}

void PairLookup::PrefetchCounts(const ExpectedCounts& counts) const {
  for (TranslationTable::Slot slot : slots_) {
    if (slot != TranslationTable::kNoSlot) counts.PrefetchTranslation(slot);
  }
}

void PairLookup::AddCounts(const double* link_counts, ExpectedCounts* counts) const {
  // Integer sums are exact, so summing per distinct (e, f) first changes
  // nothing but the number of atomic adds to the shared counts.
  AssignScratch(&sums_, slots_.size(), int64_t{0});
  const size_t stride = static_cast<size_t>(l_) + 1;
  for (uint32_t j = 0; j < m_; ++j) {
    int64_t* column = sums_.data() + target_index_[j];
    const double* values = link_counts + j * stride;
    for (uint32_t i = 0; i <= l_; ++i)
      column[source_offset_[i]] += FixedPointArray::ToFixed(values[i]);
  }
  for (size_t k = 0; k < slots_.size(); ++k) {
    if (slots_[k] != TranslationTable::kNoSlot) counts->AddTranslationFixed(slots_[k], sums_[k]);
  }
}

}  // namespace aligner
