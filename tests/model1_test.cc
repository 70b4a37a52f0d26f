// IBM Model 1 EM checked against a derivation by hand, and properties every
// positional model (Model 1, Model 2, diagonal) must have on real data:
// posteriors are distributions, and the log-likelihood EM reports is the one
// the posteriors imply.
#include "aligner/model/model1.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/diagonal_model.h"
#include "aligner/model/expected_counts.h"
#include "aligner/model/model2.h"
#include "aligner/model/translation_table.h"
#include "aligner/train/em_trainer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

ParallelCorpus MakeCorpus(const std::vector<std::pair<std::string, std::string>>& pairs) {
  ParallelCorpus corpus;
  std::vector<std::string_view> tokens;
  std::vector<WordId> ids;
  for (const auto& [source, target] : pairs) {
    SplitTokens(source, &tokens);
    ids.clear();
    for (auto w : tokens) ids.push_back(corpus.mutable_source_vocabulary().Intern(w));
    corpus.mutable_source_text().AddSentence(ids);
    SplitTokens(target, &tokens);
    ids.clear();
    for (auto w : tokens) ids.push_back(corpus.mutable_target_vocabulary().Intern(w));
    corpus.mutable_target_text().AddSentence(ids);
  }
  return corpus;
}

// The toy corpus of the hand computation: source French, target English.
//   pair 1: la maison       ||| the house
//   pair 2: la maison bleue ||| the blue house
//   pair 3: la fleur        ||| the flower
class ToyModel1Test : public ::testing::Test {
 protected:
  ToyModel1Test()
      : corpus_(MakeCorpus({{"la maison", "the house"},
                            {"la maison bleue", "the blue house"},
                            {"la fleur", "the flower"}})),
        table_(std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus_))),
        trainer_(corpus_, 1) {}

  // t(f|e) by spelling; NaN when the pair has no slot.
  double t(const char* f, const char* e) const {
    const WordId e_id = std::string(e) == "NULL" ? kNullWord : *corpus_.source_vocabulary().Find(e);
    const WordId f_id = *corpus_.target_vocabulary().Find(f);
    const auto slot = table_->Find(e_id, f_id);
    return slot == TranslationTable::kNoSlot ? std::nan("") : table_->prob(slot);
  }
  double count(const ExpectedCounts& counts, const char* f, const char* e) const {
    const WordId e_id = std::string(e) == "NULL" ? kNullWord : *corpus_.source_vocabulary().Find(e);
    const WordId f_id = *corpus_.target_vocabulary().Find(f);
    return counts.translation().Get(table_->Find(e_id, f_id));
  }

  ParallelCorpus corpus_;
  std::shared_ptr<TranslationTable> table_;
  EmTrainer trainer_;
};

// Probabilities are floats: compare to 1e-6.
constexpr double kProbTol = 1e-6;
// Log-likelihoods are summed in fixed point with 2^-20 resolution per pair.
constexpr double kLogTol = 1e-5;

TEST_F(ToyModel1Test, UniformStartIsOneOverTargetVocabulary) {
  // Four English words occur: the, house, blue, flower. SetUniform gives
  // every entry, NULL row included, 1/4.
  for (float p : table_->probs()) EXPECT_FLOAT_EQ(p, 0.25f);
  EXPECT_EQ(table_->num_entries(),
            4u /*NULL*/ + 4 /*la*/ + 3 /*maison*/ + 3 /*bleue*/ + 2 /*fleur*/);
}

TEST_F(ToyModel1Test, NoNullTwoIterationsByHand) {
  Model1 model(table_, /*use_null=*/false, TranslationPrior());

  // ---- Iteration 1, E-step. All t(f|e) = 1/4, so within a pair every source
  // word is equally likely: posterior 1/l.
  //   pair 1 (l=2): the, house each give 1/2 to la and 1/2 to maison.
  //   pair 2 (l=3): the, blue, house each give 1/3 to la, maison, bleue.
  //   pair 3 (l=2): the, flower each give 1/2 to la and 1/2 to fleur.
  // Fractional counts per source word:
  //   la:     the 1/2+1/3+1/2 = 4/3, house 1/2+1/3 = 5/6, blue 1/3, flower 1/2; total 3
  //   maison: the 1/2+1/3 = 5/6, house 5/6, blue 1/3;                          total 2
  //   bleue:  the 1/3, blue 1/3, house 1/3;                                    total 1
  //   fleur:  the 1/2, flower 1/2;                                             total 1
  const ExpectedCounts& counts = trainer_.ExpectationStep(model);
  EXPECT_NEAR(count(counts, "the", "la"), 4.0 / 3, 1e-9);
  EXPECT_NEAR(count(counts, "house", "la"), 5.0 / 6, 1e-9);
  EXPECT_NEAR(count(counts, "blue", "la"), 1.0 / 3, 1e-9);
  EXPECT_NEAR(count(counts, "flower", "la"), 1.0 / 2, 1e-9);
  EXPECT_NEAR(count(counts, "the", "maison"), 5.0 / 6, 1e-9);
  EXPECT_NEAR(count(counts, "blue", "bleue"), 1.0 / 3, 1e-9);
  EXPECT_NEAR(count(counts, "flower", "fleur"), 1.0 / 2, 1e-9);
  // Without NULL, the NULL row gets nothing.
  EXPECT_EQ(count(counts, "the", "NULL"), 0.0);
  EXPECT_EQ(counts.pairs, 3);
  EXPECT_EQ(counts.target_tokens, 7);
  EXPECT_EQ(counts.links, 3 * 2 + 4 * 3 + 3 * 2);  // sum of (l + 1) m

  // Log-likelihood of the uniform start: every target word has
  // p(f_j | e) = sum_i (1/l) (1/4) = 1/4, so 7 log(1/4).
  const IterationReport r1 = trainer_.Iterate(&model, 1);
  EXPECT_NEAR(r1.log_likelihood, 7 * std::log(0.25), kLogTol);
  EXPECT_EQ(r1.target_tokens, 7);
  EXPECT_EQ(r1.model, "model1");
  EXPECT_EQ(r1.iteration, 1);
  EXPECT_NEAR(r1.perplexity, std::exp(-r1.log_likelihood / 7), 1e-9);

  // ---- Iteration 1, M-step: divide by the totals.
  EXPECT_NEAR(t("the", "la"), 4.0 / 9, kProbTol);
  EXPECT_NEAR(t("house", "la"), 5.0 / 18, kProbTol);
  EXPECT_NEAR(t("blue", "la"), 1.0 / 9, kProbTol);
  EXPECT_NEAR(t("flower", "la"), 1.0 / 6, kProbTol);
  EXPECT_NEAR(t("the", "maison"), 5.0 / 12, kProbTol);
  EXPECT_NEAR(t("house", "maison"), 5.0 / 12, kProbTol);
  EXPECT_NEAR(t("blue", "maison"), 1.0 / 6, kProbTol);
  EXPECT_NEAR(t("the", "bleue"), 1.0 / 3, kProbTol);
  EXPECT_NEAR(t("blue", "bleue"), 1.0 / 3, kProbTol);
  EXPECT_NEAR(t("house", "bleue"), 1.0 / 3, kProbTol);
  EXPECT_NEAR(t("the", "fleur"), 1.0 / 2, kProbTol);
  EXPECT_NEAR(t("flower", "fleur"), 1.0 / 2, kProbTol);
  // The unused NULL row keeps its start value.
  EXPECT_NEAR(t("the", "NULL"), 0.25, kProbTol);

  // ---- Iteration 2, E-step. Posterior of e_i for f_j is
  // t(f_j|e_i) / sum_i' t(f_j|e_i') (the 1/l cancels).
  //   pair 1, the:    la 4/9,  maison 5/12          = 16/36, 15/36 -> 16/31, 15/31
  //   pair 1, house:  la 5/18, maison 5/12          = 10/36, 15/36 -> 2/5, 3/5
  //   pair 2, the:    la 4/9,  maison 5/12, bleue 1/3 = 16, 15, 12 /36 -> 16/43, 15/43, 12/43
  //   pair 2, blue:   la 1/9,  maison 1/6,  bleue 1/3 = 2, 3, 6 /18    -> 2/11, 3/11, 6/11
  //   pair 2, house:  la 5/18, maison 5/12, bleue 1/3 = 10, 15, 12 /36 -> 10/37, 15/37, 12/37
  //   pair 3, the:    la 4/9,  fleur 1/2            = 8, 9 /18       -> 8/17, 9/17
  //   pair 3, flower: la 1/6,  fleur 1/2            = 1, 3 /6        -> 1/4, 3/4
  // Counts:
  //   la:     the 16/31 + 16/43 + 8/17, house 2/5 + 10/37, blue 2/11, flower 1/4
  //   maison: the 15/31 + 15/43, house 3/5 + 15/37, blue 3/11
  //   bleue:  the 12/43, blue 6/11, house 12/37
  //   fleur:  the 9/17, flower 3/4
  const double la_the = 16.0 / 31 + 16.0 / 43 + 8.0 / 17, la_house = 2.0 / 5 + 10.0 / 37,
               la_blue = 2.0 / 11, la_flower = 1.0 / 4;
  const double la_total = la_the + la_house + la_blue + la_flower;
  const double maison_the = 15.0 / 31 + 15.0 / 43, maison_house = 3.0 / 5 + 15.0 / 37,
               maison_blue = 3.0 / 11;
  const double maison_total = maison_the + maison_house + maison_blue;
  const double bleue_the = 12.0 / 43, bleue_blue = 6.0 / 11, bleue_house = 12.0 / 37;
  const double bleue_total = bleue_the + bleue_blue + bleue_house;
  const double fleur_the = 9.0 / 17, fleur_flower = 3.0 / 4;
  const double fleur_total = fleur_the + fleur_flower;

  // Its log-likelihood, sum_j log(sum_i t(f_j|e_i) / l):
  //   pair 1: log(31/36 / 2) + log(25/36 / 2)
  //   pair 2: log(43/36 / 3) + log(11/18 / 3) + log(37/36 / 3)
  //   pair 3: log(17/18 / 2) + log(4/6 / 2)
  const double ll2 = std::log(31.0 / 72) + std::log(25.0 / 72) + std::log(43.0 / 108) +
                     std::log(11.0 / 54) + std::log(37.0 / 108) + std::log(17.0 / 36) +
                     std::log(1.0 / 3);
  const IterationReport r2 = trainer_.Iterate(&model, 2);
  EXPECT_NEAR(r2.log_likelihood, ll2, kLogTol);  // -7.33262029...
  EXPECT_GT(r2.log_likelihood, r1.log_likelihood);

  // ---- Iteration 2, M-step.
  EXPECT_NEAR(t("the", "la"), la_the / la_total, kProbTol);                  // 0.55216018
  EXPECT_NEAR(t("house", "la"), la_house / la_total, kProbTol);              // 0.27236808
  EXPECT_NEAR(t("blue", "la"), la_blue / la_total, kProbTol);                // 0.07388284
  EXPECT_NEAR(t("flower", "la"), la_flower / la_total, kProbTol);            // 0.10158890
  EXPECT_NEAR(t("the", "maison"), maison_the / maison_total, kProbTol);      // 0.39449122
  EXPECT_NEAR(t("house", "maison"), maison_house / maison_total, kProbTol);  // 0.47630564
  EXPECT_NEAR(t("blue", "maison"), maison_blue / maison_total, kProbTol);    // 0.12920314
  EXPECT_NEAR(t("the", "bleue"), bleue_the / bleue_total, kProbTol);         // 814/3351
  EXPECT_NEAR(t("blue", "bleue"), bleue_blue / bleue_total, kProbTol);       // 1591/3351
  EXPECT_NEAR(t("house", "bleue"), bleue_house / bleue_total, kProbTol);     // 946/3351
  EXPECT_NEAR(t("the", "fleur"), fleur_the / fleur_total, kProbTol);         // 12/29
  EXPECT_NEAR(t("flower", "fleur"), fleur_flower / fleur_total, kProbTol);   // 17/29
  EXPECT_NEAR(t("the", "fleur"), 12.0 / 29, kProbTol);
  EXPECT_NEAR(t("blue", "bleue"), 1591.0 / 3351, kProbTol);

  // Iteration 3's E-step measures the iteration-2 parameters: -7.00631115
  // (exact rational arithmetic).
  const IterationReport r3 = trainer_.Iterate(&model, 3);
  EXPECT_NEAR(r3.log_likelihood, -7.006311149733118, kLogTol);
}

TEST_F(ToyModel1Test, WithNullTwoIterationsByHand) {
  Model1 model(table_, /*use_null=*/true, TranslationPrior());

  // ---- Iteration 1. All t = 1/4 (NULL row too), alignment 1/(l+1): every
  // position, NULL included, gets posterior 1/(l+1).
  //   pair 1 (l+1=3): 1/3 each to NULL, la, maison for the and house.
  //   pair 2 (l+1=4): 1/4 each to NULL, la, maison, bleue for the, blue, house.
  //   pair 3 (l+1=3): 1/3 each to NULL, la, fleur for the and flower.
  // Counts:
  //   NULL, la (both in every pair):
  //           the 1/3+1/4+1/3 = 11/12, house 1/3+1/4 = 7/12, blue 3/12, flower 4/12; total 25/12
  //   maison: the 7/12, house 7/12, blue 3/12;                                       total 17/12
  //   bleue:  the, blue, house 1/4 each;                                             total 3/4
  //   fleur:  the, flower 1/3 each;                                                  total 2/3
  // The log-likelihood is again 7 log(1/4): sum_i 1/(l+1) * 1/4 = 1/4.
  const IterationReport r1 = trainer_.Iterate(&model, 1);
  EXPECT_NEAR(r1.log_likelihood, 7 * std::log(0.25), kLogTol);
  for (const char* e : {"NULL", "la"}) {
    EXPECT_NEAR(t("the", e), 11.0 / 25, kProbTol) << e;
    EXPECT_NEAR(t("house", e), 7.0 / 25, kProbTol) << e;
    EXPECT_NEAR(t("blue", e), 3.0 / 25, kProbTol) << e;
    EXPECT_NEAR(t("flower", e), 4.0 / 25, kProbTol) << e;
  }
  EXPECT_NEAR(t("the", "maison"), 7.0 / 17, kProbTol);
  EXPECT_NEAR(t("house", "maison"), 7.0 / 17, kProbTol);
  EXPECT_NEAR(t("blue", "maison"), 3.0 / 17, kProbTol);
  EXPECT_NEAR(t("the", "bleue"), 1.0 / 3, kProbTol);
  EXPECT_NEAR(t("blue", "bleue"), 1.0 / 3, kProbTol);
  EXPECT_NEAR(t("house", "bleue"), 1.0 / 3, kProbTol);
  EXPECT_NEAR(t("the", "fleur"), 1.0 / 2, kProbTol);
  EXPECT_NEAR(t("flower", "fleur"), 1.0 / 2, kProbTol);

  // ---- Iteration 2, the rows of words seen in one pair only.
  // fleur (pair 3, positions NULL, la, fleur):
  //   the:    11/25, 11/25, 1/2 = 22, 22, 25 /50 -> fleur gets 25/69
  //   flower:  4/25,  4/25, 1/2 =  8,  8, 25 /50 -> fleur gets 25/41
  //   t(the|fleur) = (25/69) / (25/69 + 25/41) = 41/110, t(flower|fleur) = 69/110.
  // bleue (pair 2, positions NULL, la, maison, bleue), over 1275:
  //   the:   11/25, 11/25, 7/17, 1/3 = 561, 561, 525, 425 -> bleue gets 425/2072
  //   blue:   3/25,  3/25, 3/17, 1/3 = 153, 153, 225, 425 -> bleue gets 425/956
  //   house:  7/25,  7/25, 7/17, 1/3 = 357, 357, 525, 425 -> bleue gets 425/1664
  //   t(f|bleue) = (1/n_f) / (1/2072 + 1/956 + 1/1664).
  // NULL and la occur in the same pairs with the same row, so their
  // posteriors, counts and rows stay identical.
  // Log-likelihood of the iteration-1 parameters, sum_j log(sum_i t / (l+1)):
  //   pair 1: the (11/25 + 11/25 + 7/17)/3, house (7/25 + 7/25 + 7/17)/3
  //   pair 2: the 2072/1275/4, blue 956/1275/4, house 1664/1275/4
  //   pair 3: the 69/50/3, flower 41/50/3
  const double ll2 = std::log((22.0 / 25 + 7.0 / 17) / 3) + std::log((14.0 / 25 + 7.0 / 17) / 3) +
                     std::log(2072.0 / 1275 / 4) + std::log(956.0 / 1275 / 4) +
                     std::log(1664.0 / 1275 / 4) + std::log(69.0 / 50 / 3) +
                     std::log(41.0 / 50 / 3);
  const IterationReport r2 = trainer_.Iterate(&model, 2);
  EXPECT_NEAR(r2.log_likelihood, ll2, kLogTol);  // -7.73842922
  EXPECT_NEAR(t("the", "fleur"), 41.0 / 110, kProbTol);
  EXPECT_NEAR(t("flower", "fleur"), 69.0 / 110, kProbTol);
  const double bleue_total = 1.0 / 2072 + 1.0 / 956 + 1.0 / 1664;
  EXPECT_NEAR(t("the", "bleue"), (1.0 / 2072) / bleue_total, kProbTol);    // 0.22662600
  EXPECT_NEAR(t("blue", "bleue"), (1.0 / 956) / bleue_total, kProbTol);    // 0.49118104
  EXPECT_NEAR(t("house", "bleue"), (1.0 / 1664) / bleue_total, kProbTol);  // 0.28219295
  for (const char* f : {"the", "house", "blue", "flower"}) {
    EXPECT_NEAR(t(f, "NULL"), t(f, "la"), kProbTol) << f;
  }
  // Values from exact rational arithmetic.
  EXPECT_NEAR(t("the", "la"), 0.5202371043, kProbTol);
  EXPECT_NEAR(t("blue", "maison"), 0.1521634647, kProbTol);
  EXPECT_NEAR(t("house", "maison"), 0.4779335008, kProbTol);
}

TEST_F(ToyModel1Test, ViterbiAfterTraining) {
  Model1 model(table_, /*use_null=*/false, TranslationPrior());
  for (int it = 1; it <= 10; ++it) trainer_.Iterate(&model, it);
  std::vector<uint32_t> alignment;
  model.ViterbiAlign(corpus_.pair(1), &alignment);  // la maison bleue ||| the blue house
  EXPECT_THAT(alignment, ::testing::ElementsAre(1, 3, 2));
  model.ViterbiAlign(corpus_.pair(2), &alignment);  // la fleur ||| the flower
  EXPECT_THAT(alignment, ::testing::ElementsAre(1, 2));
}

// ---------------------------------------------------------------------------
// Properties on a real slice of the Hansards.

enum class Kind { kModel1, kModel1NoNull, kModel2, kDiagonal, kDiagonalVb };

std::unique_ptr<PositionalModel> MakeModel(Kind kind, const ParallelCorpus& corpus,
                                           std::shared_ptr<TranslationTable> table) {
  TranslationPrior vb;
  vb.variational_bayes = true;
  switch (kind) {
    case Kind::kModel1:
      return std::make_unique<Model1>(table, true, TranslationPrior());
    case Kind::kModel1NoNull:
      return std::make_unique<Model1>(table, false, TranslationPrior());
    case Kind::kModel2:
      return std::make_unique<Model2>(table, AlignmentTable::FromCorpus(corpus, true), true,
                                      TranslationPrior());
    case Kind::kDiagonal:
      return std::make_unique<DiagonalModel>(table, true, TranslationPrior(), DiagonalOptions(),
                                             DiagonalModel::CountLengths(corpus));
    case Kind::kDiagonalVb:
      return std::make_unique<DiagonalModel>(table, true, vb, DiagonalOptions(),
                                             DiagonalModel::CountLengths(corpus));
  }
  return nullptr;
}

class PositionalPropertyTest : public ::testing::TestWithParam<Kind> {};

TEST_P(PositionalPropertyTest, PosteriorsOfEveryTargetWordSumToOne) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 2000);
  ASSERT_EQ(corpus.size(), 2000u);
  auto table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus));
  auto model = MakeModel(GetParam(), corpus, table);
  EmTrainer trainer(corpus, 2);
  // Before training and after two iterations.
  for (int round = 0; round < 2; ++round) {
    if (round == 1) {
      trainer.Iterate(model.get(), 1);
      trainer.Iterate(model.get(), 2);
    }
    std::vector<double> posteriors;
    std::vector<uint32_t> alignment;
    for (size_t k = 0; k < corpus.size(); ++k) {
      const SentencePair pair = corpus.pair(k);
      const size_t l = pair.source.size(), m = pair.target.size();
      if (l == 0 || m == 0) continue;
      const double log_likelihood = model->Posteriors(pair, &posteriors);
      ASSERT_EQ(posteriors.size(), (l + 1) * m);
      ASSERT_TRUE(std::isfinite(log_likelihood)) << k;
      for (size_t j = 0; j < m; ++j) {
        double sum = 0;
        for (size_t i = 0; i <= l; ++i) {
          const double p = posteriors[j * (l + 1) + i];
          ASSERT_GE(p, 0.0);
          ASSERT_LE(p, 1.0 + 1e-12);
          sum += p;
        }
        ASSERT_NEAR(sum, 1.0, 1e-9) << "pair " << k << " target word " << j;
        if (!model->use_null()) ASSERT_EQ(posteriors[j * (l + 1)], 0.0);
      }
      // The Viterbi alignment picks a most probable source word for each
      // target word, and log p(f, a | e) <= log p(f | e).
      const double viterbi = model->ViterbiAlign(pair, &alignment);
      ASSERT_EQ(alignment.size(), m);
      ASSERT_LE(viterbi, log_likelihood + 1e-9) << k;
      for (size_t j = 0; j < m; ++j) {
        ASSERT_LE(alignment[j], l);
        double best = 0;
        for (size_t i = 0; i <= l; ++i) best = std::max(best, posteriors[j * (l + 1) + i]);
        ASSERT_NEAR(posteriors[j * (l + 1) + alignment[j]], best, 1e-12) << k << " " << j;
      }
    }
  }
}

TEST_P(PositionalPropertyTest, ReportedLogLikelihoodIsSumOfPosteriorLogLikelihoods) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 3000);
  auto table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus));
  auto model = MakeModel(GetParam(), corpus, table);
  EmTrainer trainer(corpus, 2);
  for (int it = 1; it <= 3; ++it) {
    // Independently: sum over pairs of log p(f | e) under the current model.
    double expected = 0;
    int64_t tokens = 0;
    std::vector<double> posteriors;
    for (size_t k = 0; k < corpus.size(); ++k) {
      const SentencePair pair = corpus.pair(k);
      if (pair.source.empty() || pair.target.empty()) continue;
      expected += model->Posteriors(pair, &posteriors);
      tokens += pair.target.size();
    }
    if (GetParam() == Kind::kModel1 || GetParam() == Kind::kModel1NoNull) {
      // Model 1 straight from the table, without the model's code:
      // log p(f | e) = sum_j log(sum_i t(f_j | e_i) / (l + 1)), i over NULL
      // and the source words (NULL left out, and l instead of l + 1,
      // without NULL).
      const bool use_null = GetParam() == Kind::kModel1;
      double direct = 0;
      for (size_t k = 0; k < corpus.size(); ++k) {
        const SentencePair pair = corpus.pair(k);
        if (pair.source.empty() || pair.target.empty()) continue;
        for (WordId f : pair.target) {
          double sum = use_null ? table->ProbOr(kNullWord, f, kUnknownTranslationProb) : 0.0;
          for (WordId e : pair.source) sum += table->ProbOr(e, f, kUnknownTranslationProb);
          direct += std::log(sum / (pair.source.size() + (use_null ? 1 : 0)));
        }
      }
      EXPECT_NEAR(direct, expected, 1e-9 * std::fabs(expected)) << "iteration " << it;
    }
    const IterationReport report = trainer.Iterate(model.get(), it);
    // Fixed point rounds each target word's value to 2^-20.
    EXPECT_NEAR(report.log_likelihood, expected, 1e-9 * std::fabs(expected) + tokens * 1e-6)
        << "iteration " << it;
    EXPECT_EQ(report.target_tokens, tokens);
    EXPECT_NEAR(report.perplexity, std::exp(-expected / tokens), 1e-6 * report.perplexity);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, PositionalPropertyTest,
                         ::testing::Values(Kind::kModel1, Kind::kModel1NoNull, Kind::kModel2,
                                           Kind::kDiagonal, Kind::kDiagonalVb),
                         [](const ::testing::TestParamInfo<Kind>& info) {
                           switch (info.param) {
                             case Kind::kModel1:
                               return std::string("Model1");
                             case Kind::kModel1NoNull:
                               return std::string("Model1NoNull");
                             case Kind::kModel2:
                               return std::string("Model2");
                             case Kind::kDiagonal:
                               return std::string("Diagonal");
                             case Kind::kDiagonalVb:
                               return std::string("DiagonalVb");
                           }
                           return std::string("Unknown");
                         });

TEST(Model2Test, UniformAlignmentTableEqualsModel1) {
  // Before its first M-step, Model 2's alignment table is uniform, so it
  // must give exactly Model 1's posteriors and likelihood.
  const ParallelCorpus corpus = FirstPairs(Hansards(), 500);
  auto table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus));
  Model1 model1(table, true, TranslationPrior());
  EmTrainer trainer(corpus, 1);
  trainer.Iterate(&model1, 1);
  trainer.Iterate(&model1, 2);
  Model2 model2(table, AlignmentTable::FromCorpus(corpus, true), true, TranslationPrior());
  std::vector<double> p1, p2;
  for (size_t k = 0; k < corpus.size(); ++k) {
    const double ll1 = model1.Posteriors(corpus.pair(k), &p1);
    const double ll2 = model2.Posteriors(corpus.pair(k), &p2);
    ASSERT_NEAR(ll1, ll2, 1e-9);
    ASSERT_EQ(p1.size(), p2.size());
    for (size_t n = 0; n < p1.size(); ++n) ASSERT_NEAR(p1[n], p2[n], 1e-12);
  }
}

TEST(Model2Test, AlignmentDistributionsStayNormalized) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 1000);
  auto table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus));
  Model2 model(table, AlignmentTable::FromCorpus(corpus, true), true, TranslationPrior());
  EmTrainer trainer(corpus, 2);
  for (int it = 1; it <= 3; ++it) trainer.Iterate(&model, it);
  const AlignmentTable& a = model.alignment_table();
  ASSERT_FALSE(a.blocks().empty());
  for (const auto& [key, offset] : a.blocks()) {
    const uint32_t l = key >> 32, m = key & 0xffffffffu;
    for (uint32_t j = 0; j < m; ++j) {
      double sum = 0;
      for (uint32_t i = 0; i <= l; ++i) sum += a.probs()[offset + j * (l + 1) + i];
      ASSERT_NEAR(sum, 1.0, 1e-9) << "l=" << l << " m=" << m << " j=" << j;
    }
  }
}

TEST(DiagonalModelTest, AlignmentDistributionFollowsTheFormula) {
  // One pair of distinct words: every t(f|e) is the same, so the posteriors
  // are the alignment distribution itself:
  //   p(a_j = 0) = p0,
  //   p(a_j = i) = (1 - p0) exp(-T |i/l - j/m|) / Z_j (1-based i, j).
  const ParallelCorpus corpus = MakeCorpus({{"a b c d e", "u v w x y z s"}});
  auto table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus));
  for (bool use_null : {true, false}) {
    DiagonalOptions options;
    options.tension = 4.0;
    options.p0 = 0.08;
    DiagonalModel model(table, use_null, TranslationPrior(), options, {});
    std::vector<double> posteriors;
    model.Posteriors(corpus.pair(0), &posteriors);
    const int l = 5, m = 7;
    const double p0 = use_null ? 0.08 : 0.0;
    for (int j = 1; j <= m; ++j) {
      double z = 0;
      for (int i = 1; i <= l; ++i) z += std::exp(-4.0 * std::fabs(double(i) / l - double(j) / m));
      EXPECT_NEAR(posteriors[(j - 1) * (l + 1)], p0, 1e-12);
      for (int i = 1; i <= l; ++i) {
        const double expected =
            (1 - p0) * std::exp(-4.0 * std::fabs(double(i) / l - double(j) / m)) / z;
        EXPECT_NEAR(posteriors[(j - 1) * (l + 1) + i], expected, 1e-12) << i << " " << j;
      }
    }
  }
}

TEST(DiagonalModelTest, VeryLargeTensionStaysFinite) {
  // -T accepts any positive tension; a huge one means "strictly diagonal",
  // and must not turn exp() overflow into NaN posteriors.
  const ParallelCorpus corpus = MakeCorpus({{"a b c d e", "u v w x y z s"}});
  auto table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus));
  for (double tension : {100.0, 700.0, 1000.0, 5000.0}) {
    DiagonalOptions options;
    options.tension = tension;
    options.optimize_tension = false;
    DiagonalModel model(table, true, TranslationPrior(), options, {});
    std::vector<double> posteriors;
    const double ll = model.Posteriors(corpus.pair(0), &posteriors);
    EXPECT_TRUE(std::isfinite(ll)) << tension;
    for (size_t j = 0; j < 7; ++j) {
      double sum = 0;
      for (size_t i = 0; i <= 5; ++i) {
        const double p = posteriors[j * 6 + i];
        EXPECT_TRUE(std::isfinite(p)) << "tension " << tension << " i " << i << " j " << j;
        sum += p;
      }
      EXPECT_NEAR(sum, 1.0, 1e-9) << "tension " << tension << " j " << j;
    }
    std::vector<uint32_t> alignment;
    model.ViterbiAlign(corpus.pair(0), &alignment);
    // The last target word is on the diagonal with the last source word.
    EXPECT_EQ(alignment.back(), 5u) << tension;
  }
}

TEST(DiagonalModelTest, TensionOptimizationMovesTowardsTheData) {
  // A corpus of perfectly diagonal pairs (word k always translates word k):
  // after training, the posteriors hug the diagonal and the optimized
  // tension grows from its start.
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int n = 0; n < 200; ++n) {
    std::string s, t;
    const int len = 3 + n % 6;
    for (int k = 0; k < len; ++k) {
      const int w = (n * 7 + k * 13) % 40;
      s += "s" + std::to_string(w) + " ";
      t += "t" + std::to_string(w) + " ";
    }
    pairs.push_back({s, t});
  }
  const ParallelCorpus corpus = MakeCorpus(pairs);
  auto table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus));
  DiagonalOptions options;
  options.tension = 1.0;
  options.optimize_tension = true;
  DiagonalModel model(table, true, TranslationPrior(), options,
                      DiagonalModel::CountLengths(corpus));
  EmTrainer trainer(corpus, 1);
  for (int it = 1; it <= 5; ++it) trainer.Iterate(&model, it);
  EXPECT_GT(model.tension(), 4.0);
  std::vector<uint32_t> alignment;
  model.ViterbiAlign(corpus.pair(5), &alignment);
  for (size_t j = 0; j < alignment.size(); ++j) EXPECT_EQ(alignment[j], j + 1);
}

}  // namespace
}  // namespace aligner
