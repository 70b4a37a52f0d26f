#include "aligner/model/fertility_model.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace aligner {
namespace {

// n(phi | e) for phi = 0 .. 4.
std::vector<double> Probs(double p0, double p1, double p2, double p3, double p4) {
  return {p0, p1, p2, p3, p4};
}

TEST(FertilityModelTest, UntrainedLeavesPosteriorsAlone) {
  FertilityModel model(3);
  std::vector<double> p = {0.2, 0.5, 0.3, 0.6, 0.1, 0.3};
  const std::vector<double> original = p;
  const std::vector<WordId> source = {1, 2};
  model.Apply(source, 2, 2, p.data());
  EXPECT_EQ(p, original);
}

// One target word: the other links of the source word are none for sure,
// so its factor is n(1 | e) / n(0 | e) = 8 and the link's posterior
// 0.5 * 8 / (0.5 + 0.5 * 8) = 8 / 9, whatever the number of sweeps.
TEST(FertilityModelTest, OneTargetWordWorkedByHand) {
  FertilityModel model(2);
  model.set_probs(1, Probs(0.1, 0.8, 0.05, 0.03, 0.02));
  const std::vector<WordId> source = {1};
  for (int sweeps : {1, 3}) {
    std::vector<double> p = {0.5, 0.5};
    model.Apply(source, 1, sweeps, p.data());
    EXPECT_NEAR(p[1], 8.0 / 9.0, 1e-12);
    EXPECT_NEAR(p[0], 1.0 / 9.0, 1e-12);
  }
}

// Two target words, one source word with n(1) = 0.8, n(0) = n(2) = 0.1, and
// posteriors 0.5 each. A sweep gives column 1 the factor
// exp(0.5 log(0.8 / 0.1) + 0.5 log(0.1 / 0.8)) = 1 (the other link is on with
// probability 1/2): nothing moves. With the first column at 0.9, the second
// sees exp(0.1 log 8 - 0.9 log 8) = 8^-0.8.
TEST(FertilityModelTest, TwoTargetWordsWorkedByHand) {
  FertilityModel model(2);
  model.set_probs(1, Probs(0.1, 0.8, 0.1, 1e-6, 1e-6));
  const std::vector<WordId> source = {1};
  std::vector<double> p = {0.5, 0.5, 0.5, 0.5};
  model.Apply(source, 2, 1, p.data());
  for (double v : p) EXPECT_NEAR(v, 0.5, 1e-12);

  std::vector<double> q = {0.1, 0.9, 0.5, 0.5};
  std::vector<double> factors(4);
  model.LinkFactors(source, 2, q.data(), factors.data());
  EXPECT_EQ(factors[0], 1);
  EXPECT_EQ(factors[2], 1);
  EXPECT_NEAR(factors[3], std::pow(8.0, -0.8), 1e-12);
  // The first column's other link is on with probability 1/2: factor 1.
  EXPECT_NEAR(factors[1], 1.0, 1e-12);
}

// The fertility distribution of a source word with links of probability
// 0.5 and 0.5 is (1/4, 1/2, 1/4); with 0.5 and 1, (0, 1/2, 1/2).
TEST(FertilityModelTest, CountsArePoissonBinomial) {
  FertilityModel model(3);
  FixedPointArray counts;
  model.InitCounts(&counts);
  ASSERT_EQ(counts.size(), 3u * FertilityModel::kSlots);
  // l = 2 (words 1, 2), m = 2.
  const std::vector<double> p = {0.0, 0.5, 0.5, 0.0, 0.5, 0.5};
  const std::vector<WordId> source = {1, 2};
  model.AddCounts(source, 2, p.data(), &counts);
  const int s = FertilityModel::kSlots;
  EXPECT_NEAR(counts.Get(1 * s + 0), 0.25, 1e-9);
  EXPECT_NEAR(counts.Get(1 * s + 1), 0.5, 1e-9);
  EXPECT_NEAR(counts.Get(1 * s + 2), 0.25, 1e-9);
  EXPECT_NEAR(counts.Get(2 * s + 0), 0.25, 1e-9);
  const std::vector<double> r = {0.5, 0.5, 0.0, 0.0, 1.0, 0.0};
  model.InitCounts(&counts);
  model.AddCounts(source, 2, r.data(), &counts);
  EXPECT_NEAR(counts.Get(1 * s + 0), 0.0, 1e-9);
  EXPECT_NEAR(counts.Get(1 * s + 1), 0.5, 1e-9);
  EXPECT_NEAR(counts.Get(1 * s + 2), 0.5, 1e-9);
  EXPECT_NEAR(counts.Get(2 * s + 0), 1.0, 1e-9);
}

// Six or more links land in the last slot ("4 or more").
TEST(FertilityModelTest, HighFertilitiesShareTheLastSlot) {
  FertilityModel model(2);
  FixedPointArray counts;
  model.InitCounts(&counts);
  std::vector<double> p;
  for (int j = 0; j < 6; ++j) p.insert(p.end(), {0.0, 1.0});
  const std::vector<WordId> source = {1};
  model.AddCounts(source, 6, p.data(), &counts);
  EXPECT_NEAR(counts.Get(1 * FertilityModel::kSlots + FertilityModel::kMaxFertility), 1.0, 1e-9);
}

// Word 1: counts (1, 3, 0, 0, 0); word 2: (3, 1, 0, 0, 0); all together
// g = (1/2, 1/2, 0, 0, 0). With alpha = 2: n(. | 1) = (1 + 1, 3 + 1) / 6.
TEST(FertilityModelTest, MaximizeShrinksTowardAllWords) {
  FertilityModel model(3, 2.0);
  FixedPointArray counts;
  model.InitCounts(&counts);
  const int s = FertilityModel::kSlots;
  counts.Add(1 * s + 0, 1);
  counts.Add(1 * s + 1, 3);
  counts.Add(2 * s + 0, 3);
  counts.Add(2 * s + 1, 1);
  model.Maximize(counts);
  ASSERT_TRUE(model.trained());
  EXPECT_NEAR(std::exp(model.log_probs(1)[0]), 2.0 / 6, 1e-12);
  EXPECT_NEAR(std::exp(model.log_probs(1)[1]), 4.0 / 6, 1e-12);
  EXPECT_NEAR(std::exp(model.log_probs(2)[0]), 4.0 / 6, 1e-12);
  EXPECT_NEAR(std::exp(model.log_probs(1)[2]), 1e-6, 1e-15);  // the floor
  // A word never seen gets the distribution of all words.
  EXPECT_NEAR(std::exp(model.log_probs(0)[0]), 0.5, 1e-12);
}

// Reweighted columns stay distributions (random posteriors, three sweeps).
TEST(FertilityModelTest, ColumnsStayDistributions) {
  FertilityModel model(4);
  for (WordId e = 1; e < 4; ++e) model.set_probs(e, Probs(0.2, 0.7, 0.07, 0.02, 0.01));
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> uniform(0.01, 1.0);
  const std::vector<WordId> source = {1, 2, 3};
  const uint32_t m = 7;
  std::vector<double> p(4 * m);
  for (uint32_t j = 0; j < m; ++j) {
    double sum = 0;
    for (int i = 0; i < 4; ++i) sum += p[j * 4 + i] = uniform(rng);
    for (int i = 0; i < 4; ++i) p[j * 4 + i] /= sum;
  }
  model.Apply(source, m, 3, p.data());
  for (uint32_t j = 0; j < m; ++j) {
    double sum = 0;
    for (int i = 0; i < 4; ++i) {
      EXPECT_GE(p[j * 4 + i], 0);
      sum += p[j * 4 + i];
    }
    EXPECT_NEAR(sum, 1, 1e-12);
  }
}

// The M-step is the MAP estimate under each word's Dirichlet(alpha g) prior:
// it maximizes sum_{e, phi} (c(e, phi) + alpha g(phi)) log n(phi | e) over
// distributions, so no other distribution scores higher (the property that
// makes the fertility M-step an EM step for fixed posteriors). Random counts,
// random perturbations of every word's distribution.
TEST(FertilityModelTest, MaximizeIsTheMapEstimate) {
  constexpr int s = FertilityModel::kSlots;
  const double alpha = 1.5;
  FertilityModel model(4, alpha);
  FixedPointArray counts;
  model.InitCounts(&counts);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> uniform(0.0, 3.0);
  for (size_t k = s; k < 4 * s; ++k) counts.Add(k, uniform(rng));
  model.Maximize(counts);
  double g[s] = {}, total = 0;
  for (size_t k = 0; k < 4 * s; ++k) g[k % s] += counts.Get(k), total += counts.Get(k);
  for (double& x : g) x /= total;
  auto objective = [&](WordId e, const double* n) {
    double sum = 0;
    for (int phi = 0; phi < s; ++phi) {
      sum += (counts.Get(e * s + phi) + alpha * g[phi]) * std::log(n[phi]);
    }
    return sum;
  };
  for (WordId e = 1; e < 4; ++e) {
    double best[s];
    for (int phi = 0; phi < s; ++phi) best[phi] = std::exp(model.log_probs(e)[phi]);
    const double at_best = objective(e, best);
    for (int trial = 0; trial < 200; ++trial) {
      double other[s], sum = 0;
      for (int phi = 0; phi < s; ++phi) {
        sum += other[phi] = best[phi] * std::exp(0.3 * (uniform(rng) - 1.5));
      }
      for (double& x : other) x /= sum;
      EXPECT_LE(objective(e, other), at_best + 1e-12) << "word " << e << " trial " << trial;
    }
  }
}

// Mean field with two source words competing for one target word: n(. | 1)
// wants one link (n(1) = 0.9, n(0) = 0.1), n(. | 2) none (n(0) = 0.9,
// n(1) = 0.1). With a single target word the other links are none for sure,
// so the factors are 9 and 1/9: from (NULL, 1, 2) = (0.2, 0.4, 0.4), one
// sweep gives (0.2, 3.6, 0.4/9) / (0.2 + 3.6 + 0.4/9).
TEST(FertilityModelTest, TwoSourceWordsWorkedByHand) {
  FertilityModel model(3);
  model.set_probs(1, Probs(0.1, 0.9, 1e-6, 1e-6, 1e-6));
  model.set_probs(2, Probs(0.9, 0.1, 1e-6, 1e-6, 1e-6));
  const std::vector<WordId> source = {1, 2};
  std::vector<double> p = {0.2, 0.4, 0.4};
  model.Apply(source, 1, 1, p.data());
  const double z = 0.2 + 3.6 + 0.4 / 9;
  EXPECT_NEAR(p[0], 0.2 / z, 1e-12);
  EXPECT_NEAR(p[1], 3.6 / z, 1e-12);
  EXPECT_NEAR(p[2], 0.4 / 9 / z, 1e-12);
}

}  // namespace
}  // namespace aligner
