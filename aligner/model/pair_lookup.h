// The translation-table entries that one sentence pair touches, each looked
// up once.
#ifndef ALIGNER_MODEL_PAIR_LOOKUP_H_
#define ALIGNER_MODEL_PAIR_LOOKUP_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/expected_counts.h"
#include "aligner/model/translation_table.h"

namespace aligner {

// Sentences repeat words ("the", ",", "de"), so many of a pair's (l + 1) m
// links share their (e, f) with another link: a third of them on Hansards.
// The E-step's time goes mostly into cache misses on the table (finding the
// slot, reading t(f|e), adding the count), so each distinct (e, f) is looked
// up once here and its counts are summed before the one shared add. The
// cells of a pair are in the models' layout, [j * (l + 1) + i] with i = 0
// the NULL word.
//
// Reuse one object per thread: its buffers keep their capacity.
class PairLookup {
 public:
  // Looks up every distinct (e_i, f_j) of `pair`, and (NULL, f_j) when
  // `with_null`. Without it the NULL cells have no slot and probability 0.
  // The slots come from the table's SlotCache when it holds the pair.
  void Lookup(const TranslationTable& table, const SentencePair& pair, bool with_null);

  // Agreement looks every pair up twice, as (e, f) in the forward table and
  // as (f, e) in the reverse one. After this, Lookup in `transposed`'s
  // reverse table takes the slots of a pair from `forward`'s lookup of the
  // same pair with its sides swapped (all but the NULL row, which is
  // searched), when `forward` holds that pair, which it checks; otherwise,
  // and with forward = nullptr, it searches as usual. The result is the same.
  void TransposeFrom(const PairLookup* forward, const TransposedSlots* transposed) {
    forward_ = forward;
    transposed_ = transposed;
  }

  uint32_t source_length() const { return l_; }
  uint32_t target_length() const { return m_; }
  // Number of distinct (e, f) looked up, NULL included.
  size_t num_distinct() const { return slots_.size(); }
  // Their slots: row by row of distinct source words (NULL first), each row
  // over the distinct target words in increasing id order (SlotCache's layout).
  const std::vector<TranslationTable::Slot>& slots() const { return slots_; }
  size_t num_distinct_targets() const { return distinct_targets_.size(); }
  // The source word of row `row` of slots() (row 0: kNullWord).
  WordId distinct_source(size_t row) const { return distinct_sources_[row]; }

  // The table slot of cell (i, j), or kNoSlot when (e_i, f_j) never
  // co-occurred (or i = 0 without a NULL word).
  TranslationTable::Slot slot(uint32_t i, uint32_t j) const { return slots_[Distinct(i, j)]; }

  // out[j * (l + 1) + i] = t(f_j | e_i) for every cell: kUnknownTranslationProb
  // for pairs never seen together, 0 for NULL without a NULL word.
  void Probabilities(double* out) const;
  // The same, multiplied into `out`.
  void MultiplyProbabilities(double* out) const;

  // Hints that AddCounts will soon add to these slots' counts.
  void PrefetchCounts(const ExpectedCounts& counts) const;
  // Adds link_counts[j * (l + 1) + i] as the expected count of t(f_j | e_i)
  // for every cell with a slot. Each cell's value is rounded to fixed point
  // on its own, so the totals are exactly those of adding cell by cell.
  void AddCounts(const double* link_counts, ExpectedCounts* counts) const;

 private:
  size_t Distinct(uint32_t i, uint32_t j) const { return source_offset_[i] + target_index_[j]; }
  // Lookup by transposing forward_'s; false (nothing changed) when forward_
  // does not hold `pair` with its sides swapped.
  bool LookupTransposed(const TranslationTable& table, const SentencePair& pair, bool with_null);
  // probs_ from slots_.
  void FillProbabilities(const TranslationTable& table, bool with_null);

  uint32_t l_ = 0, m_ = 0;
  // source_offset_[i]: the first distinct cell of e_i's row (i = 0: NULL).
  std::vector<uint32_t> source_offset_;
  // target_index_[j]: the rank of f_j among the pair's distinct targets.
  std::vector<uint32_t> target_index_;
  std::vector<WordId> distinct_sources_;  // [0] = kNullWord
  std::vector<WordId> distinct_targets_;
  // Per distinct (e, f), row by row of distinct source words.
  std::vector<TranslationTable::Slot> slots_;
  std::vector<float> probs_;
  // Scratch: sort keys, and AddCounts' sums.
  std::vector<uint64_t> keys_;
  mutable std::vector<int64_t> sums_;
  const PairLookup* forward_ = nullptr;
  const TransposedSlots* transposed_ = nullptr;
};

}  // namespace aligner

#endif  // ALIGNER_MODEL_PAIR_LOOKUP_H_
