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
  // uniform table already is Model 1 with a diagonal prior; likewise 0 for
  // the HMM, whose diagonal factor plays that part (best AER); 5 for
  // Model 2).
  int model1_iterations = -1;
  // Iterations of the main model.
  int iterations = 5;
  bool use_null = true;
  TranslationPrior prior;
  DiagonalOptions diagonal;
  HmmOptions hmm;
};

absl::Status ValidateTrainingOptions(const TrainingOptions& options);

// The number of Model 1 iterations the schedule runs before the main model.
int Model1IterationsBefore(const TrainingOptions& options);

// Sets up main-model iteration `iteration` (1-based) of the schedule, after
// `model1_iterations` Model 1 iterations: the diagonal model re-estimates
// its tension and p0 (when `options` ask for it) only from informed
// posteriors. From a uniform table the first posteriors are purely
// positional and would only echo the starting tension back (fast_align
// skips it too).
void PrepareMainIteration(const TrainingOptions& options, int model1_iterations, int iteration,
                          AlignmentModel* model);

// The main model of `options` over `table`, fresh or carrying the parameters
// of `resume_from` (which must be of the same kind).
absl::StatusOr<std::unique_ptr<AlignmentModel>> MakeMainModel(
    const ParallelCorpus& corpus, const TrainingOptions& options,
    std::shared_ptr<TranslationTable> table, const AlignmentModel* resume_from = nullptr);

// Where a training run is in its schedule: `iteration` iterations of
// stage 0 (the Model 1 iterations) or stage 1 (the main model) are done.
struct TrainingCheckpoint {
  int stage = 0;
  int iteration = 0;
};

// Saves the model after an iteration, so a long run can be resumed.
using CheckpointWriter =
    std::function<absl::Status(const AlignmentModel& model, const TrainingCheckpoint& done)>;

// Trains the schedule on `corpus` (in the direction it is given) and returns
// the final model. `on_iteration` sees every iteration's report;
// `checkpoint`, when set, is called after every iteration. With
// `resume_from` (a model saved by a checkpoint at `resume_at`), training
// continues after that iteration and, on the same corpus and options, ends
// with exactly the model an uninterrupted run gives.
absl::StatusOr<std::unique_ptr<AlignmentModel>> TrainModel(
    const ParallelCorpus& corpus, const TrainingOptions& options, EmTrainer* trainer,
    const std::function<void(const IterationReport&)>& on_iteration,
    const CheckpointWriter& checkpoint = nullptr, const AlignmentModel* resume_from = nullptr,
    TrainingCheckpoint resume_at = TrainingCheckpoint());

}  // namespace aligner

#endif  // ALIGNER_TRAIN_TRAINING_H_
