// The training schedule: which models run, in what order, for how long.
#ifndef ALIGNER_TRAIN_TRAINING_H_
#define ALIGNER_TRAIN_TRAINING_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/alignment_model.h"
#include "aligner/model/diagonal_model.h"
#include "aligner/model/hmm_model.h"
#include "aligner/model/translation_table.h"
#include "aligner/train/em_trainer.h"

namespace aligner {

enum class ModelKind { kModel1, kModel2, kDiagonal, kHmm };

absl::StatusOr<ModelKind> ParseModelKind(const std::string& name);
std::string ModelKindName(ModelKind kind);

struct TrainingOptions {
  ModelKind model = ModelKind::kDiagonal;
  // Model 1 iterations that initialize the translation table before the
  // main model (ignored when the main model is Model 1). Negative: the
  // default for the main model (0 for diagonal, whose first iteration from a
  // uniform table already is Model 1 with a diagonal prior; 5 for Model 2
  // and the HMM).
  int model1_iterations = -1;
  // Iterations of the main model.
  int iterations = 5;
  bool use_null = true;
  TranslationPrior prior;
  DiagonalOptions diagonal;
  HmmOptions hmm;
};

absl::Status ValidateTrainingOptions(const TrainingOptions& options);

// Trains the schedule on `corpus` (in the direction it is given) and returns
// the final model. `on_iteration` sees every iteration's report.
absl::StatusOr<std::unique_ptr<AlignmentModel>> TrainModel(
    const ParallelCorpus& corpus, const TrainingOptions& options, EmTrainer* trainer,
    const std::function<void(const IterationReport&)>& on_iteration);

}  // namespace aligner

#endif  // ALIGNER_TRAIN_TRAINING_H_
