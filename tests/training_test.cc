#include "aligner/train/training.h"

#include <memory>
#include <string>
#include <vector>

#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/model_io.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

// Everything a trained model computes on the corpus, bit for bit.
std::vector<double> Fingerprint(const AlignmentModel& model) {
  std::vector<double> all, posteriors;
  for (size_t k = 0; k < TrialCorpus().size(); ++k) {
    all.push_back(model.Posteriors(TrialCorpus().pair(k), &posteriors));
    all.insert(all.end(), posteriors.begin(), posteriors.end());
  }
  return all;
}

class CheckpointResume : public ::testing::TestWithParam<std::string> {};

// Training stopped after any iteration and resumed from the last checkpoint
// file ends with exactly the model of an uninterrupted run.
TEST_P(CheckpointResume, ResumedRunEqualsUninterruptedRun) {
  TrainingOptions options;
  options.model = GetParam();
  options.model1_iterations = 2;
  options.iterations = 3;
  options.prior.variational_bayes = true;
  options.diagonal.optimize_tension = true;
  const auto ignore = [](const IterationReport&) {};

  EmTrainer trainer(TrialCorpus(), 2);
  auto uninterrupted = TrainModel(TrialCorpus(), options, &trainer, ignore);
  ASSERT_TRUE(uninterrupted.ok()) << uninterrupted.status();
  const std::vector<double> expected = Fingerprint(**uninterrupted);

  const int total = GetParam() == "model1" ? 3 : 5;
  for (int stop_after = 1; stop_after < total; ++stop_after) {
    const std::string path = ::testing::TempDir() + "/checkpoint." + std::string(GetParam());
    int done = 0;
    CheckpointWriter crash_after = [&](const AlignmentModel& model,
                                       const TrainingCheckpoint& position) {
      ModelMetadata metadata;
      metadata.checkpoint_stage = position.stage;
      metadata.checkpoint_iteration = position.iteration;
      absl::Status saved = SaveModel(model, TrialCorpus().source_vocabulary(),
                                     TrialCorpus().target_vocabulary(), metadata, path);
      if (!saved.ok()) return saved;
      return ++done == stop_after ? absl::AbortedError("simulated crash") : absl::OkStatus();
    };
    EmTrainer first(TrialCorpus(), 1);
    auto crashed = TrainModel(TrialCorpus(), options, &first, ignore, crash_after);
    ASSERT_FALSE(crashed.ok());

    auto checkpoint = LoadModel(path);
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
    EmTrainer second(TrialCorpus(), 2);
    auto resumed = TrainModel(
        TrialCorpus(), options, &second, ignore, nullptr, checkpoint->model.get(),
        {checkpoint->metadata.checkpoint_stage, checkpoint->metadata.checkpoint_iteration});
    ASSERT_TRUE(resumed.ok()) << resumed.status();
    EXPECT_EQ(Fingerprint(**resumed), expected) << "stopped after iteration " << stop_after;
  }
}

INSTANTIATE_TEST_SUITE_P(AllModels, CheckpointResume,
                         ::testing::Values("model1", "model2", "diagonal", "hmm"),
                         [](const auto& info) { return std::string(info.param); });

TEST(CheckpointResume, CheckpointOfAnotherModelIsRefused) {
  TrainingOptions options;
  options.model = "model2";
  options.iterations = 1;
  EmTrainer trainer(TrialCorpus(), 1);
  auto model2 = TrainModel(TrialCorpus(), options, &trainer, [](const IterationReport&) {});
  ASSERT_TRUE(model2.ok());
  options.model = "hmm";
  auto resumed = TrainModel(TrialCorpus(), options, &trainer, [](const IterationReport&) {},
                            nullptr, model2->get(), {1, 1});
  ASSERT_FALSE(resumed.ok());
  EXPECT_NE(std::string(resumed.status().message()).find("model2"), std::string::npos);
}

}  // namespace
}  // namespace aligner
