#include "aligner/model/model_registry.h"

#include <string>
#include <utility>
#include <vector>

#include "aligner/model/expected_counts.h"
#include "aligner/model/model2.h"
#include "aligner/train/em_trainer.h"
#include "aligner/train/training.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

using ::testing::HasSubstr;

TEST(ModelRegistryTest, FindsNamesAndAliases) {
  for (const char* name : {"model1", "model2", "diagonal", "hmm"}) {
    auto info = FindModel(name);
    ASSERT_TRUE(info.ok()) << name;
    EXPECT_EQ((*info)->name, name);
  }
  EXPECT_EQ((*FindModel("1"))->name, "model1");
  EXPECT_EQ((*FindModel("2"))->name, "model2");
  EXPECT_EQ((*FindModel("fast_align"))->name, "diagonal");
  auto bogus = FindModel("bogus");
  ASSERT_FALSE(bogus.ok());
  EXPECT_THAT(std::string(bogus.status().message()), HasSubstr("'bogus'"));
  EXPECT_THAT(std::string(bogus.status().message()), HasSubstr(ModelNames()));
  EXPECT_EQ(ModelNames(), "model1, model2, diagonal or hmm");
}

TEST(ModelRegistryTest, EveryModelIsCreatedUnderItsOwnName) {
  const ParallelCorpus& corpus = TrialCorpus();
  for (const ModelInfo& info : AllModels()) {
    ModelSetup setup;
    setup.corpus = &corpus;
    setup.table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus));
    auto model = CreateModel(info.name, setup);
    ASSERT_TRUE(model.ok()) << info.name;
    EXPECT_EQ((*model)->name(), info.name);
    EXPECT_EQ(&(*model)->translation_table(), setup.table.get());
    EXPECT_FALSE(info.description.empty());
  }
  EXPECT_EQ((*FindModel("model2"))->default_model1_iterations, 5);
  EXPECT_EQ((*FindModel("hmm"))->default_model1_iterations, 0);
}

// Lines of `lengths` source and target tokens (0: an empty side).
ParallelCorpus CorpusOfLengths(const std::vector<std::pair<int, int>>& lengths) {
  ParallelCorpus corpus;
  const WordId s = corpus.mutable_source_vocabulary().Intern("s");
  const WordId t = corpus.mutable_target_vocabulary().Intern("t");
  for (const auto& [l, m] : lengths) {
    corpus.mutable_source_text().AddSentence(std::vector<WordId>(l, s));
    corpus.mutable_target_text().AddSentence(std::vector<WordId>(m, t));
  }
  return corpus;
}

// Only the HMM's E-step is bound by its arithmetic: it keeps fewer count
// slots per thread, and its slot cache leaves out the rows with a direct
// index; the others keep both.
TEST(ModelRegistryTest, OnlyTheHmmIsArithmeticBound) {
  for (const ModelInfo& info : AllModels()) {
    EXPECT_EQ(info.lookup_bound, info.name != "hmm") << info.name;
    EXPECT_EQ(IsLookupBound(info.name), info.lookup_bound) << info.name;
    EXPECT_EQ(HotCountSlots(info.name), info.name == "hmm"
                                            ? ExpectedCounts::kArithmeticBoundHotSlots
                                            : ExpectedCounts::kHotSlots)
        << info.name;
  }
  EXPECT_TRUE(IsLookupBound("no such model"));
  EXPECT_EQ(HotCountSlots("no such model"), ExpectedCounts::kHotSlots);
}

TEST(ModelRegistryTest, PairLengthsInOrderOfFirstAppearanceWithCounts) {
  const ParallelCorpus corpus =
      CorpusOfLengths({{2, 3}, {0, 4}, {1, 1}, {2, 3}, {3, 0}, {1, 1}, {4, 2}, {2, 3}});
  EXPECT_EQ(CountPairLengths(corpus),
            (PairLengths{{2, 3, 3}, {1, 1, 2}, {4, 2, 1}}));  // empty sides left out
  EXPECT_EQ(CountPairLengths(CorpusOfLengths({})), PairLengths());
}

// ModelSetup::lengths stands for the corpus's own: a model made from one part
// of a corpus with the whole's lengths (an MPI rank's) is the model of the whole.
TEST(ModelRegistryTest, GivenPairLengthsReplaceThoseOfTheCorpus) {
  const ParallelCorpus whole = CorpusOfLengths({{2, 3}, {1, 1}, {4, 2}, {3, 5}});
  const ParallelCorpus part = CorpusOfLengths({{4, 2}});
  const PairLengths lengths = CountPairLengths(whole);
  ModelSetup setup;
  setup.corpus = &part;
  setup.table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(part));
  EXPECT_EQ(TrainingPairLengths(setup), CountPairLengths(part));
  setup.lengths = &lengths;
  EXPECT_EQ(TrainingPairLengths(setup), lengths);
  auto model = CreateModel("model2", setup);
  ASSERT_TRUE(model.ok());
  const AlignmentTable& table = dynamic_cast<const Model2&>(**model).alignment_table();
  const AlignmentTable expected = AlignmentTable::FromCorpus(whole, true);
  EXPECT_EQ(table.probs(), expected.probs());
  EXPECT_EQ(table.Find(3, 5), expected.Find(3, 5));
  EXPECT_GE(table.Find(3, 5), 0);
  setup.corpus = nullptr;
  setup.lengths = nullptr;
  EXPECT_EQ(TrainingPairLengths(setup), PairLengths());
}

// A trained model's learned parameters, copied into a fresh model of the same
// kind, give the same posteriors (what --resume relies on).
TEST(ModelRegistryTest, CopyLearnedParametersReproducesTheModel) {
  const ParallelCorpus& corpus = TrialCorpus();
  for (const char* name : {"model2", "diagonal", "hmm"}) {
    SCOPED_TRACE(name);
    TrainingOptions options;
    options.model = name;
    options.model1_iterations = 1;
    options.iterations = 2;
    options.diagonal.optimize_tension = true;
    auto trained_or = TrainQuietly(corpus, options, 1);
    ASSERT_TRUE(trained_or.ok());
    const auto& trained = *trained_or;
    ModelSetup setup;
    setup.corpus = &corpus;
    setup.table = trained->shared_translation_table();
    setup.options = options;
    auto fresh = CreateModel(name, setup);
    ASSERT_TRUE(fresh.ok());
    ASSERT_TRUE(CopyLearnedParameters(*trained, fresh->get()).ok());
    std::vector<double> a, b;
    for (size_t k = 0; k < corpus.size(); ++k) {
      trained->Posteriors(corpus.pair(k), &a);
      (*fresh)->Posteriors(corpus.pair(k), &b);
      ASSERT_EQ(a, b) << "pair " << k;
    }
  }
  ModelSetup setup;
  setup.corpus = &corpus;
  setup.table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus));
  auto hmm = CreateModel("hmm", setup);
  auto diagonal = CreateModel("diagonal", setup);
  const absl::Status mismatch = CopyLearnedParameters(**hmm, diagonal->get());
  EXPECT_FALSE(mismatch.ok());
  EXPECT_THAT(std::string(mismatch.message()), HasSubstr("hmm model, not diagonal"));
}

TEST(ResolveDefaultsTest, ModelDependentDefaults) {
  TrainingOptions options;
  options.model = "hmm";
  auto alone = ResolveDefaults(options, false);
  ASSERT_TRUE(alone.ok());
  EXPECT_EQ(alone->model1_iterations, 0);
  EXPECT_EQ(alone->prior.alpha, kHmmDefaultAlpha);
  EXPECT_EQ(alone->hmm.null_probability, HmmOptions().null_probability);
  auto agreed = ResolveDefaults(options, true);
  EXPECT_EQ(agreed->model1_iterations, kAgreementHmmModel1Iterations);
  EXPECT_EQ(agreed->hmm.null_probability, kAgreementHmmP0);
  options.alpha = 0.3;
  options.hmm_p0 = 0.4;
  options.model1_iterations = 1;
  agreed = ResolveDefaults(options, true);
  EXPECT_EQ(agreed->prior.alpha, 0.3);
  EXPECT_EQ(agreed->hmm.null_probability, 0.4);
  EXPECT_EQ(agreed->model1_iterations, 1);
  options = TrainingOptions();
  options.model = "fast_align";
  auto diagonal = ResolveDefaults(options, false);
  EXPECT_EQ(diagonal->model, "diagonal");
  EXPECT_EQ(diagonal->prior.alpha, TranslationPrior().alpha);
  options.model = "model2";
  EXPECT_EQ(ResolveDefaults(options, false)->model1_iterations, 5);
  options.model = "nonsense";
  EXPECT_FALSE(ResolveDefaults(options, false).ok());
}

}  // namespace
}  // namespace aligner
