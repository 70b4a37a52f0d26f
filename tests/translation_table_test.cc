// Tests for TranslationTable (construction, lookup), the M-step
// EstimateTranslationTable (maximum likelihood and variational Bayes) and
// Digamma.
#include "aligner/model/translation_table.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "aligner/corpus/parallel_corpus.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aligner {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

constexpr double kEulerGamma = 0.57721566490153286061;
constexpr double kLn2 = 0.69314718055994530942;

// Builds a corpus in memory. Pairs marked unusable keep their words in the
// vocabularies but are stored empty, as the readers do for malformed or
// over-long lines.
struct PairSpec {
  std::vector<std::string> source, target;
  bool usable = true;
};

ParallelCorpus MakeCorpus(const std::vector<PairSpec>& pairs) {
  ParallelCorpus corpus;
  for (const PairSpec& p : pairs) {
    std::vector<WordId> s, t;
    for (const auto& w : p.source) s.push_back(corpus.mutable_source_vocabulary().Intern(w));
    for (const auto& w : p.target) t.push_back(corpus.mutable_target_vocabulary().Intern(w));
    if (!p.usable) s.clear(), t.clear();
    corpus.mutable_source_text().AddSentence(s);
    corpus.mutable_target_text().AddSentence(t);
  }
  return corpus;
}

std::vector<WordId> Row(const TranslationTable& table, WordId e) {
  std::vector<WordId> row;
  for (uint64_t s = table.row_begin(e); s < table.row_end(e); ++s) row.push_back(table.target(s));
  return row;
}

class TinyTableTest : public ::testing::Test {
 protected:
  // Source ids: a=1 b=2 c=3 e=4; target ids: x=1 y=2 z=3 v=4.
  TinyTableTest()
      : corpus_(MakeCorpus({
            {{"a", "b", "a"}, {"x", "y", "x"}},
            {{"b", "c"}, {"y", "z"}},
            {{"e"}, {"v"}, /*usable=*/false},
        })),
        table_(TranslationTable::FromCorpus(corpus_)) {}

  WordId S(const char* w) const { return *corpus_.source_vocabulary().Find(w); }
  WordId T(const char* w) const { return *corpus_.target_vocabulary().Find(w); }

  ParallelCorpus corpus_;
  TranslationTable table_;
};

TEST_F(TinyTableTest, RowsHoldExactlyTheCooccurringPairs) {
  ASSERT_EQ(table_.num_source_words(), corpus_.source_vocabulary().size());
  EXPECT_THAT(Row(table_, S("a")), ElementsAre(T("x"), T("y")));  // repeats once
  EXPECT_THAT(Row(table_, S("b")), ElementsAre(T("x"), T("y"), T("z")));
  EXPECT_THAT(Row(table_, S("c")), ElementsAre(T("y"), T("z")));
  EXPECT_THAT(Row(table_, S("e")), IsEmpty());  // only in an unusable pair
  // NULL: every target word of a usable pair, and only those.
  EXPECT_THAT(Row(table_, kNullWord), ElementsAre(T("x"), T("y"), T("z")));
  EXPECT_EQ(table_.num_entries(), 2u + 3u + 2u + 0u + 3u);
  EXPECT_EQ(table_.probs().size(), table_.num_entries());
}

TEST_F(TinyTableTest, FindReturnsTheSlotOfEveryPair) {
  for (WordId e = 0; e < table_.num_source_words(); ++e) {
    for (uint64_t s = table_.row_begin(e); s < table_.row_end(e); ++s) {
      EXPECT_EQ(table_.Find(e, table_.target(s)), s) << e;
    }
  }
  const auto slot = table_.Find(S("b"), T("z"));
  ASSERT_NE(slot, TranslationTable::kNoSlot);
  EXPECT_EQ(table_.target(slot), T("z"));
  EXPECT_GE(slot, table_.row_begin(S("b")));
  EXPECT_LT(slot, table_.row_end(S("b")));
}

TEST_F(TinyTableTest, FindReturnsNoSlotForOtherPairs) {
  constexpr auto kNo = TranslationTable::kNoSlot;
  EXPECT_EQ(table_.Find(S("a"), T("z")), kNo);  // never in the same pair
  EXPECT_EQ(table_.Find(S("c"), T("x")), kNo);
  EXPECT_EQ(table_.Find(S("e"), T("v")), kNo);  // unusable pair
  EXPECT_EQ(table_.Find(kNullWord, T("v")), kNo);
  EXPECT_EQ(table_.Find(S("a"), kNullWord), kNo);
  EXPECT_EQ(table_.Find(S("a"), 1000), kNo);  // unknown target id
  EXPECT_EQ(table_.Find(S("b"), 0xffffffffu), kNo);
  const WordId past = static_cast<WordId>(table_.num_source_words());
  EXPECT_EQ(table_.Find(past, T("x")), kNo);  // ids past the table
  EXPECT_EQ(table_.Find(past + 1000, T("x")), kNo);
  EXPECT_EQ(table_.ProbOr(S("a"), T("z"), 0.125f), 0.125f);
  EXPECT_EQ(table_.ProbOr(past, T("z"), 0.5f), 0.5f);
}

TEST_F(TinyTableTest, FindWithLargestWordIdIsNoSlot) {
  // The range check must not overflow for the largest id (e + 1 wraps to 0
  // in 32 bits). Run in a child process: a failure here is a crash.
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  const WordId x = T("x");
  EXPECT_EXIT(
      {
        const bool none = table_.Find(0xffffffffu, x) == TranslationTable::kNoSlot &&
                          table_.ProbOr(0xffffffffu, x, 0.5f) == 0.5f;
        std::_Exit(none ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(TinyTableTest, StartsUniformOverTheTargetWords) {
  // Three target words occur in usable pairs (x, y, z), so 1/3 everywhere:
  // uniform over the whole target vocabulary, not per row.
  for (float p : table_.probs()) EXPECT_FLOAT_EQ(p, 1.0f / 3);
  EXPECT_FLOAT_EQ(table_.ProbOr(S("a"), T("x"), 0), 1.0f / 3);
}

TEST(TranslationTableTest, EmptyTablesFindNothing) {
  TranslationTable empty;
  EXPECT_EQ(empty.num_source_words(), 0u);
  EXPECT_EQ(empty.Find(0, 0), TranslationTable::kNoSlot);
  EXPECT_EQ(empty.Find(5, 1), TranslationTable::kNoSlot);

  TranslationTable from_empty_corpus = TranslationTable::FromCorpus(ParallelCorpus());
  EXPECT_EQ(from_empty_corpus.num_entries(), 0u);
  EXPECT_EQ(from_empty_corpus.Find(0, 1), TranslationTable::kNoSlot);
}

TEST(TranslationTableTest, FromRowsAndFindInLongRows) {
  std::vector<std::vector<WordId>> rows(4);
  for (WordId f = 1; f < 200; f += 2) rows[0].push_back(f);  // odd ids
  rows[2] = {7};
  rows[3] = {0, 5, 6, 100};
  TranslationTable table = TranslationTable::FromRows(rows);
  ASSERT_EQ(table.num_source_words(), 4u);
  EXPECT_EQ(table.num_entries(), 100u + 0u + 1u + 4u);
  for (WordId f = 0; f < 210; ++f) {
    const auto slot = table.Find(0, f);
    if (f % 2 == 1 && f < 200) {
      ASSERT_NE(slot, TranslationTable::kNoSlot) << f;
      EXPECT_EQ(table.target(slot), f);
    } else {
      EXPECT_EQ(slot, TranslationTable::kNoSlot) << f;
    }
  }
  EXPECT_EQ(table.Find(1, 7), TranslationTable::kNoSlot);
  EXPECT_NE(table.Find(2, 7), TranslationTable::kNoSlot);
  EXPECT_EQ(table.Find(2, 6), TranslationTable::kNoSlot);
  EXPECT_EQ(table.Find(2, 8), TranslationTable::kNoSlot);
  EXPECT_EQ(table.Find(3, 0), table.row_begin(3));
  EXPECT_EQ(table.Find(3, 100), table.row_begin(3) + 3);
  EXPECT_EQ(table.Find(3, 99), TranslationTable::kNoSlot);
  EXPECT_EQ(table.Find(3, 101), TranslationTable::kNoSlot);
  // Uniform over the longest row.
  for (float p : table.probs()) EXPECT_FLOAT_EQ(p, 1.0f / 100);
}

// FindBatch against std::lower_bound on rows of every length around the
// search's group size (16) and well past it, for every target id in range
// and batches longer than its 64 lanes.
TEST(TranslationTableTest, FindBatchAgreesWithLowerBoundOnRowsOfEveryLength) {
  std::mt19937 random(7);
  std::vector<std::vector<WordId>> rows;
  for (size_t length : {1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 49, 100, 255, 256, 257, 1000}) {
    std::vector<WordId> row;
    WordId f = random() % 3;
    for (size_t k = 0; k < length; ++k) {
      row.push_back(f);
      f += 1 + random() % 4;  // gaps, so that absent ids fall inside the row
    }
    rows.push_back(row);
  }
  const TranslationTable table = TranslationTable::FromRows(rows);
  std::vector<WordId> queries;
  for (WordId f = 0; f < 4100; ++f) queries.push_back(f);
  std::shuffle(queries.begin(), queries.end(), random);
  std::vector<TranslationTable::Slot> slots(queries.size());
  for (WordId e = 0; e < rows.size(); ++e) {
    table.FindBatch(e, queries.data(), queries.size(), slots.data(), 1);
    for (size_t k = 0; k < queries.size(); ++k) {
      const auto it = std::lower_bound(rows[e].begin(), rows[e].end(), queries[k]);
      const TranslationTable::Slot expected = it != rows[e].end() && *it == queries[k]
                                                  ? table.row_begin(e) + (it - rows[e].begin())
                                                  : TranslationTable::kNoSlot;
      ASSERT_EQ(slots[k], expected) << "row length " << rows[e].size() << ", f " << queries[k];
    }
  }
}

// Counts by slot, from (e, f, count) triples.
FixedPointArray Counts(const TranslationTable& table,
                       const std::vector<std::tuple<WordId, WordId, double>>& entries) {
  FixedPointArray counts;
  counts.Resize(table.num_entries());
  for (const auto& [e, f, c] : entries) {
    const auto slot = table.Find(e, f);
    EXPECT_NE(slot, TranslationTable::kNoSlot);
    counts.Add(slot, c);
  }
  return counts;
}

// The reverse table of the tiny corpus: (f, e) for every (e, f), so every
// forward slot outside the NULL row leads to its transpose.
TEST_F(TinyTableTest, TransposedSlotsLeadEveryEntryToItsTranspose) {
  ParallelCorpus reverse_corpus = corpus_;
  reverse_corpus.SwapSides();
  const TranslationTable reverse = TranslationTable::FromCorpus(reverse_corpus);
  const TransposedSlots map = TransposedSlots::Build(table_, reverse);
  ASSERT_TRUE(map.valid());
  EXPECT_EQ(map.reverse(), &reverse);
  size_t mapped = 0;
  for (WordId e = kNullWord + 1; e < table_.num_source_words(); ++e) {
    for (uint64_t s = table_.row_begin(e); s < table_.row_end(e); ++s) {
      EXPECT_EQ(map[s], reverse.Find(table_.target(s), e));
      ++mapped;
    }
  }
  // (a,x) (a,y) (b,x) (b,y) (b,z) (c,y) (c,z).
  EXPECT_EQ(mapped, 7u);
}

TEST_F(TinyTableTest, TransposedSlotsRefuseTablesThatAreNotTransposes) {
  // A reverse table with one pair fewer, and one with a pair more.
  const TranslationTable fewer = TranslationTable::FromCorpus(MakeCorpus({
      {{"x", "y", "x"}, {"a", "b", "a"}},
  }));
  EXPECT_FALSE(TransposedSlots::Build(table_, fewer).valid());
  const TranslationTable more = TranslationTable::FromCorpus(MakeCorpus({
      {{"x", "y", "x"}, {"a", "b", "a"}},
      {{"y", "z"}, {"b", "c"}},
      {{"v"}, {"e"}},
  }));
  EXPECT_FALSE(TransposedSlots::Build(table_, more).valid());
  EXPECT_FALSE(TransposedSlots::Build(TranslationTable(), TranslationTable()).valid());
}

TEST_F(TinyTableTest, MaximumLikelihoodNormalizesEachRow) {
  const WordId a = S("a"), b = S("b"), x = T("x"), y = T("y"), z = T("z");
  FixedPointArray counts = Counts(table_, {
                                              {a, x, 1.5},
                                              {a, y, 0.5},  // total 2
                                              {b, y, 1.0},
                                              {b, z, 3.0},           // total 4, x: 0
                                              {kNullWord, x, 0.25},  // total 1
                                              {kNullWord, y, 0.25},
                                              {kNullWord, z, 0.5},
                                              // row c: no counts at all
                                          });
  EstimateTranslationTable(counts, TranslationPrior(), &table_);
  EXPECT_FLOAT_EQ(table_.ProbOr(a, x, -1), 0.75f);
  EXPECT_FLOAT_EQ(table_.ProbOr(a, y, -1), 0.25f);
  EXPECT_FLOAT_EQ(table_.ProbOr(b, y, -1), 0.25f);
  EXPECT_FLOAT_EQ(table_.ProbOr(b, z, -1), 0.75f);
  // A zero count is floored, never exactly 0.
  EXPECT_EQ(table_.ProbOr(b, x, -1), kMinTranslationProb);
  EXPECT_FLOAT_EQ(table_.ProbOr(kNullWord, x, -1), 0.25f);
  EXPECT_FLOAT_EQ(table_.ProbOr(kNullWord, z, -1), 0.5f);
  // A row without counts keeps its probabilities.
  EXPECT_FLOAT_EQ(table_.ProbOr(S("c"), y, -1), 1.0f / 3);
  EXPECT_FLOAT_EQ(table_.ProbOr(S("c"), z, -1), 1.0f / 3);
}

TEST_F(TinyTableTest, VariationalBayesMatchesHandComputedDigammas) {
  const WordId a = S("a"), b = S("b"), x = T("x"), y = T("y"), z = T("z");
  // alpha = 0.5 makes every digamma argument a half-integer or an integer:
  //   psi(1) = -g, psi(2) = 1 - g, psi(3) = 1.5 - g,
  //   psi(0.5) = -g - 2 ln 2, psi(1.5) = psi(0.5) + 2, psi(2.5) = psi(1.5) + 2/3.
  // Row a (2 entries), counts 0.5, 0.5: total + 2 alpha = 2,
  //   t = exp(psi(1) - psi(2)) = exp(-1) for both.
  // Row b (3 entries), counts x 0, y 1.5, z 0: total + 3 alpha = 3,
  //   t(y) = exp(psi(2) - psi(3)) = exp(-0.5),
  //   t(x) = t(z) = exp(psi(0.5) - psi(3)) = exp(-1.5 - 2 ln 2) = exp(-1.5) / 4.
  // Row NULL (3 entries), counts x 1, y 0, z 0: total + 3 alpha = 2.5,
  //   t(x) = exp(psi(1.5) - psi(2.5)) = exp(-2/3),
  //   t(y) = t(z) = exp(psi(0.5) - psi(2.5)) = exp(-8/3).
  // Row c has no counts: unchanged (1/3).
  FixedPointArray counts =
      Counts(table_, {{a, x, 0.5}, {a, y, 0.5}, {b, y, 1.5}, {kNullWord, x, 1.0}});
  TranslationPrior prior;
  prior.variational_bayes = true;
  prior.alpha = 0.5;
  EstimateTranslationTable(counts, prior, &table_);
  constexpr double kTol = 1e-7;
  EXPECT_NEAR(table_.ProbOr(a, x, -1), std::exp(-1.0), kTol);
  EXPECT_NEAR(table_.ProbOr(a, y, -1), std::exp(-1.0), kTol);
  EXPECT_NEAR(table_.ProbOr(b, y, -1), std::exp(-0.5), kTol);
  EXPECT_NEAR(table_.ProbOr(b, x, -1), std::exp(-1.5) / 4, kTol);
  EXPECT_NEAR(table_.ProbOr(b, z, -1), std::exp(-1.5) / 4, kTol);
  EXPECT_NEAR(table_.ProbOr(kNullWord, x, -1), std::exp(-2.0 / 3), kTol);
  EXPECT_NEAR(table_.ProbOr(kNullWord, y, -1), std::exp(-8.0 / 3), kTol);
  EXPECT_NEAR(table_.ProbOr(kNullWord, z, -1), std::exp(-8.0 / 3), kTol);
  EXPECT_FLOAT_EQ(table_.ProbOr(S("c"), y, -1), 1.0f / 3);
  // Variational Bayes rows sum to less than 1 (mass is "discounted").
  double row_b = 0;
  for (uint64_t s = table_.row_begin(b); s < table_.row_end(b); ++s) row_b += table_.prob(s);
  EXPECT_LT(row_b, 1.0);
}

TEST_F(TinyTableTest, VariationalBayesFloorsTinyProbabilities) {
  const WordId a = S("a"), x = T("x"), y = T("y");
  FixedPointArray counts = Counts(table_, {{a, x, 10.0}});
  TranslationPrior prior;
  prior.variational_bayes = true;
  prior.alpha = 0.001;
  EstimateTranslationTable(counts, prior, &table_);
  // exp(psi(0.001) - psi(10.002)) ~ exp(-1003) underflows: floored.
  EXPECT_EQ(table_.ProbOr(a, y, -1), kMinTranslationProb);
  // exp(psi(10.001) - psi(10.002)) = 0.99989485576... (~ 1 - 0.001 psi'(10)).
  EXPECT_NEAR(table_.ProbOr(a, x, -1), 0.9998948557644072, 1e-7);
}

TEST(DigammaTest, KnownValues) {
  EXPECT_NEAR(Digamma(1.0), -kEulerGamma, 1e-10);
  EXPECT_NEAR(Digamma(0.5), -1.9635100260214235, 1e-10);
  EXPECT_NEAR(Digamma(0.5), -kEulerGamma - 2 * kLn2, 1e-10);
  EXPECT_NEAR(Digamma(2.0), 1 - kEulerGamma, 1e-10);
  EXPECT_NEAR(Digamma(3.0), 1.5 - kEulerGamma, 1e-10);
  EXPECT_NEAR(Digamma(2.5), 0.7031566406452432, 1e-10);
  EXPECT_NEAR(Digamma(6.0), 1.7061176684318005, 1e-10);
  EXPECT_NEAR(Digamma(100.0), 4.6001618527380874, 1e-10);
  EXPECT_NEAR(Digamma(0.001), -1000.5755719318103, 1e-7);
  EXPECT_NEAR(Digamma(1e6), std::log(1e6) - 0.5e-6, 1e-12);
}

TEST(DigammaTest, Recurrence) {
  // psi(x + 1) = psi(x) + 1/x, across the switch to the asymptotic series.
  for (double x : {0.01, 0.1, 0.37, 1.0, 2.5, 4.99, 5.0, 5.5, 5.999, 6.0, 6.5, 17.3, 250.0}) {
    EXPECT_NEAR(Digamma(x + 1), Digamma(x) + 1 / x, 1e-9 * (1 + std::fabs(Digamma(x)))) << x;
  }
  // Monotone increasing.
  double previous = Digamma(0.05);
  for (double x = 0.1; x < 20; x += 0.05) {
    const double value = Digamma(x);
    EXPECT_GT(value, previous) << x;
    previous = value;
  }
}

}  // namespace
}  // namespace aligner
