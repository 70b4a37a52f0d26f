// A fertility model over the posteriors of an alignment model: every source
// word type e has a distribution n(phi | e) over how many target words each
// of its tokens generates (phi = 0 .. kMaxFertility, the last meaning "that
// many or more"), as in IBM Model 3 and in eflomal's HMM with fertility
// (Ostling and Tiedemann 2016).
//
// The joint model of a sentence pair is the alignment model's distribution
// times the fertility factors, q(a) ~ p(a) prod_i n(phi_i(a) | e_i). Its
// marginals are intractable; Apply() computes the mean-field approximation
// with p's link posteriors p_j(i) as the unary potentials:
//   q_j(i) ~ p_j(i) exp(E[log n(phi_i^{-j} + 1 | e_i) - log n(phi_i^{-j} | e_i)]),
//   q_j(0) ~ p_j(0) (NULL has no fertility),
// where phi_i^{-j} = sum_{j' != j} z_{ij'} counts the other target words
// linked to i, the z_{ij'} independent with P(z_{ij'} = 1) = q_{j'}(i)
// (a Poisson-binomial distribution). Training is EM on the mean-field
// distribution: the expected fertility distributions of every source token
// under q are the counts (AddCounts), and the M-step shrinks each word's
// counts toward the fertility distribution of all words together
// (Maximize), so that a word seen once borrows the corpus-wide shape.
//
// What is and is not monotone. For fixed posteriors, Maximize is the MAP
// estimate under each word's Dirichlet(alpha g) prior (tested), so the
// fertility M-step never lowers its own objective. Nothing stronger holds:
// Apply updates all columns at once from the previous sweep's q (a parallel
// mean-field update, which unlike coordinate ascent need not raise the
// mean-field bound), and the alignment model's M-step then fits the
// reweighted posteriors, which are not its own, so its reported
// log-likelihood is not guaranteed to rise between iterations (nor is it
// under agreement alone, whose counts are products of two models'
// posteriors). Tests therefore check hand-worked values,
// distributions staying distributions, and identical results for any number
// of threads, not a monotone likelihood.
#ifndef ALIGNER_MODEL_FERTILITY_MODEL_H_
#define ALIGNER_MODEL_FERTILITY_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "aligner/base/types.h"
#include "aligner/model/expected_counts.h"

namespace aligner {

class FertilityModel {
 public:
  static constexpr int kMaxFertility = 4;
  static constexpr int kSlots = kMaxFertility + 1;

  // Source word ids are < num_source_words. `alpha`: the weight, in
  // tokens, of the corpus-wide distribution in each word's estimate.
  explicit FertilityModel(size_t num_source_words, double alpha = 1.0);

  // Whether Maximize has run (before, Apply leaves the posteriors as they are).
  bool trained() const { return trained_; }
  // log n(phi | e) for phi = 0 .. kMaxFertility.
  const double* log_probs(WordId e) const { return log_probs_.data() + e * kSlots; }

  // Sizes `counts` (all zero) for AddCounts.
  void InitCounts(FixedPointArray* counts) const;
  // Adds the fertility distributions of the pair's source tokens under
  // `posteriors` (target-major [j * (l + 1) + i], i = 0 NULL). With `shared`
  // several threads may add to `counts` at once (atomic, exact adds);
  // without it `counts` is the caller's own (plain adds), to be merged
  // (FixedPointArray::Merge: integer sums, the same for any split).
  void AddCounts(absl::Span<const WordId> source, uint32_t m, const double* posteriors,
                 FixedPointArray* counts, bool shared = true) const;
  // n(phi | e) = (c(e, phi) + alpha g(phi)) / (c(e) + alpha), g the
  // distribution of all counts together.
  void Maximize(const FixedPointArray& counts);

  // The mean-field update above, `sweeps` times (synchronously: every column
  // from the previous sweep's q), in place.
  void Apply(absl::Span<const WordId> source, uint32_t m, int sweeps, double* posteriors) const;

  // The link factors of one mean-field step from the current posteriors q:
  // factors[j * (l + 1) + i] = exp(E[log n(phi_i^{-j} + 1 | e_i) -
  // log n(phi_i^{-j} | e_i)]), 1 for NULL (i = 0). All 1 before training.
  void LinkFactors(absl::Span<const WordId> source, uint32_t m, const double* posteriors,
                   double* factors) const;

  // Sets n(. | e) directly (for tests); marks the model trained.
  void set_probs(WordId e, const std::vector<double>& probs);

 private:
  size_t num_source_words_;
  double alpha_;
  bool trained_ = false;
  std::vector<double> log_probs_;
};

}  // namespace aligner

#endif  // ALIGNER_MODEL_FERTILITY_MODEL_H_
