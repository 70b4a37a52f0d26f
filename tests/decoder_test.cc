// Tests for decoding: Viterbi and posterior-threshold links, orientation of
// reverse-direction links, empty pairs and corpus-order streaming.
#include "aligner/decode/decoder.h"

#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/model1.h"
#include "aligner/model/translation_table.h"
#include "aligner/train/em_trainer.h"
#include "aligner/train/training.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Source words e1 e2 e3 (ids 1..3), target words f1 f2 (ids 1, 2), every
// pair co-occurring, with chosen t(f|e):
//            e1     e2     e3     NULL
//   f1    0.125   0.25  0.625    0.9
//   f2     0.75  0.125  0.125   0.01
// Without NULL, Model 1's posteriors of a pair (e1 e2 e3, f1 f2) are these
// columns themselves (they sum to 1).
class HandModelTest : public ::testing::Test {
 protected:
  HandModelTest() {
    table_ = std::make_shared<TranslationTable>(
        TranslationTable::FromRows({{1, 2}, {1, 2}, {1, 2}, {1, 2}}));
    auto probs = table_->mutable_probs();
    const float t[4][3] = {
        {0, 0.9f, 0.01f}, {0, 0.125f, 0.75f}, {0, 0.25f, 0.125f}, {0, 0.625f, 0.125f}};
    for (WordId e = 0; e < 4; ++e) {
      for (WordId f = 1; f <= 2; ++f) probs[table_->Find(e, f)] = t[e][f];
    }
  }

  SentencePair Pair() const { return {absl::MakeConstSpan(source_), absl::MakeConstSpan(target_)}; }

  std::shared_ptr<TranslationTable> table_;
  const std::vector<WordId> source_ = {1, 2, 3};
  const std::vector<WordId> target_ = {1, 2};
};

TEST_F(HandModelTest, ViterbiLinks) {
  Model1 model(table_, /*use_null=*/false, TranslationPrior());
  DecodedPair out;
  DecodePair(model, Pair(), DecodeOptions(), &out);
  // f1 -> e3, f2 -> e1; links "source-target", ordered by target position.
  EXPECT_THAT(out.alignment, ElementsAre(3, 1));
  EXPECT_THAT(out.links, ElementsAre(Link{2, 0}, Link{0, 1}));
  EXPECT_THAT(out.link_posteriors, IsEmpty());
  // log p(f, a | e) = log(1/3 * 0.625) + log(1/3 * 0.75).
  EXPECT_NEAR(out.log_prob, std::log(0.625 / 3) + std::log(0.75 / 3), 1e-9);
}

TEST_F(HandModelTest, ReverseViterbiLinksAreFlippedToSourceTarget) {
  // The model was trained on the swapped corpus: its "source" e is the
  // user's target side. Links come out as user-source - user-target.
  Model1 model(table_, /*use_null=*/false, TranslationPrior());
  DecodeOptions options;
  options.reverse = true;
  DecodedPair out;
  DecodePair(model, Pair(), options, &out);
  EXPECT_THAT(out.alignment, ElementsAre(3, 1));  // the model's own direction
  EXPECT_THAT(out.links, ElementsAre(Link{0, 2}, Link{1, 0}));
}

TEST_F(HandModelTest, ViterbiLinkPosteriors) {
  Model1 model(table_, false, TranslationPrior());
  DecodeOptions options;
  options.link_posteriors = true;
  DecodedPair out;
  DecodePair(model, Pair(), options, &out);
  EXPECT_THAT(out.links, ElementsAre(Link{2, 0}, Link{0, 1}));
  ASSERT_EQ(out.link_posteriors.size(), 2u);
  EXPECT_NEAR(out.link_posteriors[0], 0.625, 1e-7);
  EXPECT_NEAR(out.link_posteriors[1], 0.75, 1e-7);
}

TEST_F(HandModelTest, PosteriorThresholdReturnsEveryLinkAtOrAbove) {
  Model1 model(table_, false, TranslationPrior());
  DecodeOptions options;
  options.link_posteriors = true;
  DecodedPair out;

  options.posterior_threshold = 0.2;
  DecodePair(model, Pair(), options, &out);
  // f1: e2 (0.25), e3 (0.625); f2: e1 (0.75). By target, then source position.
  EXPECT_THAT(out.links, ElementsAre(Link{1, 0}, Link{2, 0}, Link{0, 1}));
  ASSERT_EQ(out.link_posteriors.size(), 3u);
  EXPECT_NEAR(out.link_posteriors[0], 0.25, 1e-7);
  EXPECT_NEAR(out.link_posteriors[1], 0.625, 1e-7);
  EXPECT_NEAR(out.link_posteriors[2], 0.75, 1e-7);
  EXPECT_THAT(out.alignment, IsEmpty());
  // log p(f | e) = log(1/3 * 1) + log(1/3 * 1).
  EXPECT_NEAR(out.log_prob, 2 * std::log(1.0 / 3), 1e-6);

  options.posterior_threshold = 0.7;
  DecodePair(model, Pair(), options, &out);
  EXPECT_THAT(out.links, ElementsAre(Link{0, 1}));

  options.posterior_threshold = 0.8;  // nothing reaches it
  DecodePair(model, Pair(), options, &out);
  EXPECT_THAT(out.links, IsEmpty());

  options.posterior_threshold = 0;  // every link with a positive posterior
  DecodePair(model, Pair(), options, &out);
  EXPECT_EQ(out.links.size(), 6u);

  options.reverse = true;
  options.posterior_threshold = 0.2;
  DecodePair(model, Pair(), options, &out);
  EXPECT_THAT(out.links, ElementsAre(Link{0, 1}, Link{0, 2}, Link{1, 0}));
}

TEST_F(HandModelTest, ThresholdEqualToAPosteriorIncludesIt) {
  Model1 model(table_, false, TranslationPrior());
  std::vector<double> posteriors;
  model.Posteriors(Pair(), &posteriors);
  // Exactly the computed posterior of (e2, f1): ">=", so it is in.
  DecodeOptions options;
  options.posterior_threshold = posteriors[0 * 4 + 2];
  DecodedPair out;
  DecodePair(model, Pair(), options, &out);
  EXPECT_THAT(out.links, ElementsAre(Link{1, 0}, Link{2, 0}, Link{0, 1}));
  // Just above it: out.
  options.posterior_threshold = std::nextafter(posteriors[2], 1.0);
  DecodePair(model, Pair(), options, &out);
  EXPECT_THAT(out.links, ElementsAre(Link{2, 0}, Link{0, 1}));
}

TEST_F(HandModelTest, NullAlignedWordsGetNoLink) {
  // With NULL: p(f1 | NULL) = 0.9 is the largest joint, so f1 is unaligned.
  Model1 model(table_, /*use_null=*/true, TranslationPrior());
  DecodedPair out;
  DecodePair(model, Pair(), DecodeOptions(), &out);
  EXPECT_THAT(out.alignment, ElementsAre(0, 1));
  EXPECT_THAT(out.links, ElementsAre(Link{0, 1}));

  // Posterior decoding never links NULL either. Posteriors of f1: NULL
  // 0.9/1.9, e1 0.125/1.9, e2 0.25/1.9, e3 0.625/1.9.
  DecodeOptions options;
  options.posterior_threshold = 0.3;
  DecodePair(model, Pair(), options, &out);
  EXPECT_THAT(out.links, ElementsAre(Link{2, 0}, Link{0, 1}));
}

TEST_F(HandModelTest, EmptyPairsGiveNoLinks) {
  Model1 model(table_, true, TranslationPrior());
  const std::vector<WordId> none;
  for (const SentencePair& pair :
       {SentencePair{absl::MakeConstSpan(none), absl::MakeConstSpan(target_)},
        SentencePair{absl::MakeConstSpan(source_), absl::MakeConstSpan(none)},
        SentencePair{absl::MakeConstSpan(none), absl::MakeConstSpan(none)}}) {
    for (double threshold : {-1.0, 0.0, 0.5}) {
      DecodeOptions options;
      options.posterior_threshold = threshold;
      options.link_posteriors = true;
      DecodedPair out;
      out.links = {{7, 7}};  // stale content from a previous pair is cleared
      out.alignment = {1};
      out.link_posteriors = {0.5};
      out.log_prob = -3;
      DecodePair(model, pair, options, &out);
      EXPECT_THAT(out.links, IsEmpty());
      EXPECT_THAT(out.alignment, IsEmpty());
      EXPECT_THAT(out.link_posteriors, IsEmpty());
      EXPECT_EQ(out.log_prob, 0);
    }
  }
}

TEST_F(HandModelTest, UnknownWordsStillDecode) {
  // Word ids the table has never seen fall back to a small probability.
  Model1 model(table_, true, TranslationPrior());
  const std::vector<WordId> source = {1, 99}, target = {2, 77};
  DecodedPair out;
  DecodePair(model, {absl::MakeConstSpan(source), absl::MakeConstSpan(target)}, DecodeOptions(),
             &out);
  ASSERT_EQ(out.alignment.size(), 2u);
  EXPECT_EQ(out.alignment[0], 1u);  // f2 -> e1 (0.75)
  EXPECT_TRUE(std::isfinite(out.log_prob));
}

TEST(DecodeCorpusTest, StreamsEveryPairInOrderAcrossBlocks) {
  // More pairs than one decoding block, every third one empty.
  ParallelCorpus corpus;
  const WordId a = corpus.mutable_source_vocabulary().Intern("a");
  const WordId b = corpus.mutable_source_vocabulary().Intern("b");
  const WordId x = corpus.mutable_target_vocabulary().Intern("x");
  const WordId y = corpus.mutable_target_vocabulary().Intern("y");
  constexpr size_t kPairs = 40000;
  for (size_t k = 0; k < kPairs; ++k) {
    if (k % 3 == 2) {
      corpus.mutable_source_text().AddSentence({});
      corpus.mutable_target_text().AddSentence({});
    } else if (k % 3 == 0) {
      const WordId s[] = {a, b}, t[] = {x, y};
      corpus.mutable_source_text().AddSentence(s);
      corpus.mutable_target_text().AddSentence(t);
    } else {
      const WordId s[] = {b, a}, t[] = {y, x};
      corpus.mutable_source_text().AddSentence(s);
      corpus.mutable_target_text().AddSentence(t);
    }
  }
  TrainingOptions training;
  training.model = "model1";
  training.iterations = 3;
  EmTrainer trainer(corpus, 2);
  auto model = TrainModel(corpus, training, &trainer, [](const IterationReport&) {});
  ASSERT_TRUE(model.ok()) << model.status();

  size_t next = 0;
  size_t out_of_order = 0, wrong = 0;
  trainer.Run([&] {
    DecodeCorpus(**model, corpus, DecodeOptions(), [&](size_t k, const DecodedPair& pair) {
      if (k != next) ++out_of_order;
      next = k + 1;
      DecodedPair single;
      DecodePair(**model, corpus.pair(k), DecodeOptions(), &single);
      if (pair.links != single.links) ++wrong;
      if (k % 3 == 2 && !pair.links.empty()) ++wrong;
    });
  });
  EXPECT_EQ(next, kPairs);
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(wrong, 0u);
}

TEST(DecodeCorpusTest, EmptyCorpusCallsNothing) {
  ParallelCorpus corpus;
  auto table = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(corpus));
  Model1 model(table, true, TranslationPrior());
  int calls = 0;
  DecodeCorpus(model, corpus, DecodeOptions(), [&](size_t, const DecodedPair&) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(DecodeReverseTest, ReverseDirectionOnRealDataIsSourceTargetOriented) {
  // Train the reverse direction as the CLI does (swap, train, decode with
  // reverse) and check every link against the original orientation.
  CorpusReport report;
  auto read = ReadParallelFiles(std::string(ALIGNER_TEST_DATA_DIR) + "/trial.fr",
                                std::string(ALIGNER_TEST_DATA_DIR) + "/trial.en",
                                CorpusReadOptions(), &report);
  ASSERT_TRUE(read.ok()) << read.status();
  ParallelCorpus corpus = std::move(*read);
  std::vector<size_t> source_len, target_len;
  for (size_t k = 0; k < corpus.size(); ++k) {
    source_len.push_back(corpus.pair(k).source.size());
    target_len.push_back(corpus.pair(k).target.size());
  }
  corpus.SwapSides();
  TrainingOptions training;
  training.model = "diagonal";
  training.model1_iterations = 2;
  training.iterations = 2;
  auto model = TrainQuietly(corpus, training, 1);
  ASSERT_TRUE(model.ok()) << model.status();
  DecodeOptions options;
  options.reverse = true;
  size_t links = 0;
  DecodeCorpus(**model, corpus, options, [&](size_t k, const DecodedPair& pair) {
    std::set<uint32_t> sources;
    for (const Link& link : pair.links) {
      EXPECT_LT(link.source, source_len[k]) << "pair " << k;
      EXPECT_LT(link.target, target_len[k]) << "pair " << k;
      // Reverse direction: each (original) source word has at most one link.
      EXPECT_TRUE(sources.insert(link.source).second) << "pair " << k;
    }
    // Ordered by the model's target side, i.e. the original source side.
    for (size_t n = 1; n < pair.links.size(); ++n) {
      EXPECT_LT(pair.links[n - 1].source, pair.links[n].source);
    }
    links += pair.links.size();
  });
  EXPECT_GT(links, 100u);
}

// Decoding that needs both the links and the posteriors (link posteriors,
// decoding by agreement) takes them from one lookup: it must give exactly
// what the two separate calls give.
TEST(ViterbiAndPosteriorsTest, EqualsViterbiAlignAndPosteriorsForEveryModel) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 300);
  for (const char* kind : {"model1", "model2", "diagonal", "hmm"}) {
    SCOPED_TRACE(std::string(kind));
    TrainingOptions training;
    training.model = kind;
    training.model1_iterations = 1;
    training.iterations = 2;
    auto model = TrainQuietly(corpus, training, 1);
    ASSERT_TRUE(model.ok()) << model.status();
    std::vector<uint32_t> alignment, expected_alignment;
    std::vector<double> posteriors, expected_posteriors;
    for (size_t k = 0; k < corpus.size(); ++k) {
      const double log_prob =
          (*model)->ViterbiAndPosteriors(corpus.pair(k), &alignment, &posteriors);
      (*model)->Posteriors(corpus.pair(k), &expected_posteriors);
      EXPECT_EQ(log_prob, (*model)->ViterbiAlign(corpus.pair(k), &expected_alignment)) << k;
      ASSERT_EQ(alignment, expected_alignment) << k;
      ASSERT_EQ(posteriors, expected_posteriors) << k;
    }
  }
}

}  // namespace
}  // namespace aligner
