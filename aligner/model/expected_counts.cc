#include "aligner/model/expected_counts.h"

#include <algorithm>

#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace aligner {

void FixedPointArray::Resize(size_t n) {
  if (n != sums_.size()) UninitializedHugePageVector<int64_t>(n).swap(sums_);
  Clear();
}

void FixedPointArray::Clear() {
  tbb::parallel_for(tbb::blocked_range<size_t>(0, sums_.size(), 1 << 16),
                    [&](const tbb::blocked_range<size_t>& r) {
                      std::fill(sums_.begin() + r.begin(), sums_.begin() + r.end(), 0);
                    });
}

void FixedPointArray::Merge(const FixedPointArray& other) {
  if (sums_.size() < other.sums_.size()) sums_.resize(other.sums_.size(), 0);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, other.sums_.size(), 1 << 16),
                    [&](const tbb::blocked_range<size_t>& r) {
                      for (size_t i = r.begin(); i != r.end(); ++i) sums_[i] += other.sums_[i];
                    });
}

}  // namespace aligner
