// The training schedule: which models run, in what order, for how long.
#ifndef ALIGNER_TRAIN_TRAINING_H_
#define ALIGNER_TRAIN_TRAINING_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/alignment_model.h"
#include "aligner/model/model_registry.h"
#include "aligner/model/translation_table.h"
#include "aligner/train/em_trainer.h"

namespace aligner {

// The schedule's defaults that depend on the model or on agreement training.
// Chosen by grow-diag-final-and AER on three language pairs (Hansards fr-en
// 100k, cs-en and de-en test text alone), against the independent HMM's
// defaults (0 iterations, p0 0.5): Model 1 iterations 0 / 1 / 2 / 3 / 5 gave
// Hansards 0.0735 / 0.0701 / 0.0691 / 0.0723 / 0.0778 and cs-en 0.3173 /
// 0.2804 / 0.2566 / 0.2558 / 0.2800 (more iterations overfit Model 1's
// translation table before the HMM sees it); with 2 iterations, p0 0.5 / 0.3
// / 0.2 gave Hansards 0.0691 / 0.0682 / 0.0703, cs-en 0.2566 / 0.2497 /
// 0.2480, de-en 0.3819 / 0.3722 / 0.3693. Agreement already hands the
// unagreed mass to NULL, so its HMMs need a smaller p0; the independent HMM
// keeps 0.5 (p0 0.2 costs it 0.021 AER on Hansards).
inline constexpr int kAgreementHmmModel1Iterations = 2;
inline constexpr double kAgreementHmmP0 = 0.3;

// What to train. The fields are the library's defaults, which the CLI binds
// its options to; the model-dependent ones are unset (std::nullopt or -1)
// until ResolveDefaults fills them in.
struct TrainingOptions : ModelOptions {
  // A name or alias of the model registry (model_registry.h). Model 1 is
  // fast_align's default (without -d).
  std::string model = "model1";
  // Model 1 iterations that initialize the translation table before the
  // main model (ignored when the main model is Model 1). Negative: the
  // model's default (ModelInfo::default_model1_iterations: 0 for diagonal,
  // whose first iteration from a uniform table already is Model 1 with a
  // diagonal prior, and for the HMM, whose diagonal factor plays that part;
  // 5 for Model 2), or kAgreementHmmModel1Iterations for the HMM by
  // agreement.
  int model1_iterations = -1;
  // Iterations of the main model.
  int iterations = 5;
  // Hard EM for the main model: each of its iterations counts only each
  // pair's Viterbi alignment (EmTrainer::set_viterbi_training), except a
  // first iteration from the uniform table, whose Viterbi alignments would
  // be nothing but ties. The Model 1 iterations before it stay soft: they
  // are what makes the first Viterbi alignments worth counting.
  bool viterbi_training = false;
  // The Dirichlet prior's alpha (with prior.variational_bayes); unset: the
  // TranslationPrior default, kHmmDefaultAlpha for the HMM. Becomes
  // prior.alpha.
  std::optional<double> alpha;
  // The HMM's p0; unset: HmmOptions's, kAgreementHmmP0 by agreement.
  // Becomes hmm.null_probability.
  std::optional<double> hmm_p0;
  // At most this many MiB of SlotCache: each training pair's table slots,
  // searched for once rather than in every iteration (the forward table's
  // alone under agreement, whose reverse slots come from the forward ones).
  // 0: none (and no TargetColumns either: AttachTargetColumns). Results are
  // the same for any value.
  uint64_t slot_cache_mb = 4096;
};

// Gives `table`, built from `corpus`, the SlotCache that
// options.slot_cache_mb allows (none at 0), with the rows a direct index
// serves only when options.model's E-step is lookup-bound
// (ModelInfo::lookup_bound). Runs in the calling task arena.
void AttachSlotCache(const ParallelCorpus& corpus, const TrainingOptions& options,
                     TranslationTable* table);

// Gives `table`, built from `corpus`, the corpus arranged by target word
// (TargetColumns) when options.model goes target word by target word
// (ModelInfo::by_target_word) for its whole schedule (no Model 1 iterations
// before it, no Viterbi training) and slot_cache_mb is not 0; false (and
// nothing attached) otherwise. EmTrainer's E-steps and DecodeCorpus then go
// target word by target word, which needs no slot cache. Runs in the
// calling task arena.
bool AttachTargetColumns(const ParallelCorpus& corpus, const TrainingOptions& options,
                         TranslationTable* table);

// `options` with every model-dependent default filled in (model1_iterations,
// prior.alpha, hmm.null_probability), for training alone or by agreement,
// and the model name made canonical. Fails on an unknown model.
absl::StatusOr<TrainingOptions> ResolveDefaults(TrainingOptions options, bool agreement);

absl::Status ValidateTrainingOptions(const TrainingOptions& options);

// The number of Model 1 iterations the schedule runs before the main model.
int Model1IterationsBefore(const TrainingOptions& options);

// Sets up main-model iteration `iteration` (1-based) of the schedule, after
// `model1_iterations` Model 1 iterations (AlignmentModel::BeginIteration):
// only the first iteration from a uniform table has uninformed posteriors.
void PrepareMainIteration(int model1_iterations, int iteration, AlignmentModel* model);

// Whether main-model iteration `iteration` (1-based) starts from a table
// some iteration has trained: all but a first one with no Model 1 before it.
inline bool MainIterationIsInformed(int model1_iterations, int iteration) {
  return iteration > 1 || model1_iterations > 0;
}

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
