// Tests for the HMM alignment model: forward-backward checked by hand and
// against enumeration of every alignment, Viterbi against brute force,
// scaling on long sentences, the jump M-step, and EM on the Hansards slice
// (the likelihood never decreases; threads do not change the result).
#include "aligner/model/hmm_model.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/expected_counts.h"
#include "aligner/model/translation_table.h"
#include "aligner/train/em_trainer.h"
#include "aligner/train/training.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

// A table where every source word (NULL included) co-occurs with every target
// word 1..num_target-1, with probabilities drawn from [low, high] (not
// normalized: the model only multiplies them).
std::shared_ptr<TranslationTable> RandomTable(uint32_t num_source, uint32_t num_target, double low,
                                              double high, std::mt19937* rng) {
  std::vector<std::vector<WordId>> rows(num_source);
  for (auto& row : rows) {
    for (WordId f = 1; f < num_target; ++f) row.push_back(f);
  }
  auto table = std::make_shared<TranslationTable>(TranslationTable::FromRows(rows));
  std::uniform_real_distribution<double> uniform(low, high);
  for (float& p : table->mutable_probs()) p = static_cast<float>(uniform(*rng));
  return table;
}

std::vector<WordId> RandomSentence(uint32_t length, uint32_t vocabulary, std::mt19937* rng) {
  std::uniform_int_distribution<WordId> word(1, vocabulary - 1);
  std::vector<WordId> sentence(length);
  for (WordId& w : sentence) w = word(*rng);
  return sentence;
}

std::vector<double> RandomWeights(size_t n, std::mt19937* rng) {
  std::uniform_real_distribution<double> uniform(0.05, 1.0);
  std::vector<double> w(n);
  for (double& x : w) x = uniform(*rng);
  return w;
}

SentencePair Pair(const std::vector<WordId>& source, const std::vector<WordId>& target) {
  return {absl::MakeConstSpan(source), absl::MakeConstSpan(target)};
}

HmmOptions Options(double p0, int max_jump, double smoothing, double tension = 0,
                   bool end_jump = true) {
  HmmOptions options;
  options.diagonal_tension = tension;
  options.end_jump = end_jump;
  options.null_probability = p0;
  options.max_jump = max_jump;
  options.jump_smoothing = smoothing;
  return options;
}

// p(target, alignment | source) straight from the model's definition: the
// chain starts remembering position 0; NULL (a_j = 0) costs p0 and keeps the
// remembered position, a word i costs the transition from it; then the jump
// to the end.
double JointProbability(const HmmModel& model, const SentencePair& pair,
                        const std::vector<uint32_t>& alignment) {
  const uint32_t l = pair.source.size(), m = pair.target.size();
  std::vector<double> transitions, end;
  model.EndProbabilities(l, &end);
  const TranslationTable& table = model.translation_table();
  double p = 1;
  uint32_t remembered = 0;
  for (size_t j = 0; j < alignment.size(); ++j) {
    const uint32_t i = alignment[j];
    if (i == 0) {
      p *= model.null_probability() *
           table.ProbOr(kNullWord, pair.target[j], kUnknownTranslationProb);
    } else {
      model.TransitionMatrix(l, m, j, &transitions);
      p *= transitions[static_cast<size_t>(remembered) * l + i - 1] *
           table.ProbOr(pair.source[i - 1], pair.target[j], kUnknownTranslationProb);
      remembered = i;
    }
  }
  return p * end[remembered];
}

// Calls visit(alignment) for all (l + 1)^m alignments.
template <typename Visit>
void ForEachAlignment(uint32_t l, uint32_t m, Visit visit) {
  std::vector<uint32_t> a(m, 0);
  while (true) {
    visit(a);
    size_t j = 0;
    while (j < m && a[j] == l) a[j++] = 0;
    if (j == m) return;
    ++a[j];
  }
}

// The hand computation below: l = 2, m = 2, p0 = 0.2, no smoothing, no
// diagonal, no end jump, max_jump = 2. Jump weights (d = -2..2) 1 1 1 3 1 and start weights
// (first position 1, >= 2) 3 1 give
//   from the start (r = 0): T(0,1) = 0.8 * 3/4 = 0.6, T(0,2) = 0.2
//   from r = 1 (d = 0, 1):  T(1,1) = 0.8 * 1/4 = 0.2, T(1,2) = 0.6
//   from r = 2 (d = -1, 0): T(2,1) = 0.8 * 1/2 = 0.4, T(2,2) = 0.4
// Translation probabilities (dyadic, exact in float):
//   t(f1|e1) = 1/2, t(f1|e2) = 1/8, t(f1|NULL) = 1/8
//   t(f2|e1) = 1/4, t(f2|e2) = 1/2, t(f2|NULL) = 1/8
// First word: a1 = 0: 0.2 * 1/8 = 0.025, a1 = 1: 0.6 * 1/2 = 0.3,
// a1 = 2: 0.2 * 1/8 = 0.025. Second word given the remembered position:
//   r = 0: a2 = 0: 0.025, a2 = 1: 0.6 * 1/4 = 0.15, a2 = 2: 0.2 * 1/2 = 0.1
//   r = 1: a2 = 0: 0.025, a2 = 1: 0.2 * 1/4 = 0.05, a2 = 2: 0.6 * 1/2 = 0.3
//   r = 2: a2 = 0: 0.025, a2 = 1: 0.4 * 1/4 = 0.1,  a2 = 2: 0.4 * 1/2 = 0.2
// Joint p(f, a1 a2): 00 .000625  01 .00375  02 .0025
//                    10 .0075    11 .015    12 .09
//                    20 .000625  21 .0025   22 .005      total p(f|e) = .1275
class HandComputedHmmTest : public ::testing::Test {
 protected:
  HandComputedHmmTest() {
    // Source words e1 = 1, e2 = 2; target words f1 = 1, f2 = 2.
    table_ =
        std::make_shared<TranslationTable>(TranslationTable::FromRows({{1, 2}, {1, 2}, {1, 2}}));
    Set(kNullWord, 1, 0.125);
    Set(kNullWord, 2, 0.125);
    Set(1, 1, 0.5);
    Set(1, 2, 0.25);
    Set(2, 1, 0.125);
    Set(2, 2, 0.5);
    model_ = std::make_unique<HmmModel>(table_, true, TranslationPrior(),
                                        Options(0.2, 2, 0.0, /*tension=*/0, /*end_jump=*/false),
                                        /*max_source_length=*/2);
    model_->set_jump_weights({1, 1, 1, 3, 1, 3, 1});
  }
  void Set(WordId e, WordId f, float p) { table_->mutable_probs()[table_->Find(e, f)] = p; }

  std::vector<WordId> source_{1, 2}, target_{1, 2};
  std::shared_ptr<TranslationTable> table_;
  std::unique_ptr<HmmModel> model_;
};

TEST_F(HandComputedHmmTest, TransitionMatrix) {
  const std::vector<double> expected = {0.6, 0.2, 0.2, 0.6, 0.4, 0.4};
  for (uint32_t j = 0; j < 2; ++j) {
    std::vector<double> t;
    model_->TransitionMatrix(2, 2, j, &t);
    ASSERT_EQ(t.size(), expected.size());
    for (size_t k = 0; k < t.size(); ++k) EXPECT_NEAR(t[k], expected[k], 1e-12) << k;
  }
}

TEST_F(HandComputedHmmTest, PosteriorsAndLikelihood) {
  std::vector<double> posteriors;
  const double log_likelihood = model_->Posteriors(Pair(source_, target_), &posteriors);
  EXPECT_NEAR(log_likelihood, std::log(0.1275), 1e-12);
  const double z = 0.1275;
  // Layout [j * 3 + i].
  const std::vector<double> expected = {
      (0.000625 + 0.00375 + 0.0025) / z, (0.0075 + 0.015 + 0.09) / z,
      (0.000625 + 0.0025 + 0.005) / z,   (0.000625 + 0.0075 + 0.000625) / z,
      (0.00375 + 0.015 + 0.0025) / z,    (0.0025 + 0.09 + 0.005) / z};
  ASSERT_EQ(posteriors.size(), expected.size());
  for (size_t k = 0; k < expected.size(); ++k) EXPECT_NEAR(posteriors[k], expected[k], 1e-12) << k;
}

TEST_F(HandComputedHmmTest, Viterbi) {
  std::vector<uint32_t> alignment;
  const double log_prob = model_->ViterbiAlign(Pair(source_, target_), &alignment);
  EXPECT_EQ(alignment, (std::vector<uint32_t>{1, 2}));
  EXPECT_NEAR(log_prob, std::log(0.09), 1e-12);
}

TEST_F(HandComputedHmmTest, ExpectedCounts) {
  ExpectedCounts counts;
  model_->InitCounts(&counts);
  model_->AddExpectedCounts(Pair(source_, target_), &counts);
  const double z = 0.1275;
  constexpr double kTol = 1e-9;  // fixed point resolution is 2^-32
  EXPECT_NEAR(counts.log_likelihood(), std::log(z), 1e-5);
  EXPECT_EQ(counts.pairs, 1);
  EXPECT_EQ(counts.target_tokens, 2);
  auto t = [&](WordId e, WordId f) { return counts.translation().Get(table_->Find(e, f)); };
  EXPECT_NEAR(t(1, 1), 0.1125 / z, kTol);
  EXPECT_NEAR(t(2, 1), 0.008125 / z, kTol);
  EXPECT_NEAR(t(kNullWord, 1), 0.006875 / z, kTol);
  EXPECT_NEAR(t(1, 2), 0.02125 / z, kTol);
  EXPECT_NEAR(t(2, 2), 0.0975 / z, kTol);
  EXPECT_NEAR(t(kNullWord, 2), 0.00875 / z, kTol);
  // Jumps out of the start row r = 0: the first word, and the second word
  // after a NULL first word.
  auto a = [&](size_t k) { return counts.alignment.Get(k); };
  EXPECT_NEAR(a(model_->Bucket(0, 1)), (0.1125 + 0.00375) / z, kTol);
  EXPECT_NEAR(a(model_->Bucket(0, 2)), (0.008125 + 0.0025) / z, kTol);
  EXPECT_NEAR(a(model_->Bucket(1, 1)), (0.015 + 0.005) / z, kTol);  // d = 0
  EXPECT_NEAR(a(model_->Bucket(1, 2)), 0.09 / z, kTol);             // d = +1
  EXPECT_NEAR(a(model_->Bucket(2, 1)), 0.0025 / z, kTol);           // d = -1
  // D_b = sum over origins r of M(r) / Z(r) times the positions of b in
  // reach. Jumps out of r = 0: M = (.1125 + .008125 + .00625) / z with
  // Z = 3/4 + 1/4 = 1; r = 1: M = (.015 + .09) / z, Z = (1 + 3) / 7;
  // r = 2: M = (.0025 + .005) / z, Z = (1 + 1) / 7.
  auto d = [&](uint32_t r, uint32_t i) {
    return counts.alignment.Get(model_->JumpDenominatorIndex(model_->Bucket(r, i)));
  };
  const double from0 = 0.126875 / z, from1 = 0.105 / z * 7 / 4, from2 = 0.0075 / z * 7 / 2;
  EXPECT_NEAR(d(0, 1), from0, kTol);
  EXPECT_NEAR(d(0, 2), from0, kTol);
  EXPECT_NEAR(d(1, 1), from1 + from2, kTol);  // d = 0
  EXPECT_NEAR(d(1, 2), from1, kTol);          // d = +1
  EXPECT_NEAR(d(2, 1), from2, kTol);          // d = -1
  EXPECT_EQ(counts.alignment.Get(model_->JumpDenominatorIndex(model_->Bucket(3, 1))), 0);

  // The M-step: w_b = N_b / D_b, up to normalization.
  model_->Maximize(counts);
  const std::vector<double>& w = model_->jump_weights();
  const double w0 = 0.02 / (from1 + from2) * z, w1 = 0.09 / from1 * z, wm1 = 0.0025 / from2 * z;
  EXPECT_NEAR(w[model_->Bucket(1, 2)] / w[model_->Bucket(1, 1)], w1 / w0, 1e-6);
  EXPECT_NEAR(w[model_->Bucket(2, 1)] / w[model_->Bucket(1, 1)], wm1 / w0, 1e-6);
  EXPECT_NEAR(w[model_->Bucket(0, 1)] / w[model_->Bucket(0, 2)], 0.11625 / 0.010625, 1e-6);
}

// The transition matrix against the formula in the header, with the buckets
// and the diagonal factor worked out here independently.
TEST(HmmModelTest, TransitionMatrixFollowsTheDefinition) {
  std::mt19937 rng(7);
  auto table = RandomTable(3, 3, 0.1, 1.0, &rng);
  const int k = 3;
  const double p0 = 0.3, lambda = 0.1;
  for (double tau : {0.0, 4.0, 30.0}) {
    HmmModel model(table, true, TranslationPrior(), Options(p0, k, lambda, tau));
    model.set_jump_weights(RandomWeights(model.num_buckets(), &rng));
    const std::vector<double> w = model.jump_weights();
    auto weight = [&](uint32_t r, uint32_t i) {
      if (r == 0) return w[2 * k + 1 + std::min<int>(i, k) - 1];
      const int d = std::clamp(static_cast<int>(i) - static_cast<int>(r), -k, k);
      return w[d + k];
    };
    for (uint32_t l : {1u, 2u, 5u, 12u}) {
      for (uint32_t m : {1u, 3u, 7u}) {
        for (uint32_t j = 0; j < m; ++j) {
          auto g = [&](uint32_t i) {
            return std::exp(-tau * std::fabs(static_cast<double>(i) / l - (j + 1.0) / m));
          };
          std::vector<double> t;
          model.TransitionMatrix(l, m, j, &t);
          ASSERT_EQ(t.size(), static_cast<size_t>(l + 1) * l);
          for (uint32_t r = 0; r <= l; ++r) {
            double z = 0, row = 0;
            for (uint32_t i = 1; i <= l; ++i) z += weight(r, i) * g(i);
            for (uint32_t i = 1; i <= l; ++i) {
              const double expected =
                  (1 - p0) * ((1 - lambda) * weight(r, i) * g(i) / z + lambda / l);
              EXPECT_NEAR(t[r * l + i - 1], expected, 1e-13 * expected)
                  << tau << " " << l << " " << m << " " << j << " " << r << " " << i;
              row += t[r * l + i - 1];
            }
            EXPECT_NEAR(row, 1 - p0, 1e-12);
          }
        }
      }
      std::vector<double> end;
      model.EndProbabilities(l, &end);
      ASSERT_EQ(end.size(), l + 1);
      for (uint32_t r = 0; r <= l; ++r) {
        double z = 0;
        for (uint32_t i = 1; i <= l + 1; ++i) z += weight(r, i);
        EXPECT_NEAR(end[r], (1 - lambda) * weight(r, l + 1) / z + lambda / (l + 1), 1e-14);
      }
    }
  }
  HmmModel without(table, true, TranslationPrior(),
                   Options(p0, k, lambda, /*tension=*/0, /*end_jump=*/false));
  std::vector<double> end;
  without.EndProbabilities(4, &end);
  EXPECT_EQ(end, std::vector<double>(5, 1.0));
}

// Posteriors and likelihood against summing p(f, a | e) over every alignment,
// and Viterbi against the best of them, on small random pairs with random
// jump weights.
TEST(HmmModelTest, MatchesEnumerationOfAllAlignments) {
  std::mt19937 rng(12345);
  auto table = RandomTable(6, 6, 0.01, 1.0, &rng);
  for (int trial = 0; trial < 40; ++trial) {
    const bool use_null = trial % 5 != 4;
    HmmModel model(table, use_null, TranslationPrior(),
                   Options(0.05 + 0.1 * (trial % 4), 1 + trial % 3, trial % 2 ? 0.0 : 0.2,
                           /*tension=*/(trial / 2) % 3 * 3.0, /*end_jump=*/trial % 3 != 2));
    model.set_jump_weights(RandomWeights(model.num_buckets(), &rng));
    const uint32_t l = 1 + trial % 4, m = 1 + (trial / 4) % 5;
    const std::vector<WordId> source = RandomSentence(l, 6, &rng),
                              target = RandomSentence(m, 6, &rng);
    const SentencePair pair = Pair(source, target);

    std::vector<double> expected(static_cast<size_t>(l + 1) * m, 0.0);
    double total = 0, best = -1;
    std::vector<uint32_t> best_alignment;
    ForEachAlignment(l, m, [&](const std::vector<uint32_t>& a) {
      const double p = JointProbability(model, pair, a);
      total += p;
      for (uint32_t j = 0; j < m; ++j) expected[j * (l + 1) + a[j]] += p;
      if (p > best) {
        best = p;
        best_alignment = a;
      }
    });
    std::vector<double> posteriors;
    const double log_likelihood = model.Posteriors(pair, &posteriors);
    EXPECT_NEAR(log_likelihood, std::log(total), 1e-10) << trial;
    ASSERT_EQ(posteriors.size(), expected.size());
    for (size_t c = 0; c < expected.size(); ++c) {
      EXPECT_NEAR(posteriors[c], expected[c] / total, 1e-10) << trial << " cell " << c;
    }
    std::vector<uint32_t> alignment;
    const double log_prob = model.ViterbiAlign(pair, &alignment);
    EXPECT_NEAR(log_prob, std::log(best), 1e-10) << trial;
    EXPECT_EQ(alignment, best_alignment) << trial;
    EXPECT_NEAR(std::log(JointProbability(model, pair, alignment)), log_prob, 1e-10) << trial;
    if (!use_null) {
      for (uint32_t j = 0; j < m; ++j) EXPECT_EQ(posteriors[j * (l + 1)], 0.0);
      for (uint32_t i : alignment) EXPECT_GT(i, 0u);
    }
  }
}

// Jump tables are cached per thread by lengths and weights: new weights must
// take effect at once, on the same model and the same lengths.
TEST(HmmModelTest, NewJumpWeightsTakeEffectAtOnce) {
  std::mt19937 rng(7);
  auto table = RandomTable(6, 6, 0.01, 1.0, &rng);
  const std::vector<WordId> source = RandomSentence(4, 6, &rng),
                            target = RandomSentence(5, 6, &rng);
  HmmModel model(table, true, TranslationPrior(), Options(0.2, 3, 0.2, 4.0));
  std::vector<double> before, after, fresh;
  std::vector<uint32_t> alignment;
  model.Posteriors(Pair(source, target), &before);
  model.ViterbiAlign(Pair(source, target), &alignment);
  const std::vector<double> weights = RandomWeights(model.num_buckets(), &rng);
  model.set_jump_weights(weights);
  model.Posteriors(Pair(source, target), &after);
  HmmModel other(table, true, TranslationPrior(), Options(0.2, 3, 0.2, 4.0));
  other.set_jump_weights(weights);
  other.Posteriors(Pair(source, target), &fresh);
  EXPECT_NE(after, before);
  EXPECT_EQ(after, fresh);
}

// Viterbi against brute force on longer pairs, where enumeration is still
// cheap enough (up to 7^6 alignments).
TEST(HmmModelTest, ViterbiEqualsBruteForce) {
  std::mt19937 rng(99);
  auto table = RandomTable(9, 9, 0.001, 1.0, &rng);
  for (int trial = 0; trial < 30; ++trial) {
    HmmModel model(table, true, TranslationPrior(),
                   Options(0.15, 2 + trial % 4, 0.05, /*tension=*/trial % 2 ? 4.0 : 0.0));
    model.set_jump_weights(RandomWeights(model.num_buckets(), &rng));
    const uint32_t l = 3 + trial % 4, m = 3 + (trial / 4) % 4;
    const std::vector<WordId> source = RandomSentence(l, 9, &rng),
                              target = RandomSentence(m, 9, &rng);
    const SentencePair pair = Pair(source, target);
    double best = -1;
    std::vector<uint32_t> best_alignment;
    ForEachAlignment(l, m, [&](const std::vector<uint32_t>& a) {
      const double p = JointProbability(model, pair, a);
      if (p > best) {
        best = p;
        best_alignment = a;
      }
    });
    std::vector<uint32_t> alignment;
    const double log_prob = model.ViterbiAlign(pair, &alignment);
    EXPECT_EQ(alignment, best_alignment) << trial;
    EXPECT_NEAR(log_prob, std::log(best), 1e-9) << trial;
  }
}

// The expected jump statistics N_b and D_b of the E-step against their
// definitions, summing over every alignment: each transition r -> i into
// position j is drawn from the weighted component with probability
// a w g_j(i) / Z_j(r) / T_j(r, i), and so is the jump to the end with
// (1 - lambda) w / Z_end(r) / E(r).
TEST(HmmModelTest, JumpCountsMatchEnumeration) {
  std::mt19937 rng(2024);
  auto table = RandomTable(6, 6, 0.01, 1.0, &rng);
  for (int trial = 0; trial < 36; ++trial) {
    const double p0 = 0.2, lambda = trial % 4 < 2 ? 0.1 : 0.0, tau = trial % 3 * 3.0;
    const bool end_jump = trial % 2 == 0;
    HmmModel model(table, true, TranslationPrior(),
                   Options(p0, 1 + trial % 3, lambda, tau, end_jump));
    model.set_jump_weights(RandomWeights(model.num_buckets(), &rng));
    const std::vector<double>& w = model.jump_weights();
    const uint32_t l = 1 + trial % 4, m = 1 + (trial / 4) % 4;
    const std::vector<WordId> source = RandomSentence(l, 6, &rng),
                              target = RandomSentence(m, 6, &rng);
    const SentencePair pair = Pair(source, target);
    auto weight = [&](uint32_t r, uint32_t i) { return w[model.Bucket(r, i)]; };
    auto g = [&](uint32_t j, uint32_t i) {
      return std::exp(-tau * std::fabs(static_cast<double>(i) / l - (j + 1.0) / m));
    };
    auto z = [&](uint32_t j, uint32_t r) {
      double sum = 0;
      for (uint32_t i = 1; i <= l; ++i) sum += weight(r, i) * g(j, i);
      return sum;
    };
    auto z_end = [&](uint32_t r) {
      double sum = 0;
      for (uint32_t i = 1; i <= l + 1; ++i) sum += weight(r, i);
      return sum;
    };
    const double a = (1 - p0) * (1 - lambda);
    std::vector<double> n(model.num_buckets(), 0.0), d(model.num_buckets(), 0.0);
    std::vector<double> from(static_cast<size_t>(m) * (l + 1), 0.0), from_end(l + 1, 0.0);
    std::vector<double> transitions, end;
    model.EndProbabilities(l, &end);
    double total = 0;
    ForEachAlignment(l, m, [&](const std::vector<uint32_t>& alignment) {
      const double p = JointProbability(model, pair, alignment);
      total += p;
      uint32_t r = 0;
      for (uint32_t j = 0; j < m; ++j) {
        const uint32_t i = alignment[j];
        if (i == 0) continue;
        model.TransitionMatrix(l, m, j, &transitions);
        const double weighted = a * weight(r, i) * g(j, i) / z(j, r);
        const double share = p * weighted / transitions[r * l + i - 1];
        n[model.Bucket(r, i)] += share;
        from[j * (l + 1) + r] += share;
        r = i;
      }
      if (end_jump) {
        const double share = p * (1 - lambda) * weight(r, l + 1) / z_end(r) / end[r];
        n[model.Bucket(r, l + 1)] += share;
        from_end[r] += share;
      }
    });
    for (uint32_t r = 0; r <= l; ++r) {
      for (uint32_t j = 0; j < m; ++j) {
        for (uint32_t i = 1; i <= l; ++i) {
          d[model.Bucket(r, i)] += from[j * (l + 1) + r] / z(j, r) * g(j, i);
        }
      }
      for (uint32_t i = 1; i <= l + 1; ++i) d[model.Bucket(r, i)] += from_end[r] / z_end(r);
    }
    ExpectedCounts counts;
    model.InitCounts(&counts);
    model.AddExpectedCounts(pair, &counts);
    for (size_t b = 0; b < model.num_buckets(); ++b) {
      EXPECT_NEAR(counts.alignment.Get(model.JumpCountIndex(b)), n[b] / total, 1e-8)
          << trial << " bucket " << b;
      EXPECT_NEAR(counts.alignment.Get(model.JumpDenominatorIndex(b)), d[b] / total,
                  1e-8 * std::max(1.0, d[b] / total))
          << trial << " bucket " << b;
    }
  }
}

// log p(f | e) by the forward algorithm in log space, the slow obvious way.
double LogSpaceForward(const HmmModel& model, const SentencePair& pair) {
  const uint32_t l = pair.source.size(), m = pair.target.size();
  std::vector<double> t, end;
  model.EndProbabilities(l, &end);
  const TranslationTable& table = model.translation_table();
  const double log_p0 = std::log(model.null_probability());
  auto log_add = [](double a, double b) {
    if (a == -INFINITY) return b;
    if (b == -INFINITY) return a;
    const double hi = std::max(a, b);
    return hi + std::log1p(std::exp(std::min(a, b) - hi));
  };
  // State r <= l: R_r (r >= 1); state l + 1 + r: N_r.
  std::vector<double> alpha(2 * l + 2, -INFINITY), next(alpha.size());
  alpha[l + 1] = 0;  // a virtual N_0 before the first word
  for (uint32_t j = 0; j < m; ++j) {
    model.TransitionMatrix(l, m, j, &t);
    std::fill(next.begin(), next.end(), -INFINITY);
    const double log_null = std::log(double{table.ProbOr(kNullWord, pair.target[j], 1e-7f)});
    for (uint32_t r = 0; r <= l; ++r) {
      const double from = r == 0 ? alpha[l + 1] : log_add(alpha[r], alpha[l + 1 + r]);
      if (from == -INFINITY) continue;
      next[l + 1 + r] = log_add(next[l + 1 + r], from + log_p0 + log_null);
      for (uint32_t i = 1; i <= l; ++i) {
        const double log_e =
            std::log(double{table.ProbOr(pair.source[i - 1], pair.target[j], 1e-7f)});
        next[i] = log_add(next[i], from + std::log(t[r * l + i - 1]) + log_e);
      }
    }
    alpha.swap(next);
  }
  double total = -INFINITY;
  for (uint32_t r = 1; r <= l; ++r) total = log_add(total, alpha[r] + std::log(end[r]));
  for (uint32_t r = 0; r <= l; ++r) total = log_add(total, alpha[l + 1 + r] + std::log(end[r]));
  return total;
}

// Probabilities this small underflow any unscaled product after ~40 words.
TEST(HmmModelTest, ScalingMatchesLogSpaceForward) {
  std::mt19937 rng(3);
  auto table = RandomTable(50, 50, 1e-9, 1e-7, &rng);
  HmmModel model(table, true, TranslationPrior(), Options(0.2, 5, 0.01, 4.0));
  model.set_jump_weights(RandomWeights(model.num_buckets(), &rng));
  const std::vector<WordId> source = RandomSentence(60, 50, &rng),
                            target = RandomSentence(70, 50, &rng);
  const SentencePair pair = Pair(source, target);
  std::vector<double> posteriors;
  const double log_likelihood = model.Posteriors(pair, &posteriors);
  const double expected = LogSpaceForward(model, pair);
  ASSERT_LT(expected, -1000);  // far below the smallest double
  EXPECT_NEAR(log_likelihood, expected, 1e-9 * std::fabs(expected));
}

TEST(HmmModelTest, LongSentencesStayFinite) {
  std::mt19937 rng(4);
  auto table = RandomTable(500, 500, 1e-9, 1e-3, &rng);
  HmmModel model(table, true, TranslationPrior(), Options(0.2, 10, 0.01, 4.0));
  model.set_jump_weights(RandomWeights(model.num_buckets(), &rng));
  const std::vector<WordId> source = RandomSentence(400, 500, &rng),
                            target = RandomSentence(400, 500, &rng);
  const SentencePair pair = Pair(source, target);
  std::vector<double> posteriors;
  const double log_likelihood = model.Posteriors(pair, &posteriors);
  EXPECT_TRUE(std::isfinite(log_likelihood));
  EXPECT_LT(log_likelihood, -1000);
  for (uint32_t j = 0; j < 400; ++j) {
    double sum = 0;
    for (uint32_t i = 0; i <= 400; ++i) {
      const double p = posteriors[j * 401 + i];
      ASSERT_TRUE(std::isfinite(p) && p >= 0) << j << " " << i;
      sum += p;
    }
    EXPECT_NEAR(sum, 1.0, 1e-9) << j;
  }
  std::vector<uint32_t> alignment;
  const double log_prob = model.ViterbiAlign(pair, &alignment);
  EXPECT_TRUE(std::isfinite(log_prob));
  EXPECT_LE(log_prob, log_likelihood + 1e-6);
  EXPECT_GT(log_prob, log_likelihood - 400 * std::log(401.0 * 2));

  ExpectedCounts counts;
  model.InitCounts(&counts);
  model.AddExpectedCounts(pair, &counts);
  EXPECT_NEAR(counts.log_likelihood(), log_likelihood, 1e-5);
  double jumps = 0;
  for (size_t b = 0; b < model.num_buckets(); ++b) {
    EXPECT_TRUE(std::isfinite(counts.alignment.Get(model.JumpDenominatorIndex(b))));
    jumps += counts.alignment.Get(model.JumpCountIndex(b));
  }
  // Jumps into real words (and the end): at most one per target word and
  // one more, less the NULL and smoothing parts.
  EXPECT_GT(jumps, 0);
  EXPECT_LE(jumps, 401 + 1e-6);
}

TrainingOptions HmmTraining(int model1_iterations, int iterations) {
  TrainingOptions options;
  options.model = "hmm";
  options.model1_iterations = model1_iterations;
  options.iterations = iterations;
  return options;
}

TEST(HmmTrainingTest, LogLikelihoodNeverDecreases) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 3000);
  ASSERT_EQ(corpus.size(), 3000u);
  EmTrainer trainer(corpus, 2);
  std::vector<double> hmm_log_likelihoods;
  auto model = TrainModel(corpus, HmmTraining(3, 8), &trainer, [&](const IterationReport& r) {
    if (r.model == "hmm") hmm_log_likelihoods.push_back(r.log_likelihood);
  });
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->name(), "hmm");
  ASSERT_EQ(hmm_log_likelihoods.size(), 8u);
  for (size_t k = 1; k < hmm_log_likelihoods.size(); ++k) {
    EXPECT_GE(hmm_log_likelihoods[k], hmm_log_likelihoods[k - 1]) << "iteration " << k + 1;
  }
  // The E-step of the trained model agrees with the last report's model
  // having been improved further.
  const ExpectedCounts& counts = trainer.ExpectationStep(**model);
  EXPECT_GE(counts.log_likelihood(), hmm_log_likelihoods.back());
  // Real text is nearly monotone: jumps of +1 are the most likely.
  const auto* hmm = dynamic_cast<const HmmModel*>(model->get());
  ASSERT_NE(hmm, nullptr);
  const std::vector<double>& w = hmm->jump_weights();
  const size_t plus_one = hmm->Bucket(1, 2);
  for (size_t b = 0; b < hmm->num_jump_buckets(); ++b) {
    if (b != plus_one) EXPECT_GT(w[plus_one], w[b]) << b;
  }
}

TEST(HmmTrainingTest, PosteriorsSumToOneOnRealText) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 500);
  auto model = TrainQuietly(corpus, HmmTraining(2, 2), 2);
  ASSERT_TRUE(model.ok()) << model.status();
  std::vector<double> posteriors;
  for (size_t k = 0; k < corpus.size(); ++k) {
    const SentencePair pair = corpus.pair(k);
    const uint32_t l = pair.source.size(), m = pair.target.size();
    (*model)->Posteriors(pair, &posteriors);
    ASSERT_EQ(posteriors.size(), static_cast<size_t>(l + 1) * m);
    for (uint32_t j = 0; j < m; ++j) {
      double sum = 0;
      for (uint32_t i = 0; i <= l; ++i) sum += posteriors[j * (l + 1) + i];
      EXPECT_NEAR(sum, 1.0, 1e-12) << "pair " << k << " word " << j;
    }
  }
}

TEST(HmmTrainingTest, SameResultWithOneOrTwoThreads) {
  const ParallelCorpus corpus = FirstPairs(Hansards(), 2000);
  std::vector<std::unique_ptr<AlignmentModel>> models;
  std::vector<std::vector<double>> log_likelihoods(2);
  for (int threads : {1, 2}) {
    EmTrainer trainer(corpus, threads);
    auto model = TrainModel(corpus, HmmTraining(2, 3), &trainer, [&](const IterationReport& r) {
      log_likelihoods[threads - 1].push_back(r.log_likelihood);
    });
    ASSERT_TRUE(model.ok()) << model.status();
    models.push_back(std::move(*model));
  }
  EXPECT_EQ(log_likelihoods[0], log_likelihoods[1]);
  const auto* one = dynamic_cast<const HmmModel*>(models[0].get());
  const auto* two = dynamic_cast<const HmmModel*>(models[1].get());
  ASSERT_TRUE(one != nullptr && two != nullptr);
  EXPECT_EQ(one->jump_weights(), two->jump_weights());
  const auto p1 = one->translation_table().probs(), p2 = two->translation_table().probs();
  ASSERT_EQ(p1.size(), p2.size());
  EXPECT_TRUE(std::equal(p1.begin(), p1.end(), p2.begin()));
}

// Word-for-word translations in the same order: the HMM learns to step +1
// and aligns the diagonal.
TEST(HmmTrainingTest, LearnsMonotoneAlignmentOnSyntheticText) {
  std::mt19937 rng(5);
  ParallelCorpus corpus;
  for (int w = 0; w < 30; ++w) {
    corpus.mutable_source_vocabulary().Intern("s" + std::to_string(w));
    corpus.mutable_target_vocabulary().Intern("t" + std::to_string(w));
  }
  for (int k = 0; k < 300; ++k) {
    const std::vector<WordId> sentence = RandomSentence(4 + k % 9, 31, &rng);
    corpus.mutable_source_text().AddSentence(sentence);
    corpus.mutable_target_text().AddSentence(sentence);
  }
  auto model = TrainQuietly(corpus, HmmTraining(3, 5), 2);
  ASSERT_TRUE(model.ok()) << model.status();
  const auto* hmm = dynamic_cast<const HmmModel*>(model->get());
  EXPECT_GT(hmm->jump_weights()[hmm->Bucket(1, 2)], 0.8);
  std::vector<uint32_t> alignment;
  for (size_t k = 0; k < 20; ++k) {
    const SentencePair pair = corpus.pair(k);
    hmm->ViterbiAlign(pair, &alignment);
    for (uint32_t j = 0; j < alignment.size(); ++j) EXPECT_EQ(alignment[j], j + 1) << k;
  }
}

TEST(HmmTrainingTest, Options) {
  TrainingOptions options = HmmTraining(-1, 5);
  EXPECT_TRUE(ValidateTrainingOptions(options).ok());
  options.hmm.null_probability = 1.0;
  EXPECT_FALSE(ValidateTrainingOptions(options).ok());
  options.hmm.null_probability = 0.2;
  options.hmm.max_jump = 0;
  EXPECT_FALSE(ValidateTrainingOptions(options).ok());
}

}  // namespace
}  // namespace aligner
