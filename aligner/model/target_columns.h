// A training corpus and its translation table arranged by target word, for
// E-steps and decoding that go one target word at a time.
#ifndef ALIGNER_MODEL_TARGET_COLUMNS_H_
#define ALIGNER_MODEL_TARGET_COLUMNS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "aligner/base/huge_pages.h"
#include "aligner/base/types.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/expected_counts.h"
#include "aligner/model/translation_table.h"

namespace aligner {

// In the models whose target words are aligned independently of each other
// given the source sentence (the diagonal model; IBM Models 1 and 2), a
// target token f_j needs t(f_j | e) only for the source words e of its own
// sentence, and adds counts only to those (e, f_j). Going through the
// corpus pair by pair, those are scattered over the whole table: the E-step
// waited on the cache for most of its time (docs/performance.md, section
// 12). Going target word by target word instead, every token of f touches
// only column f of the table (the (e, f) of every e), which stays in the
// cache while its tokens are done; what is left scattered is each token's
// source sentence, one or two cache lines. Columns are disjoint, so threads
// that take whole columns add their counts without atomics, and the sums,
// fixed point, are the same for any number of threads.
//
// Holds, for each target word f: its column, the table's (e, f) sorted by
// e, each with its slot in the table, and a probability and a count array
// in column order for the E-step (GatherProbabilities, ScatterCounts); and
// its tokens in the training pairs (units), in corpus order.
// One target token's Viterbi choice: its source position (0: NULL) and the
// log of its joint probability. Together, so that a pass that writes them in
// token order touches one cache line per token.
struct ViterbiChoice {
  double log_prob;
  uint32_t source;
};

class TargetColumns {
 public:
  // One target token of a training pair.
  struct Unit {
    uint32_t pair;      // index in the corpus
    uint32_t position;  // j, within the pair's target side
  };
  // What a unit needs of its pair, kept together: one cache line per token.
  struct PairInfo {
    const WordId* source;
    uint32_t source_length;
    uint32_t target_length;
  };
  // A run of whole columns with about the same number of units: the grain
  // that threads take.
  struct Chunk {
    WordId first_column, end_column;
  };

  // The columns of `table` (built from `corpus`, in its direction) and the
  // tokens of `corpus`'s usable pairs; null when the table's entries do not
  // fit 32-bit offsets. Built in parallel in the calling task arena.
  static std::unique_ptr<TargetColumns> Build(const ParallelCorpus& corpus,
                                              const TranslationTable& table);

  uint64_t corpus_id() const { return corpus_id_; }
  size_t num_columns() const { return column_offsets_.size() - 1; }
  size_t num_entries() const { return column_sources_.size(); }
  size_t num_units() const { return units_.size(); }
  // Usable pairs (both sides non-empty): the E-step's pair tally.
  int64_t num_pairs() const { return num_pairs_; }
  // The longest source side of a usable pair.
  uint32_t max_source_length() const { return max_source_length_; }

  // Column f's entries: [column_begin(f), column_end(f)).
  uint64_t column_begin(WordId f) const { return column_offsets_[f]; }
  uint64_t column_end(WordId f) const { return column_offsets_[f + 1]; }
  WordId column_source(uint64_t x) const { return column_sources_[x]; }
  // Column f's tokens: [units_begin(f), units_end(f)).
  uint64_t units_begin(WordId f) const { return unit_offsets_[f]; }
  uint64_t units_end(WordId f) const { return unit_offsets_[f + 1]; }
  const Unit& unit(uint64_t u) const { return units_[u]; }
  const PairInfo& pair_info(uint32_t k) const { return pairs_[k]; }
  const std::vector<Chunk>& chunks() const { return chunks_; }
  // The corpus's target tokens in corpus order: pair k's are
  // [token_offset(k), token_offset(k + 1)); unit_of_token(t) is token t's
  // unit, or kNoUnit for a token of a pair with an empty source side.
  static constexpr uint32_t kNoUnit = 0xffffffff;
  uint64_t token_offset(size_t k) const { return token_offsets_[k]; }
  uint32_t unit_of_token(uint64_t t) const { return unit_of_token_[t]; }

  // t(f|e) of every entry, in column order (GatherProbabilities).
  const float* probabilities() const { return probs_.data(); }
  // Each entry's count, in column order; each thread writes only the
  // entries of the columns it holds.
  int64_t* counts() { return counts_.data(); }

  // Copies the table's probabilities into column order, and with
  // `zero_counts` sizes and zeroes the counts. In parallel in the calling
  // task arena.
  void GatherProbabilities(const TranslationTable& table, bool zero_counts);
  // Adds each entry's count to its table slot of `counts` (the table's
  // layout), in parallel in the calling task arena: each slot is one
  // entry's, so no two threads add to the same one.
  void ScatterCounts(FixedPointArray* counts) const;
  // Frees the counts until the next GatherProbabilities with zero_counts
  // (decoding needs only the probabilities).
  void ReleaseCounts() { UninitializedHugePageVector<int64_t>().swap(counts_); }

  size_t MemoryBytes() const;

 private:
  uint64_t corpus_id_ = 0;
  int64_t num_pairs_ = 0;
  uint32_t max_source_length_ = 0;
  std::vector<uint64_t> column_offsets_{0};  // size num_columns + 1
  // (Uninitialized when sized: each is then written in full, in parallel.)
  UninitializedHugePageVector<WordId> column_sources_;  // e of each entry
  UninitializedHugePageVector<uint32_t> column_slots_;  // its slot in the table
  UninitializedHugePageVector<float> probs_;
  UninitializedHugePageVector<int64_t> counts_;
  std::vector<uint64_t> unit_offsets_{0};  // size num_columns + 1
  UninitializedHugePageVector<Unit> units_;
  std::vector<PairInfo> pairs_;
  std::vector<Chunk> chunks_;
  std::vector<uint64_t> token_offsets_;  // size corpus.size() + 1
  UninitializedHugePageVector<uint32_t> unit_of_token_;
};

}  // namespace aligner

#endif  // ALIGNER_MODEL_TARGET_COLUMNS_H_
