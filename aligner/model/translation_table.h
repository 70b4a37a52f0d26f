// The translation table t(f|e): probabilities of target words given source
// words, stored only for pairs that co-occur in some sentence pair.
#ifndef ALIGNER_MODEL_TRANSLATION_TABLE_H_
#define ALIGNER_MODEL_TRANSLATION_TABLE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "aligner/base/huge_pages.h"
#include "aligner/base/types.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/expected_counts.h"

namespace aligner {

class SlotCache;
class TargetColumns;

// The set of (e, f) pairs is fixed once the corpus is read, so every pair gets
// a dense slot at construction: row e holds its co-occurring target words
// sorted by id, and probabilities (and, in ExpectedCounts, counts) live in
// flat arrays indexed by slot. Nothing is allocated per iteration.
class TranslationTable {
 public:
  using Slot = uint64_t;
  static constexpr Slot kNoSlot = std::numeric_limits<Slot>::max();

  TranslationTable() : row_offsets_{0} {}

  // Every (source word, target word) pair that co-occurs in a usable pair of
  // `corpus`, plus (NULL, f) for every target word f that occurs. Built in
  // parallel. Probabilities start uniform (SetUniform).
  static TranslationTable FromCorpus(const ParallelCorpus& corpus);

  // Builds a table from explicit rows; for loading models and for tests.
  // `rows[e]` must be sorted and free of duplicates.
  static TranslationTable FromRows(const std::vector<std::vector<WordId>>& rows);

  // A table from its raw arrays (as a model file stores them), checked: the
  // offsets must start at 0, never decrease and end at the number of
  // entries, each row's targets must increase, and probabilities be finite
  // and in [0, 1].
  static absl::StatusOr<TranslationTable> FromArrays(std::vector<uint64_t> row_offsets,
                                                     std::vector<WordId> targets,
                                                     std::vector<float> probs);
  const std::vector<uint64_t>& row_offsets() const { return row_offsets_; }
  absl::Span<const WordId> targets() const { return targets_; }

  // The slot of (e, f), or kNoSlot when the pair never co-occurred.
  Slot Find(WordId e, WordId f) const {
    Slot slot;
    FindBatch(e, &f, 1, &slot, 1);
    return slot;
  }

  // Finds the slots of (e, targets[k]) for k < n into out[k * out_stride].
  //
  // Rows with a dense index take one load per lookup. Others are searched in
  // two levels: first the row's separators (its every kGroup-th target, a
  // small array that mostly stays in cache), then the one group of kGroup
  // targets (one or two cache lines) that can hold f. A plain binary search
  // over a long row waits on a cache miss at nearly every halving; this
  // takes about one. The n searches share the row and so the same sequence
  // of halvings: run in lockstep, their loads are independent and overlap.
  void FindBatch(WordId e, const WordId* targets, size_t n, Slot* out, size_t out_stride) const {
    if (static_cast<size_t>(e) + 1 >= row_offsets_.size() ||
        row_offsets_[e + 1] == row_offsets_[e]) {
      for (size_t k = 0; k < n; ++k) out[k * out_stride] = kNoSlot;
      return;
    }
    const uint64_t begin = row_offsets_[e];
    if (const uint32_t* dense = DenseRow(e)) {
      for (size_t k = 0; k < n; ++k) {
        const WordId f = targets[k];
        out[k * out_stride] = f < dense_width_ && dense[f] != kAbsent ? begin + dense[f] : kNoSlot;
      }
      return;
    }
    const WordId* row = targets_.data() + begin;
    const uint32_t length = static_cast<uint32_t>(row_offsets_[e + 1] - begin);
    const WordId* separators = separators_.data() + separator_offsets_[e];
    const uint32_t num_groups = (length + kGroup - 1) / kGroup;
    constexpr size_t kLanes = 64;
    uint32_t base[kLanes];
    for (size_t chunk = 0; chunk < n; chunk += kLanes) {
      const size_t lanes = std::min(kLanes, n - chunk);
      const WordId* f = targets + chunk;
      for (size_t k = 0; k < lanes; ++k) base[k] = 0;
      // Branchless binary search over the separators: the last group whose
      // first target is <= f.
      for (uint32_t len = num_groups; len > 1;) {
        const uint32_t half = len / 2;
        for (size_t k = 0; k < lanes; ++k) {
          base[k] = (separators[base[k] + half] <= f[k]) ? base[k] + half : base[k];
        }
        len -= half;
      }
      // Then the last target <= f within that group. Targets past the group
      // are >= the next separator > f, so only the row's end bounds the steps.
      for (size_t k = 0; k < lanes; ++k) base[k] *= kGroup;
      for (uint32_t step = kGroup / 2; step > 0; step /= 2) {
        for (size_t k = 0; k < lanes; ++k) {
          const uint32_t next = base[k] + step;
          base[k] = (next < length && row[next] <= f[k]) ? next : base[k];
        }
      }
      for (size_t k = 0; k < lanes; ++k) {
        out[(chunk + k) * out_stride] = row[base[k]] == f[k] ? begin + base[k] : kNoSlot;
      }
    }
  }

  // t(f|e) at `slot`.
  float prob(Slot slot) const { return probs_[slot]; }
  // t(f|e), or `floor` for a pair that never co-occurred (unknown words).
  float ProbOr(WordId e, WordId f, float floor) const {
    const Slot slot = Find(e, f);
    return slot == kNoSlot ? floor : probs_[slot];
  }

  size_t num_source_words() const { return row_offsets_.size() - 1; }
  size_t num_entries() const { return targets_.size(); }
  uint64_t row_begin(WordId e) const { return row_offsets_[e]; }
  uint64_t row_end(WordId e) const { return row_offsets_[e + 1]; }
  WordId target(Slot slot) const { return targets_[slot]; }

  // Writable probabilities (the table is then no longer known to be uniform).
  absl::Span<float> mutable_probs() {
    uniform_ = false;
    return absl::MakeSpan(probs_);
  }
  absl::Span<const float> probs() const { return probs_; }

  // Sets every t(f|e) to 1 / (number of target words).
  void SetUniform();
  // The same with the number of target words given: for a table that holds
  // only part of a corpus's rows (aligner-mpi), the whole corpus's count.
  void SetUniform(uint64_t num_targets);
  // Whether every t(f|e) is the same, uniform_prob(), since SetUniform: the
  // first E-step then need not read them (PairLookup).
  bool is_uniform() const { return uniform_; }
  float uniform_prob() const { return uniform_prob_; }

  // The slots of the training corpus's pairs (SlotCache), which lookups of
  // those pairs take instead of searching; null: none. Copies share it.
  const SlotCache* slot_cache() const { return slot_cache_.get(); }
  void set_slot_cache(std::shared_ptr<const SlotCache> cache) { slot_cache_ = std::move(cache); }

  // The training corpus and this table arranged by target word
  // (TargetColumns), for the E-steps and decoding that go target word by
  // target word; null: none. Copies share it. Its probability and count
  // arrays are those passes' scratch, not part of the table's value.
  TargetColumns* target_columns() const { return target_columns_.get(); }
  const std::shared_ptr<TargetColumns>& shared_target_columns() const { return target_columns_; }
  void set_target_columns(std::shared_ptr<TargetColumns> columns) {
    target_columns_ = std::move(columns);
  }

  // Without the slot cache.
  size_t MemoryBytes() const {
    return row_offsets_.capacity() * sizeof(uint64_t) + targets_.capacity() * sizeof(WordId) +
           probs_.capacity() * sizeof(float) + dense_index_.capacity() * sizeof(uint32_t) +
           dense_row_.capacity() * sizeof(uint32_t) + separators_.capacity() * sizeof(WordId) +
           separator_offsets_.capacity() * sizeof(uint64_t);
  }
  size_t num_dense_rows() const { return dense_index_.size() / std::max<size_t>(dense_width_, 1); }
  // Whether row e has a direct index (FindBatch's one load per lookup).
  bool has_dense_row(WordId e) const { return DenseRow(e) != nullptr; }

 private:
  static constexpr uint32_t kAbsent = std::numeric_limits<uint32_t>::max();
  // Targets per group of the two-level search: 16 word ids, one cache line.
  static constexpr uint32_t kGroup = 16;

  // The longest rows (frequent source words, NULL) are searched most often
  // and most deeply; they get a direct index over the target vocabulary
  // instead: one independent load per lookup rather than ~16 dependent ones.
  // Rows qualify when the index costs at most 16 times their own size, and
  // all indexes together at most a quarter of the table.
  void BuildDenseRows();
  // The first target of every group of kGroup in every row (the search's
  // upper level): 1/16 of the table's target ids.
  void BuildSeparators();
  // Both of the above; called whenever targets_ changes.
  void BuildIndexes() {
    BuildDenseRows();
    BuildSeparators();
  }
  const uint32_t* DenseRow(WordId e) const {
    const uint32_t d = e < dense_row_.size() ? dense_row_[e] : kAbsent;
    return d == kAbsent ? nullptr : dense_index_.data() + static_cast<size_t>(d) * dense_width_;
  }

  std::vector<uint64_t> row_offsets_;        // size num_source_words + 1
  HugePageVector<WordId> targets_;           // target word of every slot, sorted within a row
  HugePageVector<float> probs_;              // t(f|e) of every slot
  std::vector<uint32_t> dense_row_;          // per source word: dense index number, or kAbsent
  HugePageVector<uint32_t> dense_index_;     // dense rows back to back: offset in row, or kAbsent
  uint32_t dense_width_ = 0;                 // target ids covered by a dense row
  std::vector<WordId> separators_;           // per row: targets at offsets 0, kGroup, 2 kGroup, ...
  std::vector<uint64_t> separator_offsets_;  // size num_source_words + 1
  bool uniform_ = false;
  float uniform_prob_ = 0;
  std::shared_ptr<const SlotCache> slot_cache_;
  std::shared_ptr<TargetColumns> target_columns_;
};

// Two tables of one corpus read in both directions hold the same word pairs:
// (e, f) in row e of the forward table is (f, e) in row f of the reverse one.
// This maps every forward slot outside the NULL row to its reverse slot, so
// that training both directions together (agreement) finds a pair's reverse
// slots by one independent load each instead of a second search.
class TransposedSlots {
 public:
  // The map, or an empty one (valid() false) unless the non-NULL entries of
  // the two tables are exactly each other's transpose and every slot fits
  // 32 bits. One sequential pass: the forward table's rows, read in order of
  // e, meet every reverse row's entries in its own sorted order.
  static TransposedSlots Build(const TranslationTable& forward, const TranslationTable& reverse);

  bool valid() const { return reverse_ != nullptr; }
  // The table the map leads into.
  const TranslationTable* reverse() const { return reverse_; }
  // The reverse slot of forward slot `slot` (not in the NULL row).
  TranslationTable::Slot operator[](TranslationTable::Slot slot) const {
    return reverse_slot_[slot - first_];
  }

 private:
  const TranslationTable* reverse_ = nullptr;
  uint64_t first_ = 0;  // the forward table's first slot after the NULL row
  HugePageVector<uint32_t> reverse_slot_;
};

// How the M-step turns expected counts into t(f|e).
struct TranslationPrior {
  // Mean-field variational Bayes under a symmetric Dirichlet(alpha) prior
  // (fast_align's -v): t(f|e) = exp(digamma(c(e,f) + alpha) -
  // digamma(sum_f' c(e,f') + alpha)), summing over co-occurring f'. Sparser
  // than maximum likelihood, which helps rare words.
  bool variational_bayes = false;
  double alpha = 0.01;
};

// Probabilities never go below this, so that no word becomes impossible.
inline constexpr float kMinTranslationProb = 1e-12f;
// t(f|e) for a pair never seen in training (aligning new text).
inline constexpr float kUnknownTranslationProb = 1e-7f;

// EstimateTranslationTable's loop for rows [first_row, end_row) of a table
// given by its row offsets and probabilities, the counts of those rows in
// `counts` from slot `first_slot` (row_offsets[first_row]) on: for rows held
// without their targets and re-estimated a slice at a time (aligner-mpi's
// owned rows).
void EstimateTranslationRows(absl::Span<const uint64_t> row_offsets, const FixedPointArray& counts,
                             uint64_t first_slot, const TranslationPrior& prior, size_t first_row,
                             size_t end_row, absl::Span<float> probs);

// The M-step for the translation table: renormalizes each row's counts.
// Rows with no counts keep their probabilities.
void EstimateTranslationTable(const FixedPointArray& counts, const TranslationPrior& prior,
                              TranslationTable* table);

// The digamma function psi(x) = d/dx log Gamma(x), for x > 0.
double Digamma(double x);

}  // namespace aligner

#endif  // ALIGNER_MODEL_TRANSLATION_TABLE_H_
