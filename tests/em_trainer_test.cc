// Tests for the EM trainer and the training schedule on the shipped 10k-pair
// Hansards slice: exact EM never lowers the likelihood, and the result does
// not depend on the number of threads.
#include "aligner/train/em_trainer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "aligner/corpus/parallel_corpus.h"
#include "aligner/decode/decoder.h"
#include "aligner/model/diagonal_model.h"
#include "aligner/model/expected_counts.h"
#include "aligner/model/model1.h"
#include "aligner/model/model2.h"
#include "aligner/model/positional_model.h"
#include "aligner/train/training.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

using ::testing::HasSubstr;

TEST(HansardsSliceTest, ReadsAllPairs) {
  const ParallelCorpus& corpus = Hansards();
  EXPECT_EQ(corpus.size(), 10000u);
  EXPECT_GT(corpus.source_text().num_tokens(), 100000u);
  EXPECT_GT(corpus.target_text().num_tokens(), 100000u);
}

// Every iteration's log-likelihood is at least the previous one, up to a
// relative 1e-9 for float rounding of the stored probabilities.
void ExpectNonDecreasing(const std::vector<IterationReport>& reports) {
  for (size_t k = 1; k < reports.size(); ++k) {
    const double before = reports[k - 1].log_likelihood, after = reports[k].log_likelihood;
    EXPECT_GE(after, before - 1e-9 * std::fabs(before))
        << reports[k].model << " iteration " << reports[k].iteration << " lowered the "
        << "log-likelihood from " << before << " to " << after;
  }
}

TEST(EmTrainerTest, Model1LogLikelihoodNeverDecreases) {
  const ParallelCorpus& corpus = Hansards();
  auto table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus));
  Model1 model(table, /*use_null=*/true, TranslationPrior());
  EmTrainer trainer(corpus, 2);
  std::vector<IterationReport> reports;
  for (int it = 1; it <= 10; ++it) {
    reports.push_back(trainer.Iterate(&model, it));
    EXPECT_TRUE(std::isfinite(reports.back().log_likelihood));
    EXPECT_LT(reports.back().log_likelihood, 0);
  }
  ExpectNonDecreasing(reports);
  // And it actually improves a lot over the uniform start.
  EXPECT_GT(reports.back().log_likelihood - reports.front().log_likelihood,
            0.1 * std::fabs(reports.front().log_likelihood));
  EXPECT_LT(reports.back().perplexity, reports.front().perplexity);
}

TEST(EmTrainerTest, Model1WithoutNullLogLikelihoodNeverDecreases) {
  const ParallelCorpus& corpus = Hansards();
  auto table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus));
  Model1 model(table, /*use_null=*/false, TranslationPrior());
  EmTrainer trainer(corpus, 2);
  std::vector<IterationReport> reports;
  for (int it = 1; it <= 6; ++it) reports.push_back(trainer.Iterate(&model, it));
  ExpectNonDecreasing(reports);
}

TEST(EmTrainerTest, ClassicModel2LogLikelihoodNeverDecreases) {
  const ParallelCorpus& corpus = Hansards();
  TrainingOptions options;
  options.model = "model2";
  options.model1_iterations = 0;
  options.iterations = 10;
  options.prior.variational_bayes = false;
  EmTrainer trainer(corpus, 2);
  std::vector<IterationReport> reports;
  auto model = TrainModel(corpus, options, &trainer,
                          [&](const IterationReport& r) { reports.push_back(r); });
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_EQ(reports.size(), 10u);
  for (const auto& r : reports) EXPECT_EQ(r.model, "model2");
  EXPECT_EQ((*model)->name(), "model2");
  ExpectNonDecreasing(reports);
}

TEST(EmTrainerTest, Model1ThenModel2ScheduleNeverDecreases) {
  // Model 2 starts with a uniform alignment table, i.e. as the Model 1 just
  // trained, so the likelihood keeps rising across the switch.
  const ParallelCorpus& corpus = Hansards();
  TrainingOptions options;
  options.model = "model2";
  options.model1_iterations = 3;
  options.iterations = 4;
  EmTrainer trainer(corpus, 2);
  std::vector<IterationReport> reports;
  auto model = TrainModel(corpus, options, &trainer,
                          [&](const IterationReport& r) { reports.push_back(r); });
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_EQ(reports.size(), 7u);
  EXPECT_EQ(reports[2].model, "model1");
  EXPECT_EQ(reports[2].iteration, 3);
  EXPECT_EQ(reports[3].model, "model2");
  EXPECT_EQ(reports[3].iteration, 1);
  ExpectNonDecreasing(reports);
}

// Everything that must not depend on the thread count.
struct TrainedResult {
  std::vector<IterationReport> reports;
  std::vector<float> probs;
  double tension = 0;
  std::vector<SentenceLinks> links;
};

TrainedResult TrainDiagonal(const ParallelCorpus& corpus, int threads) {
  TrainingOptions options;
  options.model = "diagonal";
  options.model1_iterations = 2;
  options.iterations = 3;
  options.prior.variational_bayes = true;
  options.prior.alpha = 0.01;
  options.diagonal.optimize_tension = true;
  TrainedResult result;
  EmTrainer trainer(corpus, threads);
  EXPECT_EQ(trainer.num_threads(), threads);
  auto model = TrainModel(corpus, options, &trainer,
                          [&](const IterationReport& r) { result.reports.push_back(r); });
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return result;
  const auto* diagonal = dynamic_cast<const DiagonalModel*>(model->get());
  EXPECT_NE(diagonal, nullptr);
  if (diagonal == nullptr) return result;
  result.tension = diagonal->tension();
  const auto probs = diagonal->translation_table().probs();
  result.probs.assign(probs.begin(), probs.end());
  result.links.resize(corpus.size());
  trainer.Run([&] {
    DecodeCorpus(**model, corpus, DecodeOptions(),
                 [&](size_t k, const DecodedPair& pair) { result.links[k] = pair.links; });
  });
  return result;
}

// Hard EM: the first iteration from the uniform table is soft, then each
// iteration reports the sum of the Viterbi alignments' log-probabilities
// under the model it starts from, which the hard M-step never lowers.
TEST(EmTrainerTest, ViterbiTrainingNeverLowersTheViterbiScore) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 2000);
  for (const char* kind : {"model1", "model2", "diagonal", "hmm"}) {
    TrainingOptions options;
    options.model = kind;
    options.model1_iterations = 0;
    options.iterations = 6;
    options.viterbi_training = true;
    EmTrainer soft_trainer(corpus, 2), hard_trainer(corpus, 2);
    std::vector<IterationReport> hard, soft;
    auto model = TrainModel(corpus, options, &hard_trainer,
                            [&](const IterationReport& r) { hard.push_back(r); });
    ASSERT_TRUE(model.ok()) << model.status();
    options.viterbi_training = false;
    ASSERT_TRUE(TrainModel(corpus, options, &soft_trainer, [&](const IterationReport& r) {
                  soft.push_back(r);
                }).ok());
    SCOPED_TRACE(kind);
    ASSERT_EQ(hard.size(), 6u);
    // The same soft first iteration; from the second on, other counts.
    EXPECT_EQ(hard[0].log_likelihood, soft[0].log_likelihood);
    EXPECT_NE(hard[1].log_likelihood, soft[1].log_likelihood);
    // One alignment's probability is below the sum over all of them.
    EXPECT_LT(hard[1].log_likelihood, soft[1].log_likelihood);
    ExpectNonDecreasing({hard.begin() + 1, hard.end()});
  }
}

// The counts of one pair are its Viterbi alignment's: one link per target
// word, on ViterbiAlign's links, with ViterbiAlign's log-probability.
TEST(EmTrainerTest, ViterbiCountsAreTheViterbiAlignments) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 300);
  for (const char* kind : {"model2", "hmm"}) {
    TrainingOptions options;
    options.model = kind;
    options.model1_iterations = 0;
    options.iterations = 2;
    EmTrainer trainer(corpus, 1);
    auto model = TrainModel(corpus, options, &trainer, [](const IterationReport&) {});
    ASSERT_TRUE(model.ok()) << model.status();
    const TranslationTable& table = (*model)->translation_table();
    std::vector<uint32_t> alignment;
    for (size_t k = 0; k < 40; ++k) {
      const SentencePair pair = corpus.pair(k);
      if (pair.source.empty() || pair.target.empty()) continue;
      ExpectedCounts counts;
      (*model)->InitCounts(&counts);
      (*model)->AddViterbiCounts(pair, &counts);
      const double log_prob = (*model)->ViterbiAlign(pair, &alignment);
      SCOPED_TRACE(std::string(kind) + " pair " + std::to_string(k));
      EXPECT_NEAR(counts.log_likelihood(), log_prob, 1e-6);  // summed in fixed point
      std::vector<int64_t> expected(table.num_entries(), 0);
      for (uint32_t j = 0; j < pair.target.size(); ++j) {
        const WordId e = alignment[j] == 0 ? kNullWord : pair.source[alignment[j] - 1];
        expected[table.Find(e, pair.target[j])] += FixedPointArray::ToFixed(1.0);
      }
      for (size_t s = 0; s < table.num_entries(); ++s) {
        ASSERT_EQ(counts.translation().raw(s), expected[s]) << "slot " << s;
      }
    }
  }
}

TEST(EmTrainerTest, DiagonalWithVbAndTensionIsIdenticalForAnyThreadCount) {
  const ParallelCorpus& corpus = Hansards();
  const TrainedResult one = TrainDiagonal(corpus, 1);
  ASSERT_EQ(one.reports.size(), 5u);
  EXPECT_EQ(one.reports[1].model, "model1");
  EXPECT_EQ(one.reports[2].model, "diagonal");
  // Tension optimization actually ran.
  EXPECT_NE(one.tension, DiagonalOptions().tension);
  size_t total_links = 0;
  for (const auto& l : one.links) total_links += l.size();
  EXPECT_GT(total_links, corpus.target_text().num_tokens() / 2);

  for (int threads : {2, 4}) {
    const TrainedResult other = TrainDiagonal(corpus, threads);
    ASSERT_EQ(other.reports.size(), one.reports.size());
    for (size_t k = 0; k < one.reports.size(); ++k) {
      // Bit-for-bit, not approximately.
      EXPECT_EQ(other.reports[k].log_likelihood, one.reports[k].log_likelihood)
          << threads << " threads, iteration " << k;
    }
    EXPECT_EQ(other.tension, one.tension) << threads << " threads";
    ASSERT_EQ(other.probs.size(), one.probs.size());
    EXPECT_EQ(std::memcmp(other.probs.data(), one.probs.data(), one.probs.size() * sizeof(float)),
              0)
        << "translation table differs with " << threads << " threads";
    ASSERT_EQ(other.links.size(), one.links.size());
    size_t differing = 0;
    for (size_t k = 0; k < one.links.size(); ++k) differing += other.links[k] != one.links[k];
    EXPECT_EQ(differing, 0u) << "pairs with other links with " << threads << " threads";
  }
}

// The aligner numbers words by frequency for speed; the model must not see
// the difference. (Each row's total is summed exactly, not in the order of
// its target ids.)
TEST(EmTrainerTest, TrainingDoesNotDependOnWordIds) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 3000);
  ParallelCorpus renumbered = corpus;
  renumbered.NumberWordsByFrequency();
  size_t moved = 0;
  for (size_t k = 0; k < corpus.size(); ++k) {
    moved += !std::equal(corpus.pair(k).target.begin(), corpus.pair(k).target.end(),
                         renumbered.pair(k).target.begin());
  }
  ASSERT_GT(moved, corpus.size() / 2) << "the test needs ids that differ";
  const TrainedResult original = TrainDiagonal(corpus, 2);
  const TrainedResult other = TrainDiagonal(renumbered, 2);
  ASSERT_EQ(other.reports.size(), original.reports.size());
  for (size_t k = 0; k < original.reports.size(); ++k) {
    EXPECT_EQ(other.reports[k].log_likelihood, original.reports[k].log_likelihood) << k;
  }
  EXPECT_EQ(other.tension, original.tension);
  EXPECT_EQ(other.links, original.links);
}

TEST(PairsByLengthsTest, EveryUsablePairOnceSortedByLengths) {
  const ParallelCorpus& corpus = TrialCorpus();
  const std::vector<uint32_t> order = PairsByLengths(corpus);
  std::vector<uint32_t> usable;
  for (uint32_t k = 0; k < corpus.size(); ++k) {
    if (!corpus.pair(k).source.empty() && !corpus.pair(k).target.empty()) usable.push_back(k);
  }
  std::vector<uint32_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, usable);
  auto key = [&](uint32_t k) {
    return std::make_tuple(corpus.pair(k).source.size(), corpus.pair(k).target.size(), k);
  };
  for (size_t n = 1; n < order.size(); ++n) EXPECT_LT(key(order[n - 1]), key(order[n])) << n;
}

// The HMM's E-step visits pairs by lengths: the counts must be those of
// visiting them in corpus order.
TEST(EmTrainerTest, HmmCountsDoNotDependOnTheOrderOfPairs) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 500);
  TrainingOptions options;
  options.model = "hmm";
  options.model1_iterations = 1;
  options.iterations = 1;
  EmTrainer trainer(corpus, 2);
  auto model = TrainModel(corpus, options, &trainer, [](const IterationReport&) {});
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_TRUE((*model)->PrefersPairsByLengths());
  const ExpectedCounts& by_lengths = trainer.ExpectationStep(**model);
  ExpectedCounts in_order;
  (*model)->InitCounts(&in_order);
  for (size_t k = 0; k < corpus.size(); ++k) (*model)->AddExpectedCounts(corpus.pair(k), &in_order);
  EXPECT_EQ(by_lengths.log_likelihood(), in_order.log_likelihood());
  EXPECT_EQ(by_lengths.links, in_order.links);
  for (size_t s = 0; s < in_order.translation().size(); ++s) {
    ASSERT_EQ(by_lengths.translation().raw(s), in_order.translation().raw(s)) << s;
  }
  for (size_t s = 0; s < in_order.alignment.size(); ++s) {
    ASSERT_EQ(by_lengths.alignment.raw(s), in_order.alignment.raw(s)) << s;
  }
}

TEST(EmTrainerTest, ExpectationStepIsRepeatable) {
  // Two E-steps of the same model give the same counts: nothing is left over
  // from the previous call. So does a third after ReleaseCounts, which frees
  // the summed counts until then.
  const ParallelCorpus& corpus = Hansards();
  auto table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus));
  Model1 model(table, true, TranslationPrior());
  EmTrainer trainer(corpus, 2);
  trainer.Iterate(&model, 1);
  const ExpectedCounts& first = trainer.ExpectationStep(model);
  const double ll = first.log_likelihood();
  const int64_t pairs = first.pairs, tokens = first.target_tokens;
  std::vector<int64_t> raw(first.translation().size());
  for (size_t s = 0; s < raw.size(); ++s) raw[s] = first.translation().raw(s);
  const ExpectedCounts& second = trainer.ExpectationStep(model);
  EXPECT_EQ(second.log_likelihood(), ll);
  EXPECT_EQ(second.pairs, pairs);
  EXPECT_EQ(second.target_tokens, tokens);
  ASSERT_EQ(second.translation().size(), raw.size());
  for (size_t s = 0; s < raw.size(); ++s) ASSERT_EQ(second.translation().raw(s), raw[s]) << s;
  EXPECT_EQ(pairs, static_cast<int64_t>(corpus.size()));
  EXPECT_EQ(tokens, static_cast<int64_t>(corpus.target_text().num_tokens()));
  // Each target token spreads exactly one unit of count.
  double total = 0;
  for (size_t s = 0; s < raw.size(); ++s) total += second.translation().Get(s);
  EXPECT_NEAR(total, static_cast<double>(tokens), 1e-3);
  trainer.ReleaseCounts();
  EXPECT_EQ(second.translation().size(), 0u);
  const ExpectedCounts& third = trainer.ExpectationStep(model);
  EXPECT_EQ(third.log_likelihood(), ll);
  ASSERT_EQ(third.translation().size(), raw.size());
  for (size_t s = 0; s < raw.size(); ++s) ASSERT_EQ(third.translation().raw(s), raw[s]) << s;
}

// MStepHooks: `combine` sees the summed counts before the report, and
// `maximize` replaces the model's M-step (what aligner-mpi's ranks do).
TEST(EmTrainerTest, MStepHooksCombineBeforeTheReportAndReplaceTheMStep) {
  const ParallelCorpus& corpus = Hansards();
  auto plain_table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus));
  auto hooked_table = std::make_shared<TranslationTable>(*plain_table);
  Model1 plain(plain_table, true, TranslationPrior());
  Model1 hooked(hooked_table, true, TranslationPrior());
  EmTrainer trainer(corpus, 2);
  const IterationReport expected = trainer.Iterate(&plain, 1);
  int combined = 0, maximized = 0;
  MStepHooks hooks;
  hooks.combine = [&](ExpectedCounts* counts) {
    ++combined;
    counts->target_tokens *= 2;  // as if a second, equal part were added
  };
  hooks.maximize = [&](const ExpectedCounts& counts, AlignmentModel* model) {
    ++maximized;
    EXPECT_EQ(counts.target_tokens, 2 * expected.target_tokens);
    model->Maximize(counts);
  };
  const IterationReport report = trainer.Iterate(&hooked, 1, hooks);
  EXPECT_EQ(combined, 1);
  EXPECT_EQ(maximized, 1);
  EXPECT_EQ(report.target_tokens, 2 * expected.target_tokens);
  EXPECT_EQ(report.log_likelihood, expected.log_likelihood);
  EXPECT_EQ(hooked_table->probs()[7], plain_table->probs()[7]);
  // Without `maximize`, the model's own M-step.
  hooks.maximize = nullptr;
  trainer.Iterate(&hooked, 2, hooks);
  trainer.Iterate(&plain, 2);
  EXPECT_EQ(combined, 2);
  EXPECT_TRUE(std::equal(hooked_table->probs().begin(), hooked_table->probs().end(),
                         plain_table->probs().begin()));
}

TEST(EmTrainerTest, CorpusOfEmptyPairsTrainsToNothing) {
  ParallelCorpus corpus;
  corpus.mutable_source_vocabulary().Intern("a");
  corpus.mutable_target_vocabulary().Intern("x");
  for (int k = 0; k < 3; ++k) {
    corpus.mutable_source_text().AddSentence({});
    corpus.mutable_target_text().AddSentence({});
  }
  TrainingOptions options;
  options.model = "diagonal";
  options.model1_iterations = 1;
  options.iterations = 2;
  options.diagonal.optimize_tension = true;
  EmTrainer trainer(corpus, 2);
  std::vector<IterationReport> reports;
  auto model = TrainModel(corpus, options, &trainer,
                          [&](const IterationReport& r) { reports.push_back(r); });
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_EQ(reports.size(), 3u);
  for (const auto& r : reports) {
    EXPECT_EQ(r.log_likelihood, 0);
    EXPECT_EQ(r.target_tokens, 0);
    EXPECT_FALSE(std::isnan(r.perplexity));
  }
}

TEST(EmTrainerTest, EmptyCorpus) {
  ParallelCorpus corpus;
  TrainingOptions options;
  options.model = "model2";
  options.model1_iterations = 1;
  options.iterations = 1;
  EmTrainer trainer(corpus, 1);
  int iterations = 0;
  auto model = TrainModel(corpus, options, &trainer, [&](const IterationReport&) { ++iterations; });
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(iterations, 2);
}

TEST(EmTrainerTest, ZeroThreadsMeansAllCores) {
  ParallelCorpus corpus;
  EmTrainer trainer(corpus, 0);
  EXPECT_GE(trainer.num_threads(), 1);
  EmTrainer three(corpus, 3);
  EXPECT_EQ(three.num_threads(), 3);
}

TEST(TrainingOptionsTest, RejectsInvalidValues) {
  EXPECT_TRUE(ValidateTrainingOptions(TrainingOptions()).ok());
  auto invalid = [](auto change) {
    TrainingOptions o;
    change(o);
    return ValidateTrainingOptions(o);
  };
  EXPECT_THAT(std::string(invalid([](TrainingOptions& o) { o.iterations = -1; }).message()),
              HasSubstr("iterations"));
  EXPECT_FALSE(invalid([](TrainingOptions& o) {
                 o.prior.variational_bayes = true;
                 o.prior.alpha = 0;
               }).ok());
  EXPECT_FALSE(invalid([](TrainingOptions& o) {
                 o.prior.variational_bayes = true;
                 o.prior.alpha = std::nan("");
               }).ok());
  EXPECT_FALSE(invalid([](TrainingOptions& o) { o.diagonal.p0 = 1.0; }).ok());
  EXPECT_FALSE(invalid([](TrainingOptions& o) { o.diagonal.p0 = -0.1; }).ok());
  EXPECT_FALSE(invalid([](TrainingOptions& o) { o.diagonal.tension = 0; }).ok());
  EXPECT_FALSE(invalid([](TrainingOptions& o) { o.diagonal.tension = std::nan(""); }).ok());
  // TrainModel checks them too, before any work.
  TrainingOptions bad;
  bad.iterations = -3;
  ParallelCorpus corpus;
  EmTrainer trainer(corpus, 1);
  int calls = 0;
  auto model = TrainModel(corpus, bad, &trainer, [&](const IterationReport&) { ++calls; });
  EXPECT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 0);
}

TEST(FixedPointArrayTest, SumsAreExactAndOrderIndependent) {
  FixedPointArray a, b;
  a.Resize(2);
  b.Resize(2);
  const std::vector<double> values = {0.1, 1e-3, 0.7, 123.456, 1.0 / 3, 2.5e-5, 0.9999};
  for (double v : values) a.Add(0, v);
  for (auto it = values.rbegin(); it != values.rend(); ++it) b.Add(0, *it);
  EXPECT_EQ(a.raw(0), b.raw(0));
  double sum = 0;
  for (double v : values) sum += v;
  EXPECT_NEAR(a.Get(0), sum, values.size() * 0.5 / FixedPointArray::kScale);
  a.Add(1, -0.25);
  EXPECT_EQ(a.Get(1), -0.25);
  b.Merge(a);
  EXPECT_EQ(b.raw(0), 2 * a.raw(0));
  EXPECT_EQ(b.Get(1), -0.25);
  a.Clear();
  EXPECT_EQ(a.raw(0), 0);
  EXPECT_EQ(a.size(), 2u);
}

}  // namespace
}  // namespace aligner
