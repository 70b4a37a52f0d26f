// The diagonal reparameterization of IBM Model 2 (Dyer, Chahuneau and Smith
// 2013, fast_align): NULL takes probability p0, and the rest falls off
// exponentially with the distance from the diagonal,
//   p(a_j = i) = (1 - p0) exp(-tension |i/l - j/m|) / Z_j   (1-based i, j).
// Two parameters instead of a table, so it needs little data.
#ifndef ALIGNER_MODEL_DIAGONAL_MODEL_H_
#define ALIGNER_MODEL_DIAGONAL_MODEL_H_

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "aligner/model/positional_model.h"

namespace aligner {

struct ModelInfo;

struct DiagonalOptions {
  double tension = 4.0;  // fast_align's -T
  // fast_align's -q (NULL probability). fast_align defaults to 0.08; 0.2
  // gave lower AER on French-English, Czech-English and German-English.
  double p0 = 0.2;
  bool optimize_tension = false;  // fast_align's -o (off unless asked for, as there)
  // Re-estimate p0 by EM (the posterior NULL mass per target word). fast_align
  // keeps it fixed; learning it gives markedly better precision.
  bool optimize_p0 = false;
};

// Diagonal weights proportional to exp(-tension |i/l - (j+1)/m|) for
// source positions i = 1..l at w[j * (l + 1) + i] (the largest of each j is
// 1), with w[j * (l + 1)] = 0. Two exp() per target word, not one per link.
void DiagonalWeights(uint32_t l, uint32_t m, double tension, double* w);
// Row j of DiagonalWeights alone, given r = DiagonalRatio(l, tension): the
// same values.
void DiagonalWeightsRow(uint32_t l, uint32_t m, uint32_t j, double tension, double r, double* row);
// The factor between neighbouring weights of a row, exp(-tension / l).
inline double DiagonalRatio(uint32_t l, double tension) { return std::exp(-tension / l); }

class DiagonalModel : public PositionalModel {
 public:
  // The registry entry (model_registry.h).
  static ModelInfo Info();

  // `length_counts` holds how often each (l, m) occurs in training; it is
  // what the tension update needs. Empty when the model only aligns.
  DiagonalModel(std::shared_ptr<TranslationTable> table, bool use_null, TranslationPrior prior,
                DiagonalOptions options,
                std::vector<std::pair<std::pair<uint32_t, uint32_t>, int64_t>> length_counts);

  // Counts how often each (l, m) occurs among usable pairs.
  static std::vector<std::pair<std::pair<uint32_t, uint32_t>, int64_t>> CountLengths(
      const ParallelCorpus& corpus);

  std::string name() const override { return "diagonal"; }
  std::string DescribeParameters() const override;
  void WriteParameters(ModelWriter* writer) const override;
  absl::Status ReadParameters(const ModelReader& reader) override;
  // Re-estimates tension and p0 (when the options ask for it) only from
  // informed posteriors (fast_align skips the first iteration too).
  void BeginIteration(bool informed) override;
  bool AddExpectedCountsByTargetWord(TargetColumns* columns, ExpectedCounts* counts,
                                     ProgressCounter* progress) const override;
  bool ViterbiByTargetWord(TargetColumns* columns, ViterbiChoice* choices) const override;
  const DiagonalOptions& options() const { return options_; }
  double tension() const { return options_.tension; }

 protected:
  void AlignmentMatrix(uint32_t l, uint32_t m, double* probs) const override;
  size_t AlignmentCountsSize() const override { return 2; }
  void AddAlignmentCounts(uint32_t l, uint32_t m, const double* posteriors,
                          ExpectedCounts* counts) const override;
  void MaximizeAlignment(const ExpectedCounts& counts) override;

 private:
  DiagonalOptions options_;
  // What the options ask for; options_ has what applies this iteration.
  bool wants_optimize_tension_, wants_optimize_p0_;
  std::vector<std::pair<std::pair<uint32_t, uint32_t>, int64_t>> length_counts_;
};

}  // namespace aligner

#endif  // ALIGNER_MODEL_DIAGONAL_MODEL_H_
