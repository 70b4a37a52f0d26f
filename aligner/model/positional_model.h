// The shared machinery of models whose alignment probability depends only on
// positions and lengths, p(a_j = i | j, l, m): IBM Model 1, IBM Model 2 and
// the diagonal Model 2. Their alignments are independent across target
// words, so posteriors and Viterbi decode one target word at a time.
#ifndef ALIGNER_MODEL_POSITIONAL_MODEL_H_
#define ALIGNER_MODEL_POSITIONAL_MODEL_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "aligner/model/alignment_model.h"
#include "aligner/model/translation_table.h"

namespace aligner {

class PositionalModel : public AlignmentModel {
 public:
  PositionalModel(std::shared_ptr<TranslationTable> table, bool use_null, TranslationPrior prior);

  void InitCounts(ExpectedCounts* counts) const override;
  void AddExpectedCounts(const SentencePair& pair, ExpectedCounts* counts) const override;
  void AddExpectedCountsExceptTranslation(const SentencePair& pair, std::vector<double>* posteriors,
                                          PairLookup* lookup,
                                          ExpectedCounts* counts) const override;
  void AddViterbiCounts(const SentencePair& pair, ExpectedCounts* counts) const override;
  void Maximize(const ExpectedCounts& counts) override;
  double Posteriors(const SentencePair& pair, std::vector<double>* posteriors) const override;
  double ViterbiAlign(const SentencePair& pair, std::vector<uint32_t>* alignment) const override;
  double ViterbiAndPosteriors(const SentencePair& pair, std::vector<uint32_t>* alignment,
                              std::vector<double>* posteriors) const override;

  const TranslationTable& translation_table() const override { return *table_; }
  std::shared_ptr<TranslationTable> shared_translation_table() const override { return table_; }
  bool use_null() const override { return use_null_; }
  const TranslationPrior& prior() const { return prior_; }

 protected:
  // Keeps log() finite when every candidate of a target word has
  // probability 0.
  static constexpr double kMinColumnMass = 1e-300;

  // One column of the joint (l + 1 values) made into posteriors, as
  // AddExpectedCounts does for every column; returns the log of its total.
  static double ScaleColumnToPosteriors(uint32_t l, double* column);
  // The best i of one column of the joint: ties go to NULL (when the model
  // has it), then to the leftmost source word, as in fast_align.
  uint32_t BestInColumn(uint32_t l, const double* column) const;

  // Fills probs[j * (l + 1) + i] = p(a_j = i | j, l, m) for the whole pair;
  // i = 0 (NULL) must be 0 when the model has no NULL word.
  virtual void AlignmentMatrix(uint32_t l, uint32_t m, double* probs) const = 0;
  // Number of `alignment` counts the model keeps.
  virtual size_t AlignmentCountsSize() const { return 0; }
  // Adds a pair's posteriors (same layout) to the alignment counts.
  virtual void AddAlignmentCounts(uint32_t /*l*/, uint32_t /*m*/, const double* /*posteriors*/,
                                  ExpectedCounts* /*counts*/) const {}
  // Re-estimates the alignment parameters.
  virtual void MaximizeAlignment(const ExpectedCounts& /*counts*/) {}

 private:
  // Computes the joint p(f_j, a_j = i | e) for the pair into `joint`, looking
  // up its translation probabilities with `lookup`.
  void JointProbabilities(const SentencePair& pair, std::vector<double>* joint,
                          PairLookup* lookup) const;
  // Turns the joint into posteriors, column by column; returns the sum of
  // the columns' log totals, log p(target | source).
  // With `counts`, also adds each column's log total to its log-likelihood,
  // rounded per column as AddExpectedCounts does.
  static double NormalizeColumns(uint32_t l, uint32_t m, double* joint,
                                 ExpectedCounts* counts = nullptr);
  // The best i of every column of the joint; returns the log-probability.
  double ViterbiFromJoint(uint32_t l, uint32_t m, const double* joint,
                          std::vector<uint32_t>* alignment) const;

  std::shared_ptr<TranslationTable> table_;
  bool use_null_;
  TranslationPrior prior_;
};

}  // namespace aligner

#endif  // ALIGNER_MODEL_POSITIONAL_MODEL_H_
