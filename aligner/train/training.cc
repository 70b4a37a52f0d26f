#include "aligner/train/training.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "aligner/model/model1.h"
#include "aligner/model/model2.h"

namespace aligner {

absl::StatusOr<ModelKind> ParseModelKind(const std::string& name) {
  if (name == "model1" || name == "1") return ModelKind::kModel1;
  if (name == "model2" || name == "2") return ModelKind::kModel2;
  if (name == "diagonal" || name == "fast_align") return ModelKind::kDiagonal;
  if (name == "hmm") return ModelKind::kHmm;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown model '", name, "' (expected model1, model2, diagonal or hmm)"));
}

std::string ModelKindName(ModelKind kind) {
  switch (kind) {
    case ModelKind::kModel1:
      return "model1";
    case ModelKind::kModel2:
      return "model2";
    case ModelKind::kDiagonal:
      return "diagonal";
    case ModelKind::kHmm:
      return "hmm";
  }
  return "unknown";
}

absl::Status ValidateTrainingOptions(const TrainingOptions& o) {
  if (o.iterations < 0) return absl::InvalidArgumentError("--iterations must be >= 0");
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

namespace {

const TranslationTable* TableOf(const AlignmentModel& model) {
  if (const auto* m = dynamic_cast<const PositionalModel*>(&model)) return &m->translation_table();
  if (const auto* m = dynamic_cast<const HmmModel*>(&model)) return &m->translation_table();
  return nullptr;
}

}  // namespace

// The main model, fresh or carrying the parameters of `resume_from`.
absl::StatusOr<std::unique_ptr<AlignmentModel>> MakeMainModel(
    const ParallelCorpus& corpus, const TrainingOptions& options,
    std::shared_ptr<TranslationTable> table, const AlignmentModel* resume_from) {
  const std::string expected = ModelKindName(options.model);
  if (resume_from != nullptr && resume_from->name() != expected) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resume: the checkpoint holds a ",
                                                   resume_from->name(), " model, not ", expected));
  }
  switch (options.model) {
    case ModelKind::kModel1:
      return std::unique_ptr<AlignmentModel>(
          std::make_unique<Model1>(table, options.use_null, options.prior));
    case ModelKind::kModel2: {
      AlignmentTable alignment =
          resume_from != nullptr ? dynamic_cast<const Model2*>(resume_from)->alignment_table()
                                 : AlignmentTable::FromCorpus(corpus, options.use_null);
      return std::unique_ptr<AlignmentModel>(std::make_unique<Model2>(
          table, std::move(alignment), options.use_null, options.prior));
    }
    case ModelKind::kDiagonal: {
      DiagonalOptions diagonal = options.diagonal;
      if (resume_from != nullptr) {
        const auto* saved = dynamic_cast<const DiagonalModel*>(resume_from);
        diagonal.tension = saved->options().tension;
        diagonal.p0 = saved->options().p0;
      }
      return std::unique_ptr<AlignmentModel>(std::make_unique<DiagonalModel>(
          table, options.use_null, options.prior, diagonal, DiagonalModel::CountLengths(corpus)));
    }
    case ModelKind::kHmm: {
      auto hmm = std::make_unique<HmmModel>(table, options.use_null, options.prior, options.hmm,
                                            HmmModel::MaxSourceLength(corpus));
      if (resume_from != nullptr) {
        hmm->set_jump_weights(dynamic_cast<const HmmModel*>(resume_from)->jump_weights());
      }
      return std::unique_ptr<AlignmentModel>(std::move(hmm));
    }
  }
  return absl::InternalError("unknown model kind");
}

int Model1IterationsBefore(const TrainingOptions& options) {
  if (options.model == ModelKind::kModel1) return 0;
  if (options.model1_iterations >= 0) return options.model1_iterations;
  return options.model == ModelKind::kModel2 ? 5 : 0;
}

void PrepareMainIteration(const TrainingOptions& options, int model1_iterations, int iteration,
                          AlignmentModel* model) {
  if (auto* diagonal = dynamic_cast<DiagonalModel*>(model)) {
    const bool informed = iteration > 1 || model1_iterations > 0;
    diagonal->set_optimize_tension(options.diagonal.optimize_tension && informed);
    diagonal->set_optimize_p0(options.diagonal.optimize_p0 && informed);
  }
}

absl::StatusOr<std::unique_ptr<AlignmentModel>> TrainModel(
    const ParallelCorpus& corpus, const TrainingOptions& options, EmTrainer* trainer,
    const std::function<void(const IterationReport&)>& on_iteration,
    const CheckpointWriter& checkpoint, const AlignmentModel* resume_from,
    TrainingCheckpoint resume_at) {
  if (absl::Status status = ValidateTrainingOptions(options); !status.ok()) return status;
  std::shared_ptr<TranslationTable> table;
  if (resume_from != nullptr) {
    const TranslationTable* saved = TableOf(*resume_from);
    if (saved == nullptr) return absl::InvalidArgumentError("cannot resume from this model");
    table = std::make_shared<TranslationTable>(*saved);
  } else {
    trainer->Run(
        [&] { table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus)); });
  }
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
    PrepareMainIteration(options, model1_iterations, it, model.get());
    on_iteration(trainer->Iterate(model.get(), it));
    if (checkpoint) {
      if (absl::Status s = checkpoint(*model, {1, it}); !s.ok()) return s;
    }
  }
  return model;
}

}  // namespace aligner
