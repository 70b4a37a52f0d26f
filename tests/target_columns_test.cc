// Tests for TargetColumns and the passes that go target word by target word:
// the arrangement must hold every table entry and every target token once,
// in order; the diagonal model's E-step by target word must count what the
// pair-by-pair E-step counts (the translation counts exactly), the same for
// any number of threads; its Viterbi choices and DecodeCorpus's links must
// be ViterbiAlign's; and training with the columns must give the model
// training without them gives.
#include "aligner/model/target_columns.h"

#include <cmath>
#include <memory>
#include <vector>

#include "aligner/decode/decoder.h"
#include "aligner/model/diagonal_model.h"
#include "aligner/model/translation_table.h"
#include "aligner/train/em_trainer.h"
#include "aligner/train/training.h"
#include "gtest/gtest.h"
#include "tbb/task_arena.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

// The first 2,000 Hansards pairs, and a pair with an empty source side (its
// tokens have no unit) and one with an empty target side in the middle.
const ParallelCorpus& Corpus() {
  static const ParallelCorpus corpus = [] {
    const ParallelCorpus& full = Hansards();
    ParallelCorpus c = FirstPairs(full, 1000);
    c.mutable_source_text().AddSentence({});
    c.mutable_target_text().AddSentence(full.pair(1000).target);
    c.mutable_source_text().AddSentence(full.pair(1001).source);
    c.mutable_target_text().AddSentence({});
    for (size_t k = 1002; k < 2000; ++k) {
      c.mutable_source_text().AddSentence(full.pair(k).source);
      c.mutable_target_text().AddSentence(full.pair(k).target);
    }
    return c;
  }();
  return corpus;
}

bool Usable(const SentencePair& pair) { return !pair.source.empty() && !pair.target.empty(); }

// A table whose entries all have different probabilities.
std::shared_ptr<TranslationTable> DistinctProbabilities(const ParallelCorpus& corpus) {
  auto table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus));
  absl::Span<float> probs = table->mutable_probs();
  for (size_t s = 0; s < probs.size(); ++s) probs[s] = static_cast<float>((s % 9973) + 1) / 1e4f;
  return table;
}

DiagonalModel MakeDiagonal(std::shared_ptr<TranslationTable> table, bool use_null) {
  DiagonalOptions options;
  options.tension = 5.5;
  return DiagonalModel(std::move(table), use_null, TranslationPrior(), options,
                       DiagonalModel::CountLengths(Corpus()));
}

std::unique_ptr<TargetColumns> BuildWith(int threads, const ParallelCorpus& corpus,
                                         const TranslationTable& table) {
  tbb::task_arena arena(threads);
  std::unique_ptr<TargetColumns> columns;
  arena.execute([&] { columns = TargetColumns::Build(corpus, table); });
  return columns;
}

TEST(TargetColumnsTest, HoldEveryEntryAndEveryTokenOnceInOrder) {
  const ParallelCorpus& corpus = Corpus();
  const TranslationTable table = TranslationTable::FromCorpus(corpus);
  std::unique_ptr<TargetColumns> columns = BuildWith(2, corpus, table);
  ASSERT_NE(columns, nullptr);
  EXPECT_EQ(columns->corpus_id(), corpus.id());
  ASSERT_EQ(columns->num_entries(), table.num_entries());
  // Entries: each slot once, in its target's column, columns sorted by
  // source word, so that each entry is the slot of (its source, its column).
  std::vector<int> seen(table.num_entries(), 0);
  columns->GatherProbabilities(table, /*zero_counts=*/false);
  for (WordId f = 0; f < columns->num_columns(); ++f) {
    for (uint64_t x = columns->column_begin(f); x < columns->column_end(f); ++x) {
      const WordId e = columns->column_source(x);
      if (x > columns->column_begin(f)) EXPECT_LT(columns->column_source(x - 1), e);
      const TranslationTable::Slot slot = table.Find(e, f);
      ASSERT_NE(slot, TranslationTable::kNoSlot) << e << " " << f;
      ++seen[slot];
      EXPECT_EQ(columns->probabilities()[x], table.prob(slot));
    }
  }
  for (size_t s = 0; s < seen.size(); ++s) ASSERT_EQ(seen[s], 1) << "slot " << s;
  // Units: every token of a usable pair once, in its word's column, in
  // corpus order; unit_of_token finds it back.
  uint64_t units = 0;
  int64_t pairs = 0;
  uint32_t longest = 0;
  for (size_t k = 0; k < corpus.size(); ++k) {
    const SentencePair pair = corpus.pair(k);
    EXPECT_EQ(columns->token_offset(k + 1) - columns->token_offset(k), pair.target.size());
    for (uint32_t j = 0; j < pair.target.size(); ++j) {
      const uint32_t u = columns->unit_of_token(columns->token_offset(k) + j);
      if (!Usable(pair)) {
        EXPECT_EQ(u, TargetColumns::kNoUnit) << "pair " << k;
        continue;
      }
      ASSERT_NE(u, TargetColumns::kNoUnit);
      EXPECT_EQ(columns->unit(u).pair, k);
      EXPECT_EQ(columns->unit(u).position, j);
      EXPECT_GE(u, columns->units_begin(pair.target[j]));
      EXPECT_LT(u, columns->units_end(pair.target[j]));
      ++units;
    }
    if (Usable(pair)) {
      ++pairs;
      longest = std::max<uint32_t>(longest, pair.source.size());
      EXPECT_EQ(columns->pair_info(k).source, pair.source.data());
      EXPECT_EQ(columns->pair_info(k).source_length, pair.source.size());
      EXPECT_EQ(columns->pair_info(k).target_length, pair.target.size());
    }
  }
  EXPECT_EQ(columns->num_units(), units);
  EXPECT_EQ(columns->num_pairs(), pairs);
  EXPECT_EQ(columns->max_source_length(), longest);
  for (WordId f = 0; f < columns->num_columns(); ++f) {
    for (uint64_t u = columns->units_begin(f) + 1; u < columns->units_end(f); ++u) {
      const TargetColumns::Unit& a = columns->unit(u - 1);
      const TargetColumns::Unit& b = columns->unit(u);
      EXPECT_TRUE(a.pair < b.pair || (a.pair == b.pair && a.position < b.position));
    }
  }
  // Chunks: runs of whole columns, in order, covering all of them.
  WordId next = 0;
  for (const TargetColumns::Chunk& chunk : columns->chunks()) {
    EXPECT_EQ(chunk.first_column, next);
    EXPECT_LT(chunk.first_column, chunk.end_column);
    next = chunk.end_column;
  }
  EXPECT_EQ(next, columns->num_columns());
  EXPECT_GT(columns->chunks().size(), 1u);
}

TEST(TargetColumnsTest, AreTheSameBuiltOnAnyNumberOfThreads) {
  const ParallelCorpus& corpus = Corpus();
  const TranslationTable table = TranslationTable::FromCorpus(corpus);
  std::unique_ptr<TargetColumns> one = BuildWith(1, corpus, table);
  for (int threads : {2, 3, 5}) {
    std::unique_ptr<TargetColumns> other = BuildWith(threads, corpus, table);
    ASSERT_EQ(other->num_units(), one->num_units());
    for (uint64_t u = 0; u < one->num_units(); ++u) {
      ASSERT_EQ(other->unit(u).pair, one->unit(u).pair);
      ASSERT_EQ(other->unit(u).position, one->unit(u).position);
    }
    for (uint64_t x = 0; x < one->num_entries(); ++x) {
      ASSERT_EQ(other->column_source(x), one->column_source(x));
    }
  }
}

// The E-step pair by pair, on one thread.
void PairByPair(const DiagonalModel& model, const ParallelCorpus& corpus, ExpectedCounts* counts) {
  model.InitCounts(counts);
  for (size_t k = 0; k < corpus.size(); ++k) model.AddExpectedCounts(corpus.pair(k), counts);
}

void ByTargetWord(const DiagonalModel& model, TargetColumns* columns, int threads,
                  ExpectedCounts* counts) {
  tbb::task_arena arena(threads);
  arena.execute([&] {
    model.InitCounts(counts);
    ASSERT_TRUE(model.AddExpectedCountsByTargetWord(columns, counts, nullptr));
  });
}

TEST(TargetColumnsTest, DiagonalExpectationCountsWhatThePairByPairOneCounts) {
  const ParallelCorpus& corpus = Corpus();
  std::shared_ptr<TranslationTable> table = DistinctProbabilities(corpus);
  std::unique_ptr<TargetColumns> columns = BuildWith(2, corpus, *table);
  for (bool use_null : {true, false}) {
    SCOPED_TRACE(use_null ? "with NULL" : "without NULL");
    const DiagonalModel model = MakeDiagonal(table, use_null);
    ExpectedCounts expected, got;
    PairByPair(model, corpus, &expected);
    ByTargetWord(model, columns.get(), 2, &got);
    ASSERT_EQ(got.translation().size(), expected.translation().size());
    for (size_t s = 0; s < expected.translation().size(); ++s) {
      ASSERT_EQ(got.translation().raw(s), expected.translation().raw(s)) << "slot " << s;
    }
    EXPECT_EQ(got.pairs, expected.pairs);
    EXPECT_EQ(got.target_tokens, expected.target_tokens);
    EXPECT_EQ(got.links, expected.links);
    EXPECT_EQ(got.raw_log_likelihood(), expected.raw_log_likelihood());
    EXPECT_EQ(got.alignment.raw(0), expected.alignment.raw(0));
    EXPECT_EQ(got.alignment.raw(1), expected.alignment.raw(1));
    EXPECT_NE(expected.alignment.Get(0), 0.0);
  }
}

TEST(TargetColumnsTest, DiagonalExpectationIsTheSameForAnyNumberOfThreads) {
  const ParallelCorpus& corpus = Corpus();
  std::shared_ptr<TranslationTable> table = DistinctProbabilities(corpus);
  std::unique_ptr<TargetColumns> columns = BuildWith(2, corpus, *table);
  const DiagonalModel model = MakeDiagonal(table, true);
  ExpectedCounts one;
  ByTargetWord(model, columns.get(), 1, &one);
  for (int threads : {2, 3, 8}) {
    ExpectedCounts other;
    ByTargetWord(model, columns.get(), threads, &other);
    for (size_t s = 0; s < one.translation().size(); ++s) {
      ASSERT_EQ(other.translation().raw(s), one.translation().raw(s)) << threads << " " << s;
    }
    EXPECT_EQ(other.alignment.raw(0), one.alignment.raw(0)) << threads;
    EXPECT_EQ(other.alignment.raw(1), one.alignment.raw(1)) << threads;
    EXPECT_EQ(other.raw_log_likelihood(), one.raw_log_likelihood()) << threads;
  }
}

TEST(TargetColumnsTest, DiagonalViterbiChoicesAreViterbiAligns) {
  const ParallelCorpus& corpus = Corpus();
  std::shared_ptr<TranslationTable> table = DistinctProbabilities(corpus);
  std::unique_ptr<TargetColumns> columns = BuildWith(2, corpus, *table);
  for (bool use_null : {true, false}) {
    const DiagonalModel model = MakeDiagonal(table, use_null);
    std::vector<ViterbiChoice> choices(columns->num_units());
    tbb::task_arena arena(2);
    arena.execute([&] { ASSERT_TRUE(model.ViterbiByTargetWord(columns.get(), choices.data())); });
    std::vector<uint32_t> alignment;
    for (size_t k = 0; k < corpus.size(); ++k) {
      const SentencePair pair = corpus.pair(k);
      if (!Usable(pair)) continue;
      const double log_prob = model.ViterbiAlign(pair, &alignment);
      double sum = 0;
      for (uint32_t j = 0; j < pair.target.size(); ++j) {
        const ViterbiChoice& choice = choices[columns->unit_of_token(columns->token_offset(k) + j)];
        ASSERT_EQ(choice.source, alignment[j]) << "pair " << k << " token " << j;
        sum += choice.log_prob;
      }
      ASSERT_EQ(sum, log_prob) << "pair " << k;
    }
  }
}

// Every decoded pair, in order.
std::vector<DecodedPair> DecodeAll(const AlignmentModel& model, const ParallelCorpus& corpus,
                                   const DecodeOptions& options) {
  std::vector<DecodedPair> all;
  tbb::task_arena arena(2);
  arena.execute([&] {
    DecodeCorpus(model, corpus, options, [&](size_t k, const DecodedPair& pair) {
      EXPECT_EQ(k, all.size());
      all.push_back(pair);
    });
  });
  return all;
}

TEST(TargetColumnsTest, DecodingByTargetWordGivesTheLinksOfDecodingPairByPair) {
  const ParallelCorpus& corpus = Corpus();
  std::shared_ptr<TranslationTable> table = DistinctProbabilities(corpus);
  const DiagonalModel model = MakeDiagonal(table, true);
  for (bool reverse : {false, true}) {
    DecodeOptions options;
    options.reverse = reverse;
    table->set_target_columns(BuildWith(2, corpus, *table));
    const std::vector<DecodedPair> by_word = DecodeAll(model, corpus, options);
    table->set_target_columns(nullptr);
    const std::vector<DecodedPair> by_pair = DecodeAll(model, corpus, options);
    ASSERT_EQ(by_word.size(), corpus.size());
    ASSERT_EQ(by_pair.size(), corpus.size());
    size_t links = 0;
    for (size_t k = 0; k < corpus.size(); ++k) {
      ASSERT_EQ(by_word[k].links, by_pair[k].links) << "pair " << k;
      EXPECT_EQ(by_word[k].alignment, by_pair[k].alignment) << "pair " << k;
      EXPECT_EQ(by_word[k].log_prob, by_pair[k].log_prob) << "pair " << k;
      links += by_word[k].links.size();
    }
    EXPECT_GT(links, corpus.size());
  }
}

TEST(TargetColumnsTest, TrainingWithThemGivesTheModelTrainingWithoutThemGives) {
  const ParallelCorpus& corpus = Corpus();
  TrainingOptions options;
  options.model = "diagonal";
  options.iterations = 4;
  options.diagonal.optimize_tension = true;
  options.prior.variational_bayes = true;
  auto with = TrainQuietly(corpus, options, 2);
  ASSERT_TRUE(with.ok()) << with.status();
  EXPECT_NE((*with)->translation_table().target_columns(), nullptr);
  TrainingOptions plain = options;
  plain.slot_cache_mb = 0;  // neither the columns nor the slot cache
  auto without = TrainQuietly(corpus, plain, 2);
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ((*without)->translation_table().target_columns(), nullptr);
  const auto& a = static_cast<const DiagonalModel&>(**with);
  const auto& b = static_cast<const DiagonalModel&>(**without);
  EXPECT_EQ(a.tension(), b.tension());
  EXPECT_NE(a.tension(), DiagonalOptions().tension);
  absl::Span<const float> pa = a.translation_table().probs(), pb = b.translation_table().probs();
  ASSERT_EQ(std::vector<float>(pa.begin(), pa.end()), std::vector<float>(pb.begin(), pb.end()));
  const std::vector<DecodedPair> la = DecodeAll(a, corpus, DecodeOptions());
  const std::vector<DecodedPair> lb = DecodeAll(b, corpus, DecodeOptions());
  for (size_t k = 0; k < corpus.size(); ++k) ASSERT_EQ(la[k].links, lb[k].links) << "pair " << k;
}

TEST(TargetColumnsTest, TheTrainerFreesTheirCountsAndOutlivesThem) {
  const ParallelCorpus& corpus = Corpus();
  TrainingOptions options;
  options.model = "diagonal";
  options.iterations = 2;
  EmTrainer trainer(corpus, 2);
  auto model = TrainModel(corpus, options, &trainer, [](const IterationReport&) {});
  ASSERT_TRUE(model.ok()) << model.status();
  const TargetColumns* columns = (*model)->translation_table().target_columns();
  ASSERT_NE(columns, nullptr);
  const size_t before = columns->MemoryBytes();
  trainer.ReleaseCounts();
  EXPECT_EQ(before - columns->MemoryBytes(), columns->num_entries() * sizeof(int64_t));
  model->reset();           // the table, and its columns, are gone
  trainer.ReleaseCounts();  // and must not be touched
}

TEST(TargetColumnsTest, AreNotUsedWhenTheScheduleHasModelOneIterationsOrViterbiTraining) {
  const ParallelCorpus& corpus = Corpus();
  TrainingOptions options;
  options.model = "diagonal";
  options.iterations = 1;
  TranslationTable table = TranslationTable::FromCorpus(corpus);
  EXPECT_TRUE(AttachTargetColumns(corpus, options, &table));
  options.model1_iterations = 1;
  EXPECT_FALSE(AttachTargetColumns(corpus, options, &table));
  options.model1_iterations = 0;
  options.viterbi_training = true;
  EXPECT_FALSE(AttachTargetColumns(corpus, options, &table));
  options.viterbi_training = false;
  options.model = "hmm";
  EXPECT_FALSE(AttachTargetColumns(corpus, options, &table));
}

}  // namespace
}  // namespace aligner
