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
  // Finite bounds: an infinite alpha, or a tension whose exp() overflows in
  // DiagonalWeights, turns every probability into NaN.
  if (o.prior.variational_bayes && !(o.prior.alpha > 0 && std::isfinite(o.prior.alpha))) {
    return absl::InvalidArgumentError("--alpha must be > 0 (and finite)");
  }
  if (!(o.diagonal.p0 >= 0 && o.diagonal.p0 < 1)) {
    return absl::InvalidArgumentError("--p0 must be in [0, 1)");
  }
  if (!(o.diagonal.tension > 0 && o.diagonal.tension <= 700)) {
    return absl::InvalidArgumentError("--diagonal-tension must be in (0, 700]");
  }
  if (!(o.hmm.null_probability >= 0 && o.hmm.null_probability < 1)) {
    return absl::InvalidArgumentError("--hmm-p0 must be in [0, 1)");
  }
  if (o.hmm.max_jump < 1) return absl::InvalidArgumentError("--hmm-max-jump must be >= 1");
  if (!(o.hmm.jump_smoothing >= 0 && o.hmm.jump_smoothing <= 1)) {
    return absl::InvalidArgumentError("--hmm-jump-smoothing must be in [0, 1]");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<AlignmentModel>> TrainModel(
    const ParallelCorpus& corpus, const TrainingOptions& options, EmTrainer* trainer,
    const std::function<void(const IterationReport&)>& on_iteration) {
  if (absl::Status status = ValidateTrainingOptions(options); !status.ok()) return status;
  std::shared_ptr<TranslationTable> table;
  trainer->Run([&] { table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus)); });

  auto run = [&](AlignmentModel* model, int iterations) {
    for (int it = 1; it <= iterations; ++it) on_iteration(trainer->Iterate(model, it));
  };

  auto model1 = std::make_unique<Model1>(table, options.use_null, options.prior);
  if (options.model == ModelKind::kModel1) {
    run(model1.get(), options.iterations);
    return std::unique_ptr<AlignmentModel>(std::move(model1));
  }
  const int model1_iterations = options.model1_iterations >= 0 ? options.model1_iterations
                                 : options.model == ModelKind::kModel2 ? 5
                                 : options.model == ModelKind::kHmm    ? 5
                                                                       : 0;
  run(model1.get(), model1_iterations);
  if (options.model == ModelKind::kModel2) {
    auto model = std::make_unique<Model2>(
        table, AlignmentTable::FromCorpus(corpus, options.use_null), options.use_null,
        options.prior);
    run(model.get(), options.iterations);
    return std::unique_ptr<AlignmentModel>(std::move(model));
  }
  if (options.model == ModelKind::kHmm) {
    auto model = std::make_unique<HmmModel>(table, options.use_null, options.prior, options.hmm,
                                            HmmModel::MaxSourceLength(corpus));
    run(model.get(), options.iterations);
    return std::unique_ptr<AlignmentModel>(std::move(model));
  }
  auto model = std::make_unique<DiagonalModel>(table, options.use_null, options.prior,
                                               options.diagonal,
                                               DiagonalModel::CountLengths(corpus));
  for (int it = 1; it <= options.iterations; ++it) {
    // From a uniform table the first posteriors are purely positional and
    // would only echo the starting tension back (fast_align skips it too).
    const bool informed = it > 1 || model1_iterations > 0;
    model->set_optimize_tension(options.diagonal.optimize_tension && informed);
    model->set_optimize_p0(options.diagonal.optimize_p0 && informed);
    on_iteration(trainer->Iterate(model.get(), it));
  }
  return std::unique_ptr<AlignmentModel>(std::move(model));
}

}  // namespace aligner
