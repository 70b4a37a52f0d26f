// Expected counts gathered by the E-step, summed exactly.
#ifndef ALIGNER_TRAIN_EXPECTED_COUNTS_H_
#define ALIGNER_TRAIN_EXPECTED_COUNTS_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace aligner {

// An array of sums kept in 64-bit fixed point (32 fractional bits). Integer
// addition is associative, so however the E-step splits the corpus among
// threads, the merged sums, and so the trained model, are bit-for-bit the
// same. The resolution (2.3e-10) is far below any count that matters, and a
// slot overflows only past two billion expected events.
class FixedPointArray {
 public:
  static constexpr double kScale = 4294967296.0;  // 2^32

  void Resize(size_t n) { sums_.assign(n, 0); }
  size_t size() const { return sums_.size(); }
  void Clear();

  void Add(size_t i, double value) { sums_[i] += std::llrint(value * kScale); }
  double Get(size_t i) const { return static_cast<double>(sums_[i]) / kScale; }
  int64_t raw(size_t i) const { return sums_[i]; }

  void Merge(const FixedPointArray& other);

 private:
  std::vector<int64_t> sums_;
};

// One E-step's sufficient statistics. Every model fills `translation`
// (indexed by TranslationTable slot); `alignment` holds the model's own
// alignment statistics in a layout the model defines (the Model 2 table, HMM
// jump counts, the diagonal model's feature sums).
struct ExpectedCounts {
  FixedPointArray translation;
  FixedPointArray alignment;
  int64_t pairs = 0;
  int64_t target_tokens = 0;
  int64_t links = 0;  // sum over pairs of (l + 1) * m: the E-step's work

  // Sum of log p(target | source), also in fixed point (20 fractional bits:
  // a corpus log-likelihood of -8e12 still fits).
  void AddLogLikelihood(double value) { log_likelihood_ += std::llrint(value * kLogScale); }
  double log_likelihood() const { return static_cast<double>(log_likelihood_) / kLogScale; }

  void Merge(const ExpectedCounts& other) {
    translation.Merge(other.translation);
    alignment.Merge(other.alignment);
    log_likelihood_ += other.log_likelihood_;
    pairs += other.pairs;
    target_tokens += other.target_tokens;
    links += other.links;
  }
  // Sizes the arrays and zeroes everything.
  void Reset(size_t translation_size, size_t alignment_size) {
    translation.Resize(translation_size);
    alignment.Resize(alignment_size);
    log_likelihood_ = 0;
    pairs = target_tokens = links = 0;
  }
  void Clear() {
    translation.Clear();
    alignment.Clear();
    log_likelihood_ = 0;
    pairs = target_tokens = links = 0;
  }

 private:
  static constexpr double kLogScale = 1048576.0;  // 2^20
  int64_t log_likelihood_ = 0;
};

}  // namespace aligner

#endif  // ALIGNER_TRAIN_EXPECTED_COUNTS_H_
