#include "aligner/train/agreement_trainer.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "aligner/decode/agreement_decoder.h"
#include "aligner/decode/decoder.h"
#include "aligner/model/hmm_model.h"
#include "aligner/model/model1.h"
#include "aligner/model/positional_model.h"
#include "aligner/train/training.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace aligner {
namespace {

using ::testing::HasSubstr;

ParallelCorpus Swapped(const ParallelCorpus& corpus) {
  ParallelCorpus reverse = corpus;
  reverse.SwapSides();
  return reverse;
}

const TranslationTable& TableOf(const AlignmentModel& model) {
  if (const auto* m = dynamic_cast<const PositionalModel*>(&model)) return m->translation_table();
  return dynamic_cast<const HmmModel&>(model).translation_table();
}

ParallelCorpus TinyCorpus() {
  ParallelCorpus corpus;
  const WordId a = corpus.mutable_source_vocabulary().Intern("a");
  const WordId b = corpus.mutable_source_vocabulary().Intern("b");
  const WordId x = corpus.mutable_target_vocabulary().Intern("x");
  const WordId y = corpus.mutable_target_vocabulary().Intern("y");
  corpus.mutable_source_text().AddSentence(std::vector<WordId>{a, b});
  corpus.mutable_target_text().AddSentence(std::vector<WordId>{x, y});
  corpus.mutable_source_text().AddSentence(std::vector<WordId>{a});
  corpus.mutable_target_text().AddSentence(std::vector<WordId>{x});
  return corpus;
}

TEST(CombinePosteriorsTest, ProductOfMarginalsAndNullHandling) {
  // l = 2 source words, m = 1 target word. Forward: [NULL, e1, e2] for f1.
  const double forward[3] = {0.2, 0.5, 0.3};
  // Reverse: for e1 [NULL, f1], for e2 [NULL, f1].
  const double reverse[4] = {0.4, 0.6, 0.9, 0.1};
  double fc[3], rc[4];
  AgreementOptions options;
  options.null = AgreementNull::kRest;
  CombinePosteriors(2, 1, forward, reverse, options, fc, rc);
  EXPECT_DOUBLE_EQ(fc[1], 0.5 * 0.6);
  EXPECT_DOUBLE_EQ(fc[2], 0.3 * 0.1);
  EXPECT_DOUBLE_EQ(fc[0], 1 - 0.30 - 0.03);
  EXPECT_DOUBLE_EQ(rc[1], 0.5 * 0.6);
  EXPECT_DOUBLE_EQ(rc[3], 0.3 * 0.1);
  EXPECT_DOUBLE_EQ(rc[0], 1 - 0.30);
  EXPECT_DOUBLE_EQ(rc[2], 1 - 0.03);
  options.null = AgreementNull::kOwn;
  CombinePosteriors(2, 1, forward, reverse, options, fc, rc);
  EXPECT_DOUBLE_EQ(fc[0], 0.2);
  EXPECT_DOUBLE_EQ(rc[0], 0.4);
  EXPECT_DOUBLE_EQ(rc[2], 0.9);
  EXPECT_DOUBLE_EQ(fc[1], 0.30);
  // In place, as the trainer calls it.
  double f2[3] = {0.2, 0.5, 0.3}, r2[4] = {0.4, 0.6, 0.9, 0.1};
  CombinePosteriors(2, 1, f2, r2, options, f2, r2);
  for (int k = 0; k < 3; ++k) EXPECT_DOUBLE_EQ(f2[k], fc[k]);
  for (int k = 0; k < 4; ++k) EXPECT_DOUBLE_EQ(r2[k], rc[k]);
}

// Model 1 both ways on TinyCorpus, from uniform tables.
class TinyAgreementTest : public ::testing::Test {
 protected:
  const ParallelCorpus forward = TinyCorpus(), reverse = Swapped(forward);
  const std::shared_ptr<TranslationTable> ft =
      std::make_shared<TranslationTable>(TranslationTable::FromCorpus(forward));
  const std::shared_ptr<TranslationTable> rt =
      std::make_shared<TranslationTable>(TranslationTable::FromCorpus(reverse));
  Model1 fm{ft, true, TranslationPrior()}, rm{rt, true, TranslationPrior()};
  const WordId a = *forward.source_vocabulary().Find("a");
  const WordId b = *forward.source_vocabulary().Find("b");
  const WordId x = *forward.target_vocabulary().Find("x");
  const WordId y = *forward.target_vocabulary().Find("y");
};

// From uniform tables every Model 1 posterior of "a b ||| x y" is 1/3, so
// every real link gets 1/9 and (rest) every NULL link 1 - 2/9; "a ||| x"
// gives 1/2 each way, so 1/4 for (a, x) and 3/4 for NULL.
TEST_F(TinyAgreementTest, HandComputedCounts) {
  AgreementTrainer trainer(forward, reverse, 1);
  trainer.ExpectationStep(fm, rm);
  const FixedPointArray& fc = trainer.forward_counts().translation();
  const FixedPointArray& rc = trainer.reverse_counts().translation();
  constexpr double kTolerance = 1e-9;
  EXPECT_NEAR(fc.Get(ft->Find(a, x)), 1.0 / 9 + 1.0 / 4, kTolerance);
  EXPECT_NEAR(fc.Get(ft->Find(a, y)), 1.0 / 9, kTolerance);
  EXPECT_NEAR(fc.Get(ft->Find(b, x)), 1.0 / 9, kTolerance);
  EXPECT_NEAR(fc.Get(ft->Find(kNullWord, x)), 7.0 / 9 + 3.0 / 4, kTolerance);
  EXPECT_NEAR(fc.Get(ft->Find(kNullWord, y)), 7.0 / 9, kTolerance);
  // The reverse model sees the same links.
  EXPECT_NEAR(rc.Get(rt->Find(x, a)), 1.0 / 9 + 1.0 / 4, kTolerance);
  EXPECT_NEAR(rc.Get(rt->Find(y, b)), 1.0 / 9, kTolerance);
  EXPECT_NEAR(rc.Get(rt->Find(kNullWord, a)), 7.0 / 9 + 3.0 / 4, kTolerance);
  EXPECT_EQ(trainer.forward_counts().pairs, 2);
  EXPECT_EQ(trainer.reverse_counts().target_tokens, 3);
  // Log-likelihoods are the models' own, as the independent E-step's.
  EmTrainer em(forward, 1);
  EXPECT_DOUBLE_EQ(trainer.forward_counts().log_likelihood(),
                   em.ExpectationStep(fm).log_likelihood());
}

// Independent: each model counts its own posteriors, as EM on its own does.
// From uniform tables "a b ||| x y" gives every link (NULL too) 1/3 and
// "a ||| x" 1/2 each way, so (a, x) and (NULL, x) get 1/3 + 1/2.
TEST_F(TinyAgreementTest, IndependentEStepCountsEachModelsOwnPosteriors) {
  AgreementTrainer trainer(forward, reverse, 1);
  trainer.set_independent(true);
  trainer.ExpectationStep(fm, rm);
  const FixedPointArray& fc = trainer.forward_counts().translation();
  const FixedPointArray& rc = trainer.reverse_counts().translation();
  constexpr double kTolerance = 1e-9;
  EXPECT_NEAR(fc.Get(ft->Find(a, x)), 1.0 / 3 + 1.0 / 2, kTolerance);
  EXPECT_NEAR(fc.Get(ft->Find(a, y)), 1.0 / 3, kTolerance);
  EXPECT_NEAR(fc.Get(ft->Find(b, x)), 1.0 / 3, kTolerance);
  EXPECT_NEAR(fc.Get(ft->Find(kNullWord, x)), 1.0 / 3 + 1.0 / 2, kTolerance);
  EXPECT_NEAR(rc.Get(rt->Find(x, a)), 1.0 / 3 + 1.0 / 2, kTolerance);
  EXPECT_NEAR(rc.Get(rt->Find(kNullWord, b)), 1.0 / 3, kTolerance);
  // Exactly the independent E-step's counts.
  EmTrainer em(forward, 1);
  const ExpectedCounts& own = em.ExpectationStep(fm);
  ASSERT_EQ(own.translation().size(), fc.size());
  for (size_t s = 0; s < fc.size(); ++s) EXPECT_EQ(own.translation().raw(s), fc.raw(s)) << s;
  // And back to agreement.
  trainer.set_independent(false);
  trainer.ExpectationStep(fm, rm);
  EXPECT_NEAR(trainer.forward_counts().translation().Get(ft->Find(a, x)), 1.0 / 9 + 1.0 / 4,
              kTolerance);
}

TEST(AgreementTrainerTest, AgreementIterationsOf) {
  AgreementOptions options;
  options.independent_iterations = 2;
  EXPECT_EQ(AgreementIterationsOf(5, options), 5);  // no fertility: all by agreement
  options.fertility = true;
  EXPECT_EQ(AgreementIterationsOf(5, options), 3);
  EXPECT_EQ(AgreementIterationsOf(3, options), 2);  // the first two stay by agreement
  EXPECT_EQ(AgreementIterationsOf(2, options), 2);
  EXPECT_EQ(AgreementIterationsOf(1, options), 1);
  EXPECT_EQ(AgreementIterationsOf(0, options), 0);
  options.independent_iterations = 0;
  EXPECT_EQ(AgreementIterationsOf(5, options), 5);
}

// AddExpectedCountsExceptTranslation + AddTranslationCounts of the model's
// own posteriors add exactly what AddExpectedCounts adds.
TEST(AgreementTrainerTest, SplitEStepMatchesEStep) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 200);
  TrainingOptions options;
  for (const char* kind : {"hmm", "diagonal", "model2"}) {
    options.model = kind;
    options.iterations = 1;
    auto model = TrainQuietly(corpus, options, 1);
    ASSERT_TRUE(model.ok());
    ExpectedCounts whole, split;
    (*model)->InitCounts(&whole);
    (*model)->InitCounts(&split);
    std::vector<double> posteriors;
    PairLookup lookup;
    for (size_t k = 0; k < corpus.size(); ++k) {
      (*model)->AddExpectedCounts(corpus.pair(k), &whole);
      (*model)->AddExpectedCountsExceptTranslation(corpus.pair(k), &posteriors, &lookup, &split);
      // The lookups are the pair's, with the table's own slot for each link.
      const SentencePair pair = corpus.pair(k);
      ASSERT_EQ(lookup.source_length(), pair.source.size());
      ASSERT_EQ(lookup.target_length(), pair.target.size());
      for (uint32_t j = 0; j < pair.target.size(); ++j) {
        ASSERT_EQ(lookup.slot(0, j), TableOf(**model).Find(kNullWord, pair.target[j]));
        for (uint32_t i = 1; i <= pair.source.size(); ++i) {
          ASSERT_EQ(lookup.slot(i, j), TableOf(**model).Find(pair.source[i - 1], pair.target[j]));
        }
      }
      lookup.AddCounts(posteriors.data(), &split);
    }
    SCOPED_TRACE(std::string(kind));
    EXPECT_EQ(whole.log_likelihood(), split.log_likelihood());
    EXPECT_EQ(whole.pairs, split.pairs);
    EXPECT_EQ(whole.links, split.links);
    ASSERT_EQ(whole.translation().size(), split.translation().size());
    for (size_t s = 0; s < whole.translation().size(); ++s) {
      ASSERT_EQ(whole.translation().raw(s), split.translation().raw(s)) << s;
    }
    ASSERT_EQ(whole.alignment.size(), split.alignment.size());
    for (size_t s = 0; s < whole.alignment.size(); ++s) {
      ASSERT_EQ(whole.alignment.raw(s), split.alignment.raw(s)) << s;
    }
  }
}

// Taking the reverse model's slots from the forward model's lookups
// (UseTables) leaves every count as it was, for Model 1 and the HMM.
TEST(AgreementTrainerTest, TransposedLookupsGiveTheSameCounts) {
  const ParallelCorpus forward_corpus = FirstPairs(Hansards(), 300);
  const ParallelCorpus reverse_corpus = Swapped(forward_corpus);
  auto forward_table =
      std::make_shared<TranslationTable>(TranslationTable::FromCorpus(forward_corpus));
  auto reverse_table =
      std::make_shared<TranslationTable>(TranslationTable::FromCorpus(reverse_corpus));
  // Tables that are not uniform, so that every probability is read.
  for (auto* table : {forward_table.get(), reverse_table.get()}) {
    absl::Span<float> probs = table->mutable_probs();
    for (size_t s = 0; s < probs.size(); ++s) probs[s] = static_cast<float>(s % 101 + 1) / 512.0f;
  }
  std::unique_ptr<AlignmentModel> models[2][2];
  models[0][0] = std::make_unique<Model1>(forward_table, true, TranslationPrior());
  models[0][1] = std::make_unique<Model1>(reverse_table, true, TranslationPrior());
  TrainingOptions options;
  options.model = "hmm";
  auto forward_hmm = MakeMainModel(forward_corpus, options, forward_table);
  auto reverse_hmm = MakeMainModel(reverse_corpus, options, reverse_table);
  ASSERT_TRUE(forward_hmm.ok() && reverse_hmm.ok());
  models[1][0] = std::move(*forward_hmm);
  models[1][1] = std::move(*reverse_hmm);
  for (auto& pair : models) {
    AgreementTrainer searching(forward_corpus, reverse_corpus, 2);
    AgreementTrainer transposing(forward_corpus, reverse_corpus, 2);
    transposing.UseTables(*forward_table, *reverse_table);
    searching.ExpectationStep(*pair[0], *pair[1]);
    transposing.ExpectationStep(*pair[0], *pair[1]);
    SCOPED_TRACE(pair[0]->name());
    for (const auto& [a, b] :
         {std::pair(&searching.forward_counts(), &transposing.forward_counts()),
          std::pair(&searching.reverse_counts(), &transposing.reverse_counts())}) {
      EXPECT_EQ(a->log_likelihood(), b->log_likelihood());
      ASSERT_EQ(a->translation().size(), b->translation().size());
      for (size_t s = 0; s < a->translation().size(); ++s) {
        ASSERT_EQ(a->translation().raw(s), b->translation().raw(s)) << s;
      }
      ASSERT_EQ(a->alignment.size(), b->alignment.size());
      for (size_t s = 0; s < a->alignment.size(); ++s) {
        ASSERT_EQ(a->alignment.raw(s), b->alignment.raw(s)) << s;
      }
    }
  }
}

// ReleaseCounts, as the pipeline calls it between training and decoding,
// frees both directions' counts and the transposed slots; decoding gives the
// same links, and a later E-step (searching the reverse table again) the
// same counts.
TEST(AgreementTrainerTest, ReleasedCountsChangeNothing) {
  const ParallelCorpus forward = FirstPairs(Hansards(), 400), reverse = Swapped(forward);
  TrainingOptions options;
  options.model = "hmm";
  options.iterations = 2;
  AgreementOptions agreement;
  agreement.fertility = true;
  std::vector<std::vector<SentenceLinks>> links(2);
  std::vector<std::vector<int64_t>> counts(2);
  for (const bool release : {false, true}) {
    AgreementTrainer trainer(forward, reverse, 2, agreement);
    auto models = TrainByAgreement(forward, reverse, options, &trainer,
                                   [](const AgreementIterationReport&) {});
    ASSERT_TRUE(models.ok()) << models.status();
    if (release) {
      trainer.ReleaseCounts();
      EXPECT_EQ(trainer.forward_counts().translation().size(), 0u);
      EXPECT_EQ(trainer.reverse_counts().translation().size(), 0u);
    }
    trainer.Run([&] {
      DecodeByAgreement(
          *models->forward, *models->reverse, forward, reverse, DecodeOptions(), 0.25,
          [&](size_t, const AgreementDecodedPair& pair) {
            links[release].push_back(pair.forward.links);
            links[release].push_back(pair.reverse.links);
            links[release].push_back(pair.agreement);
          },
          nullptr, trainer.forward_fertility(), trainer.reverse_fertility(),
          agreement.fertility_sweeps);
    });
    trainer.ExpectationStep(*models->forward, *models->reverse);
    for (const ExpectedCounts* c : {&trainer.forward_counts(), &trainer.reverse_counts()}) {
      for (size_t s = 0; s < c->translation().size(); ++s) {
        counts[release].push_back(c->translation().raw(s));
      }
    }
  }
  EXPECT_EQ(links[0], links[1]);
  EXPECT_FALSE(counts[0].empty());
  EXPECT_EQ(counts[0], counts[1]);
}

struct Trained {
  AgreementModels models;
  std::vector<SentenceLinks> agreed, forward_links, reverse_links;
  std::vector<double> forward_log_probs;
  std::vector<std::vector<double>> forward_posteriors, reverse_posteriors;
};

Trained TrainAgreement(const ParallelCorpus& forward, const ParallelCorpus& reverse,
                       const std::string& kind, int iterations, int threads,
                       AgreementOptions agreement = AgreementOptions(),
                       DecodeOptions decode = DecodeOptions()) {
  TrainingOptions options;
  options.model = kind;
  options.iterations = iterations;
  AgreementTrainer trainer(forward, reverse, threads, agreement);
  auto models =
      TrainByAgreement(forward, reverse, options, &trainer, [](const AgreementIterationReport&) {});
  EXPECT_TRUE(models.ok()) << models.status();
  Trained out;
  out.models = std::move(*models);
  trainer.Run([&] {
    DecodeByAgreement(
        *out.models.forward, *out.models.reverse, forward, reverse, decode, 0.25,
        [&](size_t, const AgreementDecodedPair& pair) {
          out.forward_log_probs.push_back(pair.forward.log_prob);
          out.agreed.push_back(pair.agreement);
          out.forward_links.push_back(pair.forward.links);
          out.reverse_links.push_back(pair.reverse.links);
          out.forward_posteriors.push_back(pair.forward.link_posteriors);
          out.reverse_posteriors.push_back(pair.reverse.link_posteriors);
        },
        nullptr, trainer.forward_fertility(), trainer.reverse_fertility(),
        agreement.fertility_sweeps);
  });
  return out;
}

// With fertility models each direction's links come from its reweighted
// posteriors, so decoding without scores skips the Viterbi pass: the same
// links, and log p(target | source), at least the Viterbi alignment's.
TEST(AgreementTrainerTest, FertilityDecodingNeedsViterbiOnlyForScores) {
  const ParallelCorpus forward = FirstPairs(Hansards(), 800), reverse = Swapped(forward);
  AgreementOptions with_fertility;
  with_fertility.fertility = true;
  DecodeOptions scores, no_scores;
  no_scores.viterbi_log_prob = false;
  const Trained viterbi = TrainAgreement(forward, reverse, "hmm", 3, 2, with_fertility, scores);
  const Trained posteriors =
      TrainAgreement(forward, reverse, "hmm", 3, 2, with_fertility, no_scores);
  EXPECT_EQ(viterbi.forward_links, posteriors.forward_links);
  EXPECT_EQ(viterbi.reverse_links, posteriors.reverse_links);
  EXPECT_EQ(viterbi.agreed, posteriors.agreed);
  ASSERT_EQ(viterbi.forward_log_probs.size(), posteriors.forward_log_probs.size());
  size_t higher = 0;
  for (size_t k = 0; k < viterbi.forward_log_probs.size(); ++k) {
    EXPECT_GE(posteriors.forward_log_probs[k], viterbi.forward_log_probs[k] - 1e-9) << k;
    higher += posteriors.forward_log_probs[k] > viterbi.forward_log_probs[k];
  }
  EXPECT_GT(higher, viterbi.forward_log_probs.size() / 2);
}

// With fertility the Viterbi pass only scores the pairs: the log-probability
// it gives is the same whatever threshold the links are taken at.
TEST(AgreementTrainerTest, FertilityScoresAreViterbiAtAnyThreshold) {
  const ParallelCorpus forward = FirstPairs(Hansards(), 800), reverse = Swapped(forward);
  AgreementOptions with_fertility;
  with_fertility.fertility = true;
  DecodeOptions most_probable, confident;
  confident.posterior_threshold = 0.5;
  const Trained a = TrainAgreement(forward, reverse, "hmm", 3, 2, with_fertility, most_probable);
  const Trained b = TrainAgreement(forward, reverse, "hmm", 3, 2, with_fertility, confident);
  EXPECT_NE(a.forward_links, b.forward_links);
  EXPECT_EQ(a.forward_log_probs, b.forward_log_probs);
}

// With fertility each link's posterior is the reweighted one its link was
// chosen by: one per link, each at least the threshold, with or without the
// Viterbi pass for scores.
TEST(AgreementTrainerTest, FertilityLinkPosteriorsAreThoseOfTheLinks) {
  const ParallelCorpus forward = FirstPairs(Hansards(), 800), reverse = Swapped(forward);
  AgreementOptions with_fertility;
  with_fertility.fertility = true;
  for (const bool scores : {true, false}) {
    DecodeOptions decode;
    decode.posterior_threshold = 0.5;
    decode.link_posteriors = true;
    decode.viterbi_log_prob = scores;
    const Trained t = TrainAgreement(forward, reverse, "hmm", 3, 2, with_fertility, decode);
    size_t links = 0;
    for (size_t k = 0; k < t.forward_links.size(); ++k) {
      ASSERT_EQ(t.forward_posteriors[k].size(), t.forward_links[k].size()) << k;
      ASSERT_EQ(t.reverse_posteriors[k].size(), t.reverse_links[k].size()) << k;
      for (const double p : t.forward_posteriors[k]) EXPECT_TRUE(p >= 0.5 && p <= 1 + 1e-12) << k;
      for (const double p : t.reverse_posteriors[k]) EXPECT_TRUE(p >= 0.5 && p <= 1 + 1e-12) << k;
      links += t.forward_links[k].size();
    }
    EXPECT_GT(links, t.forward_links.size()) << scores;
  }
}

// Fertility counts kept per thread (the default) or in one shared array
// train the same models.
TEST(AgreementTrainerTest, FertilityCountsPerThreadOrSharedAreTheSame) {
  const ParallelCorpus forward = FirstPairs(Hansards(), 800), reverse = Swapped(forward);
  AgreementOptions per_thread;
  per_thread.fertility = true;
  per_thread.independent_iterations = 1;
  AgreementOptions shared = per_thread;
  shared.max_local_fertility_slots = 0;
  const Trained a = TrainAgreement(forward, reverse, "hmm", 3, 2, per_thread);
  const Trained b = TrainAgreement(forward, reverse, "hmm", 3, 2, shared);
  EXPECT_EQ(a.forward_links, b.forward_links);
  EXPECT_EQ(a.reverse_links, b.reverse_links);
  EXPECT_EQ(a.agreed, b.agreed);
  EXPECT_EQ(a.forward_log_probs, b.forward_log_probs);
}

// The fertility models are trained in the main model's iterations (so
// from the second on they change the counts) and applied when decoding; the
// result is the same for any number of threads.
TEST(AgreementTrainerTest, FertilityChangesLinksAndIsThreadInvariant) {
  const ParallelCorpus forward = FirstPairs(Hansards(), 1500), reverse = Swapped(forward);
  AgreementOptions with_fertility;
  with_fertility.fertility = true;
  const Trained plain = TrainAgreement(forward, reverse, "hmm", 3, 1);
  const Trained one = TrainAgreement(forward, reverse, "hmm", 3, 1, with_fertility);
  const Trained two = TrainAgreement(forward, reverse, "hmm", 3, 2, with_fertility);
  EXPECT_NE(TableOf(*plain.models.forward).probs(), TableOf(*one.models.forward).probs());
  EXPECT_NE(plain.forward_links, one.forward_links);
  EXPECT_NE(plain.reverse_links, one.reverse_links);
  EXPECT_EQ(TableOf(*one.models.forward).probs(), TableOf(*two.models.forward).probs());
  EXPECT_EQ(TableOf(*one.models.reverse).probs(), TableOf(*two.models.reverse).probs());
  EXPECT_EQ(one.forward_links, two.forward_links);
  EXPECT_EQ(one.reverse_links, two.reverse_links);
  EXPECT_EQ(one.agreed, two.agreed);
  // Every target word gets at most one link from each direction's decoding,
  // in target order, and links stay inside the sentence.
  for (size_t k = 0; k < one.forward_links.size(); ++k) {
    const SentencePair pair = forward.pair(k);
    for (size_t n = 0; n < one.forward_links[k].size(); ++n) {
      const Link& link = one.forward_links[k][n];
      EXPECT_LT(link.source, pair.source.size());
      EXPECT_LT(link.target, pair.target.size());
      if (n > 0) EXPECT_LT(one.forward_links[k][n - 1].target, link.target);
    }
    for (size_t n = 0; n < one.reverse_links[k].size(); ++n) {
      const Link& link = one.reverse_links[k][n];
      EXPECT_LT(link.source, pair.source.size());
      EXPECT_LT(link.target, pair.target.size());
      if (n > 0) EXPECT_LT(one.reverse_links[k][n - 1].source, link.source);
    }
  }
}

// The last iterations on each direction's own fertility-reweighted
// posteriors change the models and links, and give the same result for any
// number of threads.
TEST(AgreementTrainerTest, IndependentIterationsChangeLinksAndAreThreadInvariant) {
  const ParallelCorpus forward = FirstPairs(Hansards(), 1500), reverse = Swapped(forward);
  AgreementOptions agreement;
  agreement.fertility = true;
  AgreementOptions staged = agreement;
  staged.independent_iterations = 2;
  const Trained agreed = TrainAgreement(forward, reverse, "hmm", 4, 1, agreement);
  const Trained one = TrainAgreement(forward, reverse, "hmm", 4, 1, staged);
  const Trained two = TrainAgreement(forward, reverse, "hmm", 4, 2, staged);
  EXPECT_NE(TableOf(*agreed.models.forward).probs(), TableOf(*one.models.forward).probs());
  EXPECT_NE(agreed.forward_links, one.forward_links);
  EXPECT_EQ(TableOf(*one.models.forward).probs(), TableOf(*two.models.forward).probs());
  EXPECT_EQ(TableOf(*one.models.reverse).probs(), TableOf(*two.models.reverse).probs());
  EXPECT_EQ(dynamic_cast<const HmmModel&>(*one.models.forward).jump_weights(),
            dynamic_cast<const HmmModel&>(*two.models.forward).jump_weights());
  EXPECT_EQ(one.forward_links, two.forward_links);
  EXPECT_EQ(one.reverse_links, two.reverse_links);
  EXPECT_EQ(one.agreed, two.agreed);
  // Without fertility models the option is ignored.
  AgreementOptions ignored;
  ignored.independent_iterations = 2;
  const Trained plain = TrainAgreement(forward, reverse, "hmm", 3, 1);
  const Trained plain_staged = TrainAgreement(forward, reverse, "hmm", 3, 1, ignored);
  EXPECT_EQ(TableOf(*plain.models.forward).probs(), TableOf(*plain_staged.models.forward).probs());
  EXPECT_EQ(plain.forward_links, plain_staged.forward_links);
}

TEST(AgreementTrainerTest, SameResultForAnyNumberOfThreads) {
  const ParallelCorpus forward = FirstPairs(Hansards(), 1500), reverse = Swapped(forward);
  for (const char* kind : {"hmm", "diagonal"}) {
    SCOPED_TRACE(std::string(kind));
    const Trained one = TrainAgreement(forward, reverse, kind, 2, 1);
    for (int threads : {2, 4}) {
      const Trained many = TrainAgreement(forward, reverse, kind, 2, threads);
      for (bool rev : {false, true}) {
        const auto& a = TableOf(rev ? *one.models.reverse : *one.models.forward).probs();
        const auto& b = TableOf(rev ? *many.models.reverse : *many.models.forward).probs();
        ASSERT_EQ(a.size(), b.size());
        for (size_t s = 0; s < a.size(); ++s) ASSERT_EQ(a[s], b[s]) << threads << " " << s;
      }
      if (std::string(kind) == "hmm") {
        EXPECT_EQ(dynamic_cast<const HmmModel&>(*one.models.forward).jump_weights(),
                  dynamic_cast<const HmmModel&>(*many.models.forward).jump_weights());
        EXPECT_EQ(dynamic_cast<const HmmModel&>(*one.models.reverse).jump_weights(),
                  dynamic_cast<const HmmModel&>(*many.models.reverse).jump_weights());
      }
      ASSERT_EQ(one.agreed.size(), many.agreed.size());
      for (size_t k = 0; k < one.agreed.size(); ++k) ASSERT_EQ(one.agreed[k], many.agreed[k]);
    }
  }
}

// |forward links & reverse links| / |forward | reverse| of the Viterbi
// alignments, over the corpus.
double AgreementRatio(const AlignmentModel& forward, const AlignmentModel& reverse,
                      const ParallelCorpus& fc, const ParallelCorpus& rc) {
  std::vector<std::set<std::pair<uint32_t, uint32_t>>> f, r;
  DecodeOptions options;
  DecodeCorpus(forward, fc, options, [&](size_t, const DecodedPair& p) {
    f.emplace_back();
    for (const Link& link : p.links) f.back().insert({link.source, link.target});
  });
  options.reverse = true;
  DecodeCorpus(reverse, rc, options, [&](size_t, const DecodedPair& p) {
    r.emplace_back();
    for (const Link& link : p.links) r.back().insert({link.source, link.target});
  });
  double both = 0, either = 0;
  for (size_t k = 0; k < f.size(); ++k) {
    for (const auto& link : f[k]) both += r[k].count(link);
    either += f[k].size() + r[k].size();
  }
  either -= both;
  return both / either;
}

TEST(AgreementTrainerTest, DirectionsAgreeMoreThanWhenTrainedApart) {
  const ParallelCorpus forward = FirstPairs(Hansards(), 3000), reverse = Swapped(forward);
  TrainingOptions options;
  options.model = "hmm";
  options.iterations = 3;
  auto f = TrainQuietly(forward, options, 1);
  auto r = TrainQuietly(reverse, options, 1);
  ASSERT_TRUE(f.ok() && r.ok());
  const double apart = AgreementRatio(**f, **r, forward, reverse);
  const Trained together = TrainAgreement(forward, reverse, "hmm", 3, 1);
  const double agreed =
      AgreementRatio(*together.models.forward, *together.models.reverse, forward, reverse);
  EXPECT_GT(agreed, apart + 0.03) << "apart " << apart << ", by agreement " << agreed;
}

TEST(AgreementTrainerTest, RejectsMismatchedCorpora) {
  const ParallelCorpus forward = FirstPairs(Hansards(), 10);
  const ParallelCorpus reverse = Swapped(FirstPairs(Hansards(), 9));
  AgreementTrainer trainer(forward, reverse, 1);
  TrainingOptions options;
  auto models =
      TrainByAgreement(forward, reverse, options, &trainer, [](const AgreementIterationReport&) {});
  EXPECT_FALSE(models.ok());
}

// The command line.
class AgreementCliTest : public TempDirTest {
 protected:
  struct Result {
    int exit_code = -1;
    std::string err;
  };
  Result Run(const std::string& args) const {
    const std::string err = Path(".stderr");
    const std::string command =
        std::string(ALIGNER_BINARY) + " " + args + " > /dev/null 2> '" + err + "'";
    const int status = std::system(command.c_str());
    Result result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.err = ReadWholeFile(err);
    return result;
  }
  std::string Trial() const {
    const std::string data = ALIGNER_TEST_DATA_DIR;
    return "--source " + data + "/trial.fr --target " + data + "/trial.en";
  }
  static size_t CountLines(const std::string& text) {
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }
};

TEST_F(AgreementCliTest, WritesAllFourFiles) {
  const std::string prefix = Path("out");
  const Result r = Run("symmetric --quiet --model hmm --agreement --threads 1 " + Trial() +
                       " --prefix " + prefix + " -c intersect");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* suffix : {".forward", ".reverse", ".intersect", ".agreement"}) {
    EXPECT_EQ(CountLines(ReadWholeFile(prefix + suffix)), 37u) << suffix;
  }
  // Same files with two threads.
  const std::string prefix2 = Path("out2");
  ASSERT_EQ(Run("symmetric --quiet --model hmm --agreement --threads 2 " + Trial() + " --prefix " +
                prefix2 + " -c intersect")
                .exit_code,
            0);
  for (const char* suffix : {".forward", ".reverse", ".intersect", ".agreement"}) {
    EXPECT_EQ(ReadWholeFile(prefix + suffix), ReadWholeFile(prefix2 + suffix)) << suffix;
  }
  EXPECT_NE(ReadWholeFile(prefix + ".agreement"), "");
}

// The agreement HMM's own defaults (2 Model 1 iterations, p0 0.3) are what
// runs when no flag is given, and a flag given explicitly still wins.
TEST_F(AgreementCliTest, HmmDefaultsAreTheAgreementSchedule) {
  auto links = [&](const std::string& name, const std::string& flags) {
    const std::string prefix = Path(name);
    const Result r = Run("symmetric --model hmm --agreement --threads 1 " + Trial() + " --prefix " +
                         prefix + " " + flags);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::make_pair(ReadWholeFile(prefix + ".agreement"), r.err);
  };
  const auto [defaults, log] = links("defaults", "");
  EXPECT_THAT(log, HasSubstr("model1 iteration 2 by agreement"));
  EXPECT_THAT(log, Not(HasSubstr("model1 iteration 3")));
  EXPECT_EQ(defaults, links("explicit", "--model1-iterations 2 --hmm-p0 0.3").first);
  EXPECT_NE(defaults, links("no-model1", "--model1-iterations 0").first);
  EXPECT_NE(defaults, links("p0", "--hmm-p0 0.5").first);
}

TEST_F(AgreementCliTest, Errors) {
  const std::string prefix = " --prefix " + Path("out");
  struct Case {
    std::string args, message;
  };
  const Case cases[] = {
      {"align --agreement " + Trial(), "unrecognised option '--agreement'"},
      {"symmetric --no-agreement --agreement-threshold 0.3 " + Trial() + prefix,
       "are for agreement training"},
      {"symmetric --no-agreement --agreement " + Trial() + prefix, "contradict"},
      {"symmetric --no-agreement --fertility " + Trial() + prefix, "are for agreement training"},
      {"symmetric --no-agreement --independent-iterations 2 " + Trial() + prefix,
       "are for agreement training"},
      {"symmetric --fertility-sweeps 0 " + Trial() + prefix, "--fertility-sweeps must be"},
      {"symmetric --fertility-alpha 0 " + Trial() + prefix, "--fertility-alpha must be positive"},
      {"symmetric --independent-iterations -1 " + Trial() + prefix,
       "--independent-iterations must be >= 0"},
      {"symmetric -d --model hmm " + Trial() + prefix, "-d (the diagonal model) contradicts"},
      {"symmetric --agreement --agreement-threshold 0 " + Trial() + prefix,
       "--agreement-threshold must be in (0, 1]"},
      {"symmetric --agreement --agreement-null none " + Trial() + prefix,
       "--agreement-null must be rest or own"},
      {"symmetric --agreement --model hmm --hmm-p0 2 " + Trial() + prefix, "--hmm-p0"},
      {"symmetric --agreement --model hmm -v " + Trial() + prefix, "does not work with -v"},
      {"symmetric --viterbi-training " + Trial() + prefix, "add --no-agreement"},
  };
  for (const Case& c : cases) {
    const Result r = Run(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << c.args;
  }
  EXPECT_TRUE(ListDir().empty() || ListDir() == std::vector<std::string>{".stderr"});
}

}  // namespace
}  // namespace aligner
