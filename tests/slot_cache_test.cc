// Tests for SlotCache: lookups served from it must be exactly the search's,
// it must serve no other corpus's pairs, and training with it must give the
// models training without it gives, for any budget.
#include "aligner/model/slot_cache.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/pair_lookup.h"
#include "aligner/model/translation_table.h"
#include "aligner/train/agreement_trainer.h"
#include "aligner/train/training.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

// Every pair's lookup through the cache has the slots and probabilities of
// the search on a table without the cache: in a first pass, which fills the
// cache, and in two more, which read it (with and without NULL in the order
// given).
void ExpectLookupsMatchTheSearch(const TranslationTable& cached, const TranslationTable& plain,
                                 const ParallelCorpus& corpus, bool first_with_null = true) {
  PairLookup with_cache, without;
  std::vector<double> p1, p2;
  for (bool with_null : {first_with_null, !first_with_null, first_with_null}) {
    for (size_t k = 0; k < corpus.size(); ++k) {
      const SentencePair pair = corpus.pair(k);
      if (pair.source.empty() || pair.target.empty()) continue;
      with_cache.Lookup(cached, pair, with_null);
      without.Lookup(plain, pair, with_null);
      ASSERT_EQ(with_cache.slots(), without.slots()) << "pair " << k << " null " << with_null;
      const size_t cells = (pair.source.size() + 1) * pair.target.size();
      p1.assign(cells, -1);
      p2.assign(cells, -2);
      with_cache.Probabilities(p1.data());
      without.Probabilities(p2.data());
      ASSERT_EQ(p1, p2) << "pair " << k;
    }
  }
}

// A table whose entries all have different probabilities.
TranslationTable DistinctProbabilities(const ParallelCorpus& corpus) {
  TranslationTable table = TranslationTable::FromCorpus(corpus);
  absl::Span<float> probs = table.mutable_probs();
  for (size_t s = 0; s < probs.size(); ++s) probs[s] = static_cast<float>((s % 9973) + 1) / 1e4f;
  return table;
}

// The number of distinct words of `words` that `keep` accepts.
template <typename Keep>
size_t Distinct(absl::Span<const WordId> words, Keep keep) {
  std::set<WordId> kept;
  for (WordId w : words) {
    if (keep(w)) kept.insert(w);
  }
  return kept.size();
}

TEST(SlotCacheTest, CachedLookupsAreTheSearchs) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 600);
  const TranslationTable plain = DistinctProbabilities(corpus);
  // NULL's row and a frequent word's have a direct index.
  ASSERT_TRUE(plain.has_dense_row(kNullWord));
  ASSERT_GE(plain.num_dense_rows(), 2u);
  size_t with_dense_rows_positions = 0;
  for (const bool with_dense_rows : {true, false}) {
    SCOPED_TRACE(with_dense_rows);
    TranslationTable cached = plain;
    std::shared_ptr<const SlotCache> cache =
        SlotCache::Build(corpus, plain, uint64_t{1} << 30, with_dense_rows);
    ASSERT_NE(cache, nullptr);
    EXPECT_EQ(cache->num_cached_pairs(), corpus.size());
    // Nothing is stored before the first lookups.
    EXPECT_TRUE(cache->Positions(corpus.pair(0)).empty());
    cached.set_slot_cache(cache);
    ExpectLookupsMatchTheSearch(cached, plain, corpus);
    // Now every pair is: each cached row of its distinct (e, f), NULL's
    // first. With the rows a direct index serves, that is all of them.
    size_t positions = 0;
    for (size_t k = 0; k < corpus.size(); ++k) {
      const SentencePair pair = corpus.pair(k);
      if (pair.source.empty() || pair.target.empty()) continue;
      const size_t rows = (with_dense_rows ? 1 : 0) + Distinct(pair.source, [&](WordId e) {
                            return with_dense_rows || !plain.has_dense_row(e);
                          });
      const size_t width = Distinct(pair.target, [](WordId) { return true; });
      EXPECT_EQ(cache->Positions(pair).size(), rows * width) << k;
      positions += rows * width;
    }
    EXPECT_EQ(cache->num_positions(), positions);
    if (with_dense_rows) {
      with_dense_rows_positions = positions;
    } else {
      // The frequent words' rows are much of every pair.
      EXPECT_LT(positions, with_dense_rows_positions * 3 / 4);
    }
  }
}

// Fill stores every pair's positions a row at a time, before any lookup:
// the same the lookups would have stored, for all of the pairs and for a
// prefix under a budget, and for rows too long to cache.
TEST(SlotCacheTest, FillStoresWhatTheLookupsWould) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 500);
  const TranslationTable plain = DistinctProbabilities(corpus);
  for (const bool with_dense_rows : {true, false}) {
    SCOPED_TRACE(with_dense_rows);
    const std::shared_ptr<const SlotCache> by_lookups =
        SlotCache::Build(corpus, plain, uint64_t{1} << 30, with_dense_rows);
    TranslationTable looked_up = plain;
    looked_up.set_slot_cache(by_lookups);
    ExpectLookupsMatchTheSearch(looked_up, plain, corpus);
    for (const uint64_t budget : {uint64_t{1} << 30, by_lookups->num_positions()}) {
      const std::shared_ptr<const SlotCache> filled =
          SlotCache::Build(corpus, plain, budget, with_dense_rows);
      ASSERT_NE(filled, nullptr);
      filled->Fill(corpus, plain);
      size_t stored = 0;
      for (size_t k = 0; k < corpus.size(); ++k) {
        const SentencePair pair = corpus.pair(k);
        const absl::Span<const SlotCache::Position> positions = filled->Positions(pair);
        if (k < filled->num_cached_pairs()) {
          ASSERT_EQ(positions, by_lookups->Positions(pair)) << "pair " << k;
          stored += !positions.empty();
        } else {
          EXPECT_TRUE(positions.empty()) << k;
        }
      }
      EXPECT_GT(stored, filled->num_cached_pairs() * 9 / 10);
      TranslationTable cached = plain;
      cached.set_slot_cache(filled);
      ExpectLookupsMatchTheSearch(cached, plain, corpus);
    }
  }
  // Another corpus's cache is left empty.
  const ParallelCorpus other = FirstPairs(Hansards(), 500);
  const std::shared_ptr<const SlotCache> theirs =
      SlotCache::Build(other, plain, uint64_t{1} << 30, true);
  theirs->Fill(corpus, plain);
  EXPECT_TRUE(theirs->Positions(other.pair(0)).empty());
}

// Filled by lookups without NULL (--no-null-word), the cache still holds
// the NULL row for lookups with it.
TEST(SlotCacheTest, LookupsWithoutNullStoreTheNullRowToo) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 300);
  const TranslationTable plain = DistinctProbabilities(corpus);
  TranslationTable cached = plain;
  cached.set_slot_cache(SlotCache::Build(corpus, plain, uint64_t{1} << 30, true));
  ASSERT_NE(cached.slot_cache(), nullptr);
  ExpectLookupsMatchTheSearch(cached, plain, corpus, /*first_with_null=*/false);
}

// A budget that holds only some pairs caches a prefix of the corpus; the
// others are searched, with the same result.
TEST(SlotCacheTest, ABudgetCachesAPrefixAndTheRestIsSearched) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 400);
  const TranslationTable plain = DistinctProbabilities(corpus);
  const std::shared_ptr<const SlotCache> whole =
      SlotCache::Build(corpus, plain, uint64_t{1} << 30, true);
  ASSERT_NE(whole, nullptr);
  const uint64_t half = whole->num_positions() * sizeof(SlotCache::Position) / 2;
  TranslationTable cached = plain;
  std::shared_ptr<const SlotCache> part = SlotCache::Build(corpus, plain, half, true);
  ASSERT_NE(part, nullptr);
  EXPECT_GT(part->num_cached_pairs(), 0u);
  EXPECT_LT(part->num_cached_pairs(), corpus.size());
  EXPECT_LE(part->num_positions() * sizeof(SlotCache::Position), half);
  cached.set_slot_cache(part);
  ExpectLookupsMatchTheSearch(cached, plain, corpus);
  EXPECT_TRUE(part->Positions(corpus.pair(part->num_cached_pairs() - 1)).size() > 0 ||
              corpus.pair(part->num_cached_pairs() - 1).source.empty());
  EXPECT_TRUE(part->Positions(corpus.pair(part->num_cached_pairs())).empty());
  // Not even one pair fits: no cache.
  EXPECT_EQ(SlotCache::Build(corpus, plain, 3, true), nullptr);
}

// Rows longer than 16-bit positions reach (here NULL's and "a"'s, 70,001
// targets each) are searched, the others taken from the cache. (The table's
// budget for direct indexes holds none of these rows.)
TEST(SlotCacheTest, RowsTooLongForTheCacheAreSearched) {
  ParallelCorpus corpus;
  const WordId a = corpus.mutable_source_vocabulary().Intern("a");
  const WordId x = corpus.mutable_target_vocabulary().Intern("x");
  for (int k = 0; k < 70000; ++k) {
    const WordId s = corpus.mutable_source_vocabulary().Intern("s" + std::to_string(k % 100));
    const WordId w = corpus.mutable_target_vocabulary().Intern("w" + std::to_string(k));
    const std::vector<WordId> source = {a, s}, target = {w, x};
    corpus.mutable_source_text().AddSentence(source);
    corpus.mutable_target_text().AddSentence(target);
  }
  const TranslationTable plain = DistinctProbabilities(corpus);
  ASSERT_GT(plain.row_end(a) - plain.row_begin(a), SlotCache::kMaxRowLength);
  ASSERT_GT(plain.row_end(kNullWord) - plain.row_begin(kNullWord), SlotCache::kMaxRowLength);
  for (bool fill : {false, true}) {
    TranslationTable cached = plain;
    std::shared_ptr<const SlotCache> cache =
        SlotCache::Build(corpus, plain, uint64_t{1} << 30, true);
    ASSERT_NE(cache, nullptr);
    if (fill) cache->Fill(corpus, plain);
    cached.set_slot_cache(cache);
    ExpectLookupsMatchTheSearch(cached, plain, corpus);
    // Pair 0: {NULL, a, s0} x {w0, x}; the rows of NULL and a are not
    // cached, s0's is.
    const absl::Span<const SlotCache::Position> positions = cache->Positions(corpus.pair(0));
    ASSERT_EQ(positions.size(), 2u);
    for (size_t c : {0, 1}) EXPECT_NE(positions[c], SlotCache::kNone) << c;
  }
}

// Pairs of another corpus, of a copy of the corpus, or of the corpus after
// its sides were swapped are not served (their indexes are the same).
TEST(SlotCacheTest, ServesOnlyItsOwnCorpussPairs) {
  ParallelCorpus corpus = FirstPairs(Hansards(), 50);
  TranslationTable table = TranslationTable::FromCorpus(corpus);
  const std::shared_ptr<const SlotCache> cache =
      SlotCache::Build(corpus, table, uint64_t{1} << 30, true);
  ASSERT_NE(cache, nullptr);
  table.set_slot_cache(cache);
  PairLookup lookup;
  for (size_t k = 0; k < corpus.size(); ++k) lookup.Lookup(table, corpus.pair(k), true);
  EXPECT_FALSE(cache->Positions(corpus.pair(3)).empty());
  const ParallelCorpus copy = corpus;
  EXPECT_TRUE(cache->Positions(copy.pair(3)).empty());
  const ParallelCorpus other = FirstPairs(Hansards(), 50);
  EXPECT_TRUE(cache->Positions(other.pair(3)).empty());
  SentencePair made{corpus.pair(3).source, corpus.pair(3).target};
  EXPECT_TRUE(cache->Positions(made).empty());
  corpus.SwapSides();
  EXPECT_TRUE(cache->Positions(corpus.pair(3)).empty());
}

// Training with the cache (whole, or 1 MiB of the 3,000 pairs' 3 MiB) gives
// the probabilities of training without it, bit for bit, for a model of
// each kind.
TEST(SlotCacheTest, TrainingIsIdenticalWithAndWithoutTheCache) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 3000);
  for (const char* model : {"model1", "diagonal", "hmm"}) {
    std::vector<std::vector<float>> probs;
    for (uint64_t budget : {0, 1, 1024}) {
      TrainingOptions options;
      options.model = model;
      options.iterations = 3;
      options.slot_cache_mb = budget;
      auto resolved = ResolveDefaults(options, false);
      ASSERT_TRUE(resolved.ok());
      auto trained = TrainQuietly(corpus, *resolved, 2);
      ASSERT_TRUE(trained.ok()) << trained.status();
      // The diagonal model goes target word by target word instead
      // (TargetColumns), which needs no cache.
      const bool by_target_word = (*trained)->translation_table().target_columns() != nullptr;
      EXPECT_EQ(by_target_word, budget > 0 && std::string(model) == "diagonal") << model;
      const SlotCache* cache = (*trained)->translation_table().slot_cache();
      EXPECT_EQ(cache != nullptr, budget > 0 && !by_target_word) << model;
      if (budget == 1 && cache != nullptr) {
        EXPECT_LT(cache->num_cached_pairs(), corpus.size()) << model;
      }
      const absl::Span<const float> p = (*trained)->translation_table().probs();
      probs.emplace_back(p.begin(), p.end());
    }
    EXPECT_EQ(probs[0], probs[1]) << model;
    EXPECT_EQ(probs[0], probs[2]) << model;
  }
}

TEST(SlotCacheTest, AgreementIsIdenticalWithAndWithoutTheCache) {
  const ParallelCorpus forward = FirstPairs(Hansards(), 600);
  ParallelCorpus reverse = forward;
  reverse.SwapSides();
  std::vector<std::vector<float>> forward_probs, reverse_probs;
  for (uint64_t budget : {0, 1024}) {
    TrainingOptions options;
    options.model = "hmm";
    options.iterations = 3;
    options.slot_cache_mb = budget;
    auto resolved = ResolveDefaults(options, true);
    ASSERT_TRUE(resolved.ok());
    AgreementOptions agreement;
    agreement.fertility = true;
    agreement.independent_iterations = 1;
    AgreementTrainer trainer(forward, reverse, 2, agreement);
    auto models = TrainByAgreement(forward, reverse, *resolved, &trainer,
                                   [](const AgreementIterationReport&) {});
    ASSERT_TRUE(models.ok()) << models.status();
    EXPECT_EQ(models->forward->translation_table().slot_cache() != nullptr, budget > 0);
    const absl::Span<const float> f = models->forward->translation_table().probs();
    const absl::Span<const float> r = models->reverse->translation_table().probs();
    forward_probs.emplace_back(f.begin(), f.end());
    reverse_probs.emplace_back(r.begin(), r.end());
  }
  EXPECT_EQ(forward_probs[0], forward_probs[1]);
  EXPECT_EQ(reverse_probs[0], reverse_probs[1]);
}

}  // namespace
}  // namespace aligner
