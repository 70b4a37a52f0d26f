#include "aligner/train/training.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "aligner/base/status_macros.h"
#include "aligner/model/model1.h"
#include "aligner/model/slot_cache.h"
#include "aligner/model/target_columns.h"

namespace aligner {

absl::StatusOr<TrainingOptions> ResolveDefaults(TrainingOptions options, bool agreement) {
  auto info = FindModel(options.model);
  if (!info.ok()) return info.status();
  options.model = (*info)->name;
  if (options.model1_iterations < -1) return ValidateTrainingOptions(options);
  const bool hmm = options.model == "hmm";
  if (options.model1_iterations < 0) {
    options.model1_iterations =
        agreement && hmm ? kAgreementHmmModel1Iterations : (*info)->default_model1_iterations;
  }
  options.prior.alpha = options.alpha.value_or(hmm ? kHmmDefaultAlpha : TranslationPrior().alpha);
  options.hmm.null_probability =
      options.hmm_p0.value_or(agreement ? kAgreementHmmP0 : HmmOptions().null_probability);
  return options;
}

absl::Status ValidateTrainingOptions(const TrainingOptions& o) {
  if (o.iterations < 0) return absl::InvalidArgumentError("--iterations must be >= 0");
  if (o.model1_iterations < -1) {
    return absl::InvalidArgumentError(
        "--model1-iterations must be >= 0 (or -1 for the model's default)");
  }
  // An infinite alpha or tension turns every probability into NaN.
  if (o.prior.variational_bayes && !(o.prior.alpha > 0 && std::isfinite(o.prior.alpha))) {
    return absl::InvalidArgumentError("--alpha must be > 0 (and finite)");
  }
  if (!(o.diagonal.p0 >= 0 && o.diagonal.p0 < 1)) {
    return absl::InvalidArgumentError("--p0 must be in [0, 1)");
  }
  if (!(o.diagonal.tension > 0 && std::isfinite(o.diagonal.tension))) {
    return absl::InvalidArgumentError("--diagonal-tension must be > 0 (and finite)");
  }
  if (!(o.hmm.null_probability >= 0 && o.hmm.null_probability < 1)) {
    return absl::InvalidArgumentError("--hmm-p0 must be in [0, 1)");
  }
  if (o.hmm.max_jump < 1) return absl::InvalidArgumentError("--hmm-max-jump must be >= 1");
  if (!(o.hmm.jump_smoothing >= 0 && o.hmm.jump_smoothing <= 1)) {
    return absl::InvalidArgumentError("--hmm-jump-smoothing must be in [0, 1]");
  }
  if (!(o.hmm.diagonal_tension >= 0 && o.hmm.diagonal_tension <= 100)) {
    return absl::InvalidArgumentError("--hmm-diagonal-tension must be in [0, 100]");
  }
  return absl::OkStatus();
}

// The main model, fresh or carrying the parameters of `resume_from`.
absl::StatusOr<std::unique_ptr<AlignmentModel>> MakeMainModel(
    const ParallelCorpus& corpus, const TrainingOptions& options,
    std::shared_ptr<TranslationTable> table, const AlignmentModel* resume_from) {
  ModelSetup setup;
  setup.corpus = &corpus;
  setup.table = std::move(table);
  setup.options = options;
  ASSIGN_OR_RETURN(std::unique_ptr<AlignmentModel> model, CreateModel(options.model, setup));
  if (resume_from != nullptr) RETURN_IF_ERROR(CopyLearnedParameters(*resume_from, model.get()));
  return model;
}

int Model1IterationsBefore(const TrainingOptions& options) {
  if (options.model == "model1") return 0;
  if (options.model1_iterations >= 0) return options.model1_iterations;
  auto info = FindModel(options.model);
  return info.ok() ? (*info)->default_model1_iterations : 0;
}

void AttachSlotCache(const ParallelCorpus& corpus, const TrainingOptions& options,
                     TranslationTable* table) {
  if (options.slot_cache_mb > 0) {
    std::shared_ptr<const SlotCache> cache =
        SlotCache::Build(corpus, *table, options.slot_cache_mb << 20, IsLookupBound(options.model));
    if (cache != nullptr) cache->Fill(corpus, *table);
    table->set_slot_cache(std::move(cache));
  }
}

bool AttachTargetColumns(const ParallelCorpus& corpus, const TrainingOptions& options,
                         TranslationTable* table) {
  auto info = FindModel(options.model);
  if (!info.ok() || !(*info)->by_target_word || Model1IterationsBefore(options) > 0 ||
      options.viterbi_training || options.slot_cache_mb == 0) {
    return false;
  }
  std::unique_ptr<TargetColumns> columns = TargetColumns::Build(corpus, *table);
  if (columns == nullptr) return false;
  table->set_target_columns(std::move(columns));
  return true;
}

void PrepareMainIteration(int model1_iterations, int iteration, AlignmentModel* model) {
  model->BeginIteration(MainIterationIsInformed(model1_iterations, iteration));
}

absl::StatusOr<std::unique_ptr<AlignmentModel>> TrainModel(
    const ParallelCorpus& corpus, const TrainingOptions& options, EmTrainer* trainer,
    const std::function<void(const IterationReport&)>& on_iteration,
    const CheckpointWriter& checkpoint, const AlignmentModel* resume_from,
    TrainingCheckpoint resume_at) {
  if (absl::Status status = ValidateTrainingOptions(options); !status.ok()) return status;
  std::shared_ptr<TranslationTable> table;
  if (resume_from != nullptr) {
    table = std::make_shared<TranslationTable>(resume_from->translation_table());
  } else {
    trainer->Run(
        [&] { table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus)); });
  }
  trainer->Run([&] {
    if (!AttachTargetColumns(corpus, options, table.get()))
      AttachSlotCache(corpus, options, table.get());
  });
  trainer->set_hot_count_slots(HotCountSlots(options.model));
  const int model1_iterations = Model1IterationsBefore(options);
  // Stage 0: Model 1 iterations that initialize the table for the main model.
  const bool resume_main = resume_from != nullptr && resume_at.stage == 1;
  if (!resume_main) {
    Model1 model1(table, options.use_null, options.prior);
    const int first = resume_from != nullptr ? resume_at.iteration + 1 : 1;
    for (int it = first; it <= model1_iterations; ++it) {
      on_iteration(trainer->Iterate(&model1, it));
      if (checkpoint) {
        if (absl::Status s = checkpoint(model1, {0, it}); !s.ok()) return s;
      }
    }
  }
  // Stage 1: the main model.
  auto made = MakeMainModel(corpus, options, table, resume_main ? resume_from : nullptr);
  if (!made.ok()) return made.status();
  std::unique_ptr<AlignmentModel> model = std::move(*made);
  for (int it = resume_main ? resume_at.iteration + 1 : 1; it <= options.iterations; ++it) {
    PrepareMainIteration(model1_iterations, it, model.get());
    trainer->set_viterbi_training(options.viterbi_training &&
                                  MainIterationIsInformed(model1_iterations, it));
    on_iteration(trainer->Iterate(model.get(), it));
    if (checkpoint) {
      if (absl::Status s = checkpoint(*model, {1, it}); !s.ok()) return s;
    }
  }
  trainer->set_viterbi_training(false);
  return model;
}

}  // namespace aligner
