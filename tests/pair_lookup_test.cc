// Tests for PairLookup: the table entries of a sentence pair, looked up once
// per distinct (e, f), must be exactly those of a lookup per link.
#include "aligner/model/pair_lookup.h"

#include <memory>
#include <string>
#include <vector>

#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/expected_counts.h"
#include "aligner/model/translation_table.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

// A table over `corpus` whose entries all have different probabilities.
TranslationTable DistinctProbabilities(const ParallelCorpus& corpus) {
  TranslationTable table = TranslationTable::FromCorpus(corpus);
  absl::Span<float> probs = table.mutable_probs();
  for (size_t s = 0; s < probs.size(); ++s) probs[s] = static_cast<float>((s % 9973) + 1) / 1e4f;
  return table;
}

// Checks every cell of every pair of `corpus` against Find and prob (and
// the unknown probability, and 0 for NULL without a NULL word), and adds the
// number of cells and of distinct (e, f) looked up to *cells and *distinct.
void ExpectEveryCellMatchesTheTable(const TranslationTable& table, const ParallelCorpus& corpus,
                                    bool with_null, size_t* cells, size_t* distinct) {
  PairLookup lookup;
  std::vector<double> probs, product;
  for (size_t k = 0; k < corpus.size(); ++k) {
    const SentencePair pair = corpus.pair(k);
    const uint32_t l = pair.source.size(), m = pair.target.size();
    lookup.Lookup(table, pair, with_null);
    ASSERT_EQ(lookup.source_length(), l);
    ASSERT_EQ(lookup.target_length(), m);
    probs.assign(static_cast<size_t>(l + 1) * m, -1);
    product.assign(probs.size(), 2.0);
    lookup.Probabilities(probs.data());
    lookup.MultiplyProbabilities(product.data());
    for (uint32_t j = 0; j < m; ++j) {
      for (uint32_t i = 0; i <= l; ++i) {
        const size_t cell = static_cast<size_t>(j) * (l + 1) + i;
        const TranslationTable::Slot expected =
            i == 0 ? (with_null ? table.Find(kNullWord, pair.target[j]) : TranslationTable::kNoSlot)
                   : table.Find(pair.source[i - 1], pair.target[j]);
        ASSERT_EQ(lookup.slot(i, j), expected) << "pair " << k << " cell " << i << "," << j;
        const double p = i == 0 && !with_null ? 0.0
                         : expected == TranslationTable::kNoSlot
                             ? static_cast<double>(kUnknownTranslationProb)
                             : static_cast<double>(table.prob(expected));
        ASSERT_EQ(probs[cell], p);
        ASSERT_EQ(product[cell], 2.0 * p);
      }
    }
    *cells += static_cast<size_t>(l + 1) * m;
    *distinct += lookup.num_distinct();
  }
}

// Every cell of every pair, with and without NULL, against Find and prob.
TEST(PairLookupTest, EveryCellHasTheTablesSlotAndProbability) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 500);
  const TranslationTable table = DistinctProbabilities(corpus);
  size_t cells = 0, distinct = 0;
  for (bool with_null : {true, false}) {
    ExpectEveryCellMatchesTheTable(table, corpus, with_null, &cells, &distinct);
    if (HasFatalFailure()) return;
  }
  // Real text repeats words, so there is something to save.
  EXPECT_LT(distinct, cells * 9 / 10);
}

TEST(PairLookupTest, DistinctWordsOfARepetitivePair) {
  ParallelCorpus corpus;
  std::vector<WordId> source, target;
  for (const char* w : {"a", "b", "a", "a"})
    source.push_back(corpus.mutable_source_vocabulary().Intern(w));
  for (const char* w : {"x", "y", "x"})
    target.push_back(corpus.mutable_target_vocabulary().Intern(w));
  corpus.mutable_source_text().AddSentence(source);
  corpus.mutable_target_text().AddSentence(target);
  const TranslationTable table = TranslationTable::FromCorpus(corpus);
  PairLookup lookup;
  lookup.Lookup(table, corpus.pair(0), true);
  // {NULL, a, b} x {x, y}, not 5 x 3.
  EXPECT_EQ(lookup.num_distinct(), 6u);
  EXPECT_EQ(lookup.slot(1, 0), lookup.slot(3, 2));
  EXPECT_EQ(lookup.slot(1, 0), table.Find(source[0], target[0]));
  EXPECT_NE(lookup.slot(1, 0), lookup.slot(2, 0));
}

// Counts summed per distinct (e, f) before the shared add give the same
// fixed-point totals as adding every link on its own.
TEST(PairLookupTest, AddCountsEqualsAddingEveryLink) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 300);
  const TranslationTable table = DistinctProbabilities(corpus);
  ExpectedCounts by_link, by_lookup;
  by_link.Reset(table.num_entries(), 0);
  by_lookup.Reset(table.num_entries(), 0);
  PairLookup lookup;
  std::vector<double> values;
  for (size_t k = 0; k < corpus.size(); ++k) {
    const SentencePair pair = corpus.pair(k);
    const uint32_t l = pair.source.size(), m = pair.target.size();
    lookup.Lookup(table, pair, true);
    values.resize(static_cast<size_t>(l + 1) * m);
    // Values whose rounding to fixed point differs link by link.
    for (size_t c = 0; c < values.size(); ++c) values[c] = 1.0 / (3.0 + static_cast<double>(c % 7));
    lookup.AddCounts(values.data(), &by_lookup);
    for (uint32_t j = 0; j < m; ++j) {
      for (uint32_t i = 0; i <= l; ++i) {
        const TranslationTable::Slot slot = lookup.slot(i, j);
        if (slot != TranslationTable::kNoSlot) {
          by_link.AddTranslation(slot, values[static_cast<size_t>(j) * (l + 1) + i]);
        }
      }
    }
  }
  size_t nonzero = 0;
  for (size_t s = 0; s < table.num_entries(); ++s) {
    ASSERT_EQ(by_lookup.translation().raw(s), by_link.translation().raw(s)) << s;
    nonzero += by_link.translation().raw(s) != 0;
  }
  EXPECT_EQ(nonzero, table.num_entries());
}

// The reverse lookup taken from the forward one through TransposedSlots is
// the search's, cell for cell, with and without NULL; given the lookup of
// another pair, it searches.
TEST(PairLookupTest, TransposedLookupEqualsTheSearch) {
  const ParallelCorpus forward_corpus = FirstPairs(Hansards(), 400);
  ParallelCorpus reverse_corpus = forward_corpus;
  reverse_corpus.SwapSides();
  const TranslationTable forward_table = DistinctProbabilities(forward_corpus);
  const TranslationTable reverse_table = DistinctProbabilities(reverse_corpus);
  const TransposedSlots map = TransposedSlots::Build(forward_table, reverse_table);
  ASSERT_TRUE(map.valid());
  PairLookup forward, transposed, searched;
  transposed.TransposeFrom(&forward, &map);
  std::vector<double> a, b;
  size_t compared = 0;
  for (bool with_null : {true, false}) {
    for (size_t k = 0; k < forward_corpus.size(); ++k) {
      // Every third pair, the forward lookup is of the pair before: not this one.
      forward.Lookup(forward_table, forward_corpus.pair(k % 3 == 2 && k > 0 ? k - 1 : k), true);
      const SentencePair pair = reverse_corpus.pair(k);
      const uint32_t l = pair.source.size(), m = pair.target.size();
      if (l == 0 || m == 0) continue;
      transposed.Lookup(reverse_table, pair, with_null);
      searched.Lookup(reverse_table, pair, with_null);
      ASSERT_EQ(transposed.source_length(), l);
      ASSERT_EQ(transposed.target_length(), m);
      ASSERT_EQ(transposed.num_distinct(), searched.num_distinct());
      for (uint32_t j = 0; j < m; ++j) {
        for (uint32_t i = 0; i <= l; ++i) {
          ASSERT_EQ(transposed.slot(i, j), searched.slot(i, j)) << k << " " << i << "," << j;
        }
      }
      a.assign(static_cast<size_t>(l + 1) * m, -1);
      b.assign(a.size(), -2);
      transposed.Probabilities(a.data());
      searched.Probabilities(b.data());
      ASSERT_EQ(a, b) << k;
      ++compared;
    }
  }
  EXPECT_GT(compared, 700u);
}

// A fresh table is uniform and the lookup does not read its probabilities;
// they must still be the table's. Writing them ends that.
TEST(PairLookupTest, UniformTableGivesTheTablesProbabilities) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 50);
  TranslationTable table = TranslationTable::FromCorpus(corpus);
  ASSERT_TRUE(table.is_uniform());
  size_t cells = 0, distinct = 0;
  ExpectEveryCellMatchesTheTable(table, corpus, true, &cells, &distinct);
  if (HasFatalFailure()) return;
  table.mutable_probs()[0] = 0.5f;
  EXPECT_FALSE(table.is_uniform());
}

// Words the table has never seen (aligning new text) have no slot.
TEST(PairLookupTest, UnknownWordsHaveNoSlotAndTheUnknownProbability) {
  ParallelCorpus corpus;
  const WordId a = corpus.mutable_source_vocabulary().Intern("a");
  const WordId x = corpus.mutable_target_vocabulary().Intern("x");
  corpus.mutable_source_text().AddSentence(std::vector<WordId>{a});
  corpus.mutable_target_text().AddSentence(std::vector<WordId>{x});
  const TranslationTable table = TranslationTable::FromCorpus(corpus);
  const std::vector<WordId> source = {a, 77}, target = {x, 99};
  PairLookup lookup;
  lookup.Lookup(table, SentencePair{source, target}, true);
  EXPECT_NE(lookup.slot(1, 0), TranslationTable::kNoSlot);
  EXPECT_EQ(lookup.slot(2, 0), TranslationTable::kNoSlot);
  EXPECT_EQ(lookup.slot(1, 1), TranslationTable::kNoSlot);
  EXPECT_EQ(lookup.slot(0, 1), TranslationTable::kNoSlot);
  std::vector<double> probs(3 * 2);
  lookup.Probabilities(probs.data());
  EXPECT_EQ(probs[1 * 3 + 2], static_cast<double>(kUnknownTranslationProb));
}

}  // namespace
}  // namespace aligner
