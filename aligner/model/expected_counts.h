// Expected counts gathered by the E-step, summed exactly.
#ifndef ALIGNER_MODEL_EXPECTED_COUNTS_H_
#define ALIGNER_MODEL_EXPECTED_COUNTS_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "aligner/base/huge_pages.h"

namespace aligner {

// An array of sums kept in 64-bit fixed point (32 fractional bits). Integer
// addition is associative, so however the E-step splits the corpus among
// threads, the merged sums, and so the trained model, are bit-for-bit the
// same. The resolution (2.3e-10) is far below any count that matters, and a
// slot overflows only past two billion expected events.
class FixedPointArray {
 public:
  static constexpr double kScale = 4294967296.0;  // 2^32

  // Sizes to n and zeroes.
  void Resize(size_t n);
  size_t size() const { return sums_.size(); }
  void Clear();

  void Add(size_t i, double value) { sums_[i] += ToFixed(value); }
  // Add() for an array that several threads add to at once. Exact integer
  // addition makes the result independent of their interleaving.
  void AtomicAdd(size_t i, double value) {
    const int64_t delta = ToFixed(value);
    AtomicAddFixed(i, delta);
  }
  // AtomicAdd() of a value already in fixed point (a sum of ToFixed()s).
  void AtomicAddFixed(size_t i, int64_t delta) {
    if (delta != 0) __atomic_fetch_add(&sums_[i], delta, __ATOMIC_RELAXED);
  }
  // The same for an array only this thread adds to.
  void AddFixed(size_t i, int64_t delta) { sums_[i] += delta; }
  // Hints that slot i will soon be added to.
  void Prefetch(size_t i) const { __builtin_prefetch(&sums_[i], 1, 1); }

  // Rounds to the nearest fixed-point value (inline; llrint is a libm call).
  static int64_t ToFixed(double value) {
    const double scaled = value * kScale;
    return static_cast<int64_t>(scaled >= 0 ? scaled + 0.5 : scaled - 0.5);
  }
  double Get(size_t i) const { return static_cast<double>(sums_[i]) / kScale; }
  int64_t raw(size_t i) const { return sums_[i]; }
  // The raw sums, for summing arrays across processes (aligner-mpi).
  int64_t* mutable_raw_data() { return sums_.data(); }

  void Merge(const FixedPointArray& other);
  // Frees the array (size 0): Resize keeps its memory.
  void Release() { UninitializedHugePageVector<int64_t>().swap(sums_); }

 private:
  // Sized uninitialized, then zeroed by Clear's threads (first touch on
  // each of them rather than one thread zeroing it all).
  UninitializedHugePageVector<int64_t> sums_;
};

// One E-step's sufficient statistics.
//
// Translation counts are indexed by TranslationTable slot and are as large as
// the table, so there is one array for all threads (added to atomically)
// rather than one per thread: memory stays flat in the number of threads.
// The rest (`alignment`, in a layout the model defines: the Model 2 table,
// HMM jump counts, the diagonal model's feature sums; and the scalars) is
// small and kept per thread, then merged.
struct ExpectedCounts {
  ExpectedCounts() = default;
  ExpectedCounts(const ExpectedCounts&) = delete;
  ExpectedCounts& operator=(const ExpectedCounts&) = delete;

  FixedPointArray alignment;
  int64_t pairs = 0;
  int64_t target_tokens = 0;
  int64_t links = 0;  // sum over pairs of (l + 1) * m: the E-step's work

  // Adds to the expected count of translation-table slot `slot`. Safe to
  // call from several threads whose counts share one translation array
  // (unless ResetSharing was told this one is its only writer).
  void AddTranslation(size_t slot, double value) {
    AddTranslationFixed(slot, FixedPointArray::ToFixed(value));
  }
  void AddTranslationFixed(size_t slot, int64_t value) {
    // A locked add does not overlap the loads after it; one writer needs none.
    if (slot < hot_end_) {
      hot_translation_.AddFixed(slot, value);
    } else if (only_writer_) {
      translation_sink_->AddFixed(slot, value);
    } else {
      translation_sink_->AtomicAddFixed(slot, value);
    }
  }
  void PrefetchTranslation(size_t slot) const {
    if (slot < hot_end_) {
      hot_translation_.Prefetch(slot);
    } else {
      translation_sink_->Prefetch(slot);
    }
  }
  // The summed translation counts (of this object's own array).
  const FixedPointArray& translation() const { return translation_; }
  FixedPointArray* mutable_translation() { return &translation_; }

  // Sum of log p(target | source), also in fixed point (20 fractional bits:
  // a corpus log-likelihood of -8e12 still fits).
  void AddLogLikelihood(double value) {
    log_likelihood_ += static_cast<int64_t>(std::nearbyint(value * kLogScale));
  }
  double log_likelihood() const { return static_cast<double>(log_likelihood_) / kLogScale; }
  // The fixed-point sum itself, for summing it across processes.
  int64_t raw_log_likelihood() const { return log_likelihood_; }
  void set_raw_log_likelihood(int64_t raw) { log_likelihood_ = raw; }

  // One pair's tallies: its log-likelihood, and the pair, its m target
  // tokens and its (l + 1) m links counted.
  void AddPair(double log_likelihood, uint32_t l, uint32_t m) {
    AddLogLikelihood(log_likelihood);
    pairs += 1;
    target_tokens += m;
    links += static_cast<int64_t>(l + 1) * m;
  }

  // Frees the translation arrays (this object's own, as large as the table,
  // and its hot slots') until the next Reset or ResetSharing.
  void ReleaseTranslation() {
    translation_.Release();
    hot_translation_.Release();
    hot_end_ = 0;
  }

  // Sizes the arrays, zeroes everything, and sends translation counts to
  // this object's own array.
  void Reset(size_t translation_size, size_t alignment_size) {
    translation_.Resize(translation_size);
    translation_sink_ = &translation_;
    only_writer_ = false;
    hot_end_ = 0;
    hot_translation_.Resize(0);
    ResetLocal(alignment_size);
  }
  // Zeroes the per-thread part and sends translation counts to `shared`'s
  // array; this object then owns no translation array. `only_writer`: no
  // other thread adds to `shared`'s array until the next reset (a trainer
  // running on one thread), so the adds need not be atomic. Otherwise the
  // counts of the first `hot_slots` slots (the NULL row and the most
  // frequent words' rows, which vocabularies numbered by frequency put
  // first, and which every thread adds to all the time) go to an array of
  // this object's own, added to `shared` by MergeLocal; the rest atomically.
  static constexpr size_t kHotSlots = size_t{1} << 20;  // 8 MiB a thread
  // For an E-step whose arithmetic hides the atomic adds past the first rows
  // (the HMM's; HotCountSlots): Hansards 100k `symmetric` took the same
  // time as with kHotSlots (three alternating pairs), in 26 MB less.
  static constexpr size_t kArithmeticBoundHotSlots = size_t{1} << 18;  // 2 MiB
  void ResetSharing(ExpectedCounts* shared, bool only_writer = false,
                    size_t hot_slots = kHotSlots) {
    translation_.Resize(0);
    translation_sink_ = &shared->translation_;
    only_writer_ = only_writer;
    hot_end_ = only_writer ? 0 : std::min(hot_slots, shared->translation_.size());
    hot_translation_.Resize(hot_end_);
    ResetLocal(shared->alignment.size());
  }
  // Adds the per-thread part of `other` (its translation counts already went
  // to the shared array, but for its hot slots', added here).
  void MergeLocal(const ExpectedCounts& other) {
    if (other.hot_end_ > 0) translation_.Merge(other.hot_translation_);
    alignment.Merge(other.alignment);
    log_likelihood_ += other.log_likelihood_;
    pairs += other.pairs;
    target_tokens += other.target_tokens;
    links += other.links;
  }

 private:
  void ResetLocal(size_t alignment_size) {
    alignment.Resize(alignment_size);
    log_likelihood_ = 0;
    pairs = target_tokens = links = 0;
  }

  static constexpr double kLogScale = 1048576.0;  // 2^20
  FixedPointArray translation_;
  FixedPointArray* translation_sink_ = &translation_;
  bool only_writer_ = false;
  // Slots below hot_end_ are counted in hot_translation_ (ResetSharing).
  size_t hot_end_ = 0;
  FixedPointArray hot_translation_;
  int64_t log_likelihood_ = 0;
};

}  // namespace aligner

#endif  // ALIGNER_MODEL_EXPECTED_COUNTS_H_
