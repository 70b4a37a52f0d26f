#include "aligner/model/model1.h"

#include <algorithm>

#include "aligner/model/model_registry.h"

namespace aligner {

void Model1::AlignmentMatrix(uint32_t l, uint32_t m, double* probs) const {
  const uint32_t stride = l + 1;
  const double uniform = 1.0 / (use_null() ? l + 1 : l);
  std::fill(probs, probs + static_cast<size_t>(stride) * m, uniform);
  if (!use_null()) {
    for (uint32_t j = 0; j < m; ++j) probs[j * stride] = 0;
  }
}

ModelInfo Model1::Info() {
  ModelInfo info;
  info.name = "model1";
  info.aliases = {"1"};
  info.description = "IBM Model 1: the translation table alone";
  info.create = [](const ModelSetup& setup) -> std::unique_ptr<AlignmentModel> {
    return std::make_unique<Model1>(setup.table, setup.options.use_null, setup.options.prior);
  };
  info.read_options = [](const ModelReader&, ModelOptions*) { return absl::OkStatus(); };
  return info;
}

}  // namespace aligner
