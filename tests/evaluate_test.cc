#include "aligner/tools/evaluate.h"

#include <cmath>
#include <string>
#include <vector>

#include "aligner/io/gold.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aligner {
namespace {

using ::testing::HasSubstr;

void ExpectNoNan(const AlignmentScores& s) {
  EXPECT_FALSE(std::isnan(s.precision()));
  EXPECT_FALSE(std::isnan(s.recall()));
  EXPECT_FALSE(std::isnan(s.f1()));
  EXPECT_FALSE(std::isnan(s.aer()));
}

TEST(EvaluateTest, HandComputedSentence) {
  // S = {0-0, 1-1}, P = S + {1-2}; A = {0-0, 1-2, 2-2}.
  // |A∩S| = 1, |A∩P| = 2: precision 2/3, recall 1/2, F1 4/7,
  // AER = 1 - (1 + 2) / (3 + 2) = 0.4.
  GoldAlignment gold{{{0, 0}, {1, 1}}, {{1, 2}}};
  AlignmentScores scores;
  AddSentence({{0, 0}, {1, 2}, {2, 2}}, gold, &scores);
  EXPECT_EQ(scores.predicted, 3);
  EXPECT_EQ(scores.sure, 2);
  EXPECT_EQ(scores.possible, 3);
  EXPECT_EQ(scores.predicted_and_sure, 1);
  EXPECT_EQ(scores.predicted_and_possible, 2);
  EXPECT_DOUBLE_EQ(scores.precision(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(scores.recall(), 0.5);
  EXPECT_DOUBLE_EQ(scores.f1(), 4.0 / 7.0);
  EXPECT_DOUBLE_EQ(scores.aer(), 0.4);
}

TEST(EvaluateTest, DuplicatePredictedLinksCountOnce) {
  GoldAlignment gold{{{0, 0}, {1, 1}}, {{1, 2}}};
  AlignmentScores once;
  AlignmentScores twice;
  AddSentence({{2, 2}, {0, 0}, {1, 2}}, gold, &once);
  AddSentence({{0, 0}, {1, 2}, {0, 0}, {2, 2}, {1, 2}}, gold, &twice);
  EXPECT_EQ(twice.predicted, once.predicted);
  EXPECT_EQ(twice.predicted_and_sure, once.predicted_and_sure);
  EXPECT_EQ(twice.predicted_and_possible, once.predicted_and_possible);
}

TEST(EvaluateTest, UnnormalizedGoldIsNormalized) {
  // A link both sure and possible counts as sure; duplicates count once.
  GoldAlignment gold{{{1, 1}, {0, 0}, {1, 1}}, {{0, 0}, {2, 2}, {2, 2}}};
  AlignmentScores scores;
  AddSentence({{0, 0}, {2, 2}}, gold, &scores);
  EXPECT_EQ(scores.sure, 2);
  EXPECT_EQ(scores.possible, 3);
  EXPECT_EQ(scores.predicted_and_sure, 1);
  EXPECT_EQ(scores.predicted_and_possible, 2);
}

TEST(EvaluateTest, SumsOverSentences) {
  // Sentence 1: A = {0-0} = S: all right. Sentence 2: S = {0-1},
  // P = S + {1-1}, A = {1-1, 2-2}.
  // Totals: |A| = 3, |S| = 2, |P| = 3, |A∩S| = 1, |A∩P| = 2.
  const std::vector<SentenceLinks> predicted = {{{0, 0}}, {{1, 1}, {2, 2}}};
  const std::vector<GoldAlignment> gold = {{{{0, 0}}, {}}, {{{0, 1}}, {{1, 1}}}};
  absl::StatusOr<AlignmentScores> scores = Evaluate(predicted, gold);
  ASSERT_TRUE(scores.ok()) << scores.status();
  EXPECT_EQ(scores->predicted, 3);
  EXPECT_EQ(scores->sure, 2);
  EXPECT_EQ(scores->possible, 3);
  EXPECT_EQ(scores->predicted_and_sure, 1);
  EXPECT_EQ(scores->predicted_and_possible, 2);
  EXPECT_DOUBLE_EQ(scores->precision(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(scores->recall(), 0.5);
  EXPECT_DOUBLE_EQ(scores->aer(), 1.0 - 3.0 / 5.0);
}

TEST(EvaluateTest, EmptyEverythingScoresWorstWithoutNan) {
  AlignmentScores scores;
  ExpectNoNan(scores);
  EXPECT_EQ(scores.precision(), 0.0);
  EXPECT_EQ(scores.recall(), 0.0);
  EXPECT_EQ(scores.f1(), 0.0);
  EXPECT_EQ(scores.aer(), 1.0);

  absl::StatusOr<AlignmentScores> from_empty_corpus = Evaluate({}, {});
  ASSERT_TRUE(from_empty_corpus.ok());
  EXPECT_EQ(from_empty_corpus->aer(), 1.0);
}

TEST(EvaluateTest, NothingPredicted) {
  AlignmentScores scores;
  AddSentence({}, GoldAlignment{{{0, 0}}, {{1, 1}}}, &scores);
  ExpectNoNan(scores);
  EXPECT_EQ(scores.precision(), 0.0);
  EXPECT_EQ(scores.recall(), 0.0);
  EXPECT_EQ(scores.f1(), 0.0);
  EXPECT_EQ(scores.aer(), 1.0);
}

TEST(EvaluateTest, NoSureLinks) {
  // All predictions possible: precision 1, recall undefined -> 0, and AER by
  // the formula 1 - |A∩P| / |A| = 0.
  AlignmentScores scores;
  AddSentence({{1, 1}}, GoldAlignment{{}, {{1, 1}}}, &scores);
  ExpectNoNan(scores);
  EXPECT_EQ(scores.precision(), 1.0);
  EXPECT_EQ(scores.recall(), 0.0);
  EXPECT_EQ(scores.f1(), 0.0);
  EXPECT_EQ(scores.aer(), 0.0);
}

TEST(EvaluateTest, AllWrong) {
  AlignmentScores scores;
  AddSentence({{5, 5}}, GoldAlignment{{{0, 0}}, {{1, 1}}}, &scores);
  ExpectNoNan(scores);
  EXPECT_EQ(scores.f1(), 0.0);
  EXPECT_EQ(scores.aer(), 1.0);
}

TEST(EvaluateTest, AccumulatesWithPlusEquals) {
  AlignmentScores a;
  AlignmentScores b;
  AddSentence({{0, 0}}, GoldAlignment{{{0, 0}}, {}}, &a);
  AddSentence({{1, 1}}, GoldAlignment{{{0, 0}}, {{1, 1}}}, &b);
  a += b;
  EXPECT_EQ(a.predicted, 2);
  EXPECT_EQ(a.sure, 2);
  EXPECT_EQ(a.possible, 3);
  EXPECT_EQ(a.predicted_and_sure, 1);
  EXPECT_EQ(a.predicted_and_possible, 2);
}

TEST(EvaluateTest, SentenceCountMismatchIsAnError) {
  absl::StatusOr<AlignmentScores> scores = Evaluate({{}, {}}, std::vector<GoldAlignment>(3));
  ASSERT_FALSE(scores.ok());
  EXPECT_EQ(scores.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(scores.status().message()), HasSubstr("2"));
  EXPECT_THAT(std::string(scores.status().message()), HasSubstr("3"));
}

class EvaluateTrialGoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::vector<GoldAlignment>> gold =
        ReadGoldFile(std::string(ALIGNER_TEST_DATA_DIR) + "/trial.gold",
                     GoldFormat::kPharaohSurePossible, GoldOptions(), 0);
    ASSERT_TRUE(gold.ok()) << gold.status();
    gold_ = std::move(gold).value();
  }
  std::vector<GoldAlignment> gold_;
};

TEST_F(EvaluateTrialGoldTest, SureLinksScorePerfectly) {
  std::vector<SentenceLinks> predicted;
  for (const GoldAlignment& g : gold_) predicted.push_back(g.sure);
  absl::StatusOr<AlignmentScores> scores = Evaluate(predicted, gold_);
  ASSERT_TRUE(scores.ok()) << scores.status();
  EXPECT_EQ(scores->predicted, 338);
  EXPECT_EQ(scores->sure, 338);
  EXPECT_EQ(scores->possible, 338 + 1446);
  EXPECT_DOUBLE_EQ(scores->precision(), 1.0);
  EXPECT_DOUBLE_EQ(scores->recall(), 1.0);
  EXPECT_DOUBLE_EQ(scores->f1(), 1.0);
  EXPECT_DOUBLE_EQ(scores->aer(), 0.0);
}

TEST_F(EvaluateTrialGoldTest, PossibleLinksCountAsCorrect) {
  // Predicting every possible link keeps recall at 1 and, since possible
  // links count as correct, also precision and AER.
  std::vector<SentenceLinks> predicted;
  for (const GoldAlignment& g : gold_) {
    SentenceLinks all = g.sure;
    all.insert(all.end(), g.possible.begin(), g.possible.end());
    predicted.push_back(all);
  }
  absl::StatusOr<AlignmentScores> scores = Evaluate(predicted, gold_);
  ASSERT_TRUE(scores.ok());
  EXPECT_DOUBLE_EQ(scores->precision(), 1.0);
  EXPECT_DOUBLE_EQ(scores->recall(), 1.0);
  EXPECT_DOUBLE_EQ(scores->aer(), 0.0);

  // Only the possible-only links: precision 1, recall 0, AER 1 - P/(P+S).
  predicted.clear();
  for (const GoldAlignment& g : gold_) predicted.push_back(g.possible);
  scores = Evaluate(predicted, gold_);
  ASSERT_TRUE(scores.ok());
  EXPECT_DOUBLE_EQ(scores->precision(), 1.0);
  EXPECT_DOUBLE_EQ(scores->recall(), 0.0);
  EXPECT_DOUBLE_EQ(scores->aer(), 1.0 - 1446.0 / (1446.0 + 338.0));
}

}  // namespace
}  // namespace aligner
