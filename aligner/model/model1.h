// IBM Model 1 (Brown et al. 1993): every source position, NULL included,
// is equally likely to generate each target word.
#ifndef ALIGNER_MODEL_MODEL1_H_
#define ALIGNER_MODEL_MODEL1_H_

#include <memory>
#include <string>

#include "aligner/model/positional_model.h"

namespace aligner {

struct ModelInfo;

class Model1 : public PositionalModel {
 public:
  // The registry entry (model_registry.h).
  static ModelInfo Info();

  Model1(std::shared_ptr<TranslationTable> table, bool use_null, TranslationPrior prior)
      : PositionalModel(std::move(table), use_null, prior) {}

  std::string name() const override { return "model1"; }

 protected:
  void AlignmentMatrix(uint32_t l, uint32_t m, double* probs) const override;
};

}  // namespace aligner

#endif  // ALIGNER_MODEL_MODEL1_H_
