// The translation table t(f|e): probabilities of target words given source
// words, stored only for pairs that co-occur in some sentence pair.
#ifndef ALIGNER_MODEL_TRANSLATION_TABLE_H_
#define ALIGNER_MODEL_TRANSLATION_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/types/span.h"
#include "aligner/base/types.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/train/expected_counts.h"

namespace aligner {

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

  // The slot of (e, f), or kNoSlot when the pair never co-occurred.
  Slot Find(WordId e, WordId f) const {
    if (e + 1 >= row_offsets_.size()) return kNoSlot;
    const uint64_t begin = row_offsets_[e];
    uint64_t len = row_offsets_[e + 1] - begin;
    if (len == 0) return kNoSlot;
    const WordId* first = targets_.data() + begin;
    // Branchless binary search: keeps the last element <= f in range.
    while (len > 1) {
      const uint64_t half = len / 2;
      first = (first[half] <= f) ? first + half : first;
      len -= half;
    }
    return *first == f ? static_cast<Slot>(first - targets_.data()) : kNoSlot;
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

  absl::Span<float> mutable_probs() { return absl::MakeSpan(probs_); }
  absl::Span<const float> probs() const { return probs_; }

  // Sets every t(f|e) to 1 / (number of target words).
  void SetUniform();

  size_t MemoryBytes() const {
    return row_offsets_.capacity() * sizeof(uint64_t) + targets_.capacity() * sizeof(WordId) +
           probs_.capacity() * sizeof(float);
  }

 private:
  std::vector<uint64_t> row_offsets_;  // size num_source_words + 1
  std::vector<WordId> targets_;        // target word of every slot, sorted within a row
  std::vector<float> probs_;           // t(f|e) of every slot
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

// The M-step for the translation table: renormalizes each row's counts.
// Rows with no counts keep their probabilities.
void EstimateTranslationTable(const FixedPointArray& counts, const TranslationPrior& prior,
                              TranslationTable* table);

// The digamma function psi(x) = d/dx log Gamma(x), for x > 0.
double Digamma(double x);

}  // namespace aligner

#endif  // ALIGNER_MODEL_TRANSLATION_TABLE_H_
