#include "aligner/model/model1.h"

#include <algorithm>

namespace aligner {

void Model1::AlignmentMatrix(uint32_t l, uint32_t m, double* probs) const {
  const uint32_t stride = l + 1;
  const double uniform = 1.0 / (use_null() ? l + 1 : l);
  std::fill(probs, probs + static_cast<size_t>(stride) * m, uniform);
  if (!use_null()) {
    for (uint32_t j = 0; j < m; ++j) probs[j * stride] = 0;
  }
}

}  // namespace aligner
