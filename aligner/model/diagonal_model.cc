#include "aligner/model/diagonal_model.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "aligner/base/scratch.h"
#include "aligner/base/status_macros.h"
#include "aligner/model/model_registry.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace aligner {
namespace {

constexpr double kMinTension = 0.1;
constexpr double kMaxTension = 8.0;

// Source position i and target position j (0-based) as fractions of their
// sentences, i / l and (j + 1) / m.
double SourceAt(uint32_t i, uint32_t l) { return static_cast<double>(i) / l; }
double TargetAt(uint32_t j, uint32_t m) { return static_cast<double>(j + 1) / m; }

// The feature the tension multiplies: minus the distance from the diagonal,
// of positions given by SourceAt and TargetAt.
double DiagonalFeature(double source_at, double target_at) {
  return -std::fabs(source_at - target_at);
}

}  // namespace

void DiagonalWeights(uint32_t l, uint32_t m, double tension, double* w) {
  const uint32_t stride = l + 1;
  // exp(-t |i/l - c|) changes by the factor r = exp(-t/l) per step away
  // from c, so each target word needs two exp() calls, not one per link.
  // Weights are scaled so the one nearest the diagonal is 1: no overflow or
  // underflow to all-zero however large the tension.
  const double r = std::exp(-tension / l);
  for (uint32_t j = 0; j < m; ++j) {
    const double c = TargetAt(j, m);
    double* row = w + static_cast<size_t>(j) * stride;
    row[0] = 0;
    // i0: last position at or left of c (0 if none), i1 = i0 + 1.
    const uint32_t i0 = std::min<uint32_t>(l, static_cast<uint32_t>(c * l));
    const double left_distance = i0 >= 1 ? c - static_cast<double>(i0) / l : 1e300;
    const double right_distance = i0 < l ? static_cast<double>(i0 + 1) / l - c : 1e300;
    const double nearest = std::min(left_distance, right_distance);
    if (i0 >= 1) {
      double value = std::exp(-tension * (left_distance - nearest));
      for (uint32_t i = i0; i >= 1; --i) {
        row[i] = value;
        value *= r;
      }
    }
    if (i0 < l) {
      double value = std::exp(-tension * (right_distance - nearest));
      for (uint32_t i = i0 + 1; i <= l; ++i) {
        row[i] = value;
        value *= r;
      }
    }
  }
}

DiagonalModel::DiagonalModel(
    std::shared_ptr<TranslationTable> table, bool use_null, TranslationPrior prior,
    DiagonalOptions options,
    std::vector<std::pair<std::pair<uint32_t, uint32_t>, int64_t>> length_counts)
    : PositionalModel(std::move(table), use_null, prior),
      options_(options),
      wants_optimize_tension_(options.optimize_tension),
      wants_optimize_p0_(options.optimize_p0),
      length_counts_(std::move(length_counts)) {}

namespace {

// `lengths` sorted by (l, m): a fixed order for a deterministic sum.
std::vector<std::pair<std::pair<uint32_t, uint32_t>, int64_t>> SortedLengthCounts(
    const PairLengths& lengths) {
  std::vector<std::pair<std::pair<uint32_t, uint32_t>, int64_t>> result;
  result.reserve(lengths.size());
  for (const PairLengthCount& p : lengths) result.push_back({{p.l, p.m}, p.count});
  std::sort(result.begin(), result.end());
  return result;
}

}  // namespace

std::vector<std::pair<std::pair<uint32_t, uint32_t>, int64_t>> DiagonalModel::CountLengths(
    const ParallelCorpus& corpus) {
  return SortedLengthCounts(CountPairLengths(corpus));
}

std::string DiagonalModel::DescribeParameters() const {
  return absl::StrFormat("tension %.4f, p0 %.4f", options_.tension, use_null() ? options_.p0 : 0.0);
}

void DiagonalModel::AlignmentMatrix(uint32_t l, uint32_t m, double* probs) const {
  const uint32_t stride = l + 1;
  DiagonalWeights(l, m, options_.tension, probs);
  const double p0 = use_null() ? options_.p0 : 0.0;
  for (uint32_t j = 0; j < m; ++j) {
    double* row = probs + static_cast<size_t>(j) * stride;
    double z = 0;
    for (uint32_t i = 1; i <= l; ++i) z += row[i];
    const double scale = (1.0 - p0) / z;
    row[0] = p0;
    for (uint32_t i = 1; i <= l; ++i) row[i] *= scale;
  }
}

void DiagonalModel::AddAlignmentCounts(uint32_t l, uint32_t m, const double* posteriors,
                                       ExpectedCounts* counts) const {
  // Sufficient statistics for the tension: the posterior-weighted feature
  // and the posterior mass not on NULL.
  // The positions' divisions hoisted out of the links: once per i and
  // once per j.
  thread_local std::vector<double> source_at;
  source_at.resize(l + 1);
  for (uint32_t i = 1; i <= l; ++i) source_at[i] = SourceAt(i, l);
  double feature = 0, mass = 0;
  for (uint32_t j = 0; j < m; ++j) {
    const double* column = posteriors + static_cast<size_t>(j) * (l + 1);
    const double target_at = TargetAt(j, m);
    for (uint32_t i = 1; i <= l; ++i) {
      feature += column[i] * DiagonalFeature(source_at[i], target_at);
      mass += column[i];
    }
  }
  counts->alignment.Add(0, feature);
  counts->alignment.Add(1, mass);
}

void DiagonalModel::MaximizeAlignment(const ExpectedCounts& counts) {
  const double empirical = counts.alignment.Get(0);
  const double mass = counts.alignment.Get(1);
  if (mass <= 0 || counts.target_tokens == 0) return;
  if (options_.optimize_p0 && use_null()) {
    // The exact M-step for p0: the expected share of target words from NULL.
    options_.p0 = std::clamp(1.0 - mass / counts.target_tokens, 1e-4, 0.9);
  }
  if (!options_.optimize_tension || length_counts_.empty()) return;
  // The tension is set so that the model's expected feature matches the
  // posterior one: d/dt of the expected complete log-likelihood is
  // sum_j w_j (E_post[h_j] - E_t[h_j]), with w_j each token's non-NULL
  // posterior mass, approximated by its average. Newton's method on that
  // monotone function (its derivative is a variance).
  const double average_mass = mass / counts.target_tokens;
  // Each (l, m)'s terms are computed in parallel into their own places
  // (target word j of the k-th lengths at terms_at[k] + j), then summed in
  // one fixed order, so the tension does not depend on the threads.
  std::vector<size_t> terms_at(length_counts_.size() + 1, 0);
  for (size_t k = 0; k < length_counts_.size(); ++k) {
    terms_at[k + 1] = terms_at[k] + length_counts_[k].first.second;
  }
  std::vector<double> mean_terms(terms_at.back()), variance_terms(terms_at.back());
  double tension = options_.tension;
  for (int step = 0; step < 20; ++step) {
    tbb::parallel_for(tbb::blocked_range<size_t>(0, length_counts_.size(), 16),
                      [&](const tbb::blocked_range<size_t>& range) {
                        thread_local std::vector<double> w;
                        for (size_t k = range.begin(); k != range.end(); ++k) {
                          const auto& [lengths, count] = length_counts_[k];
                          const auto [l, m] = lengths;
                          ResizeScratch(&w, static_cast<size_t>(l + 1) * m);
                          DiagonalWeights(l, m, tension, w.data());
                          for (uint32_t j = 0; j < m; ++j) {
                            const double* row = w.data() + static_cast<size_t>(j) * (l + 1);
                            double z = 0, first = 0, second = 0;
                            for (uint32_t i = 1; i <= l; ++i) {
                              const double h = DiagonalFeature(SourceAt(i, l), TargetAt(j, m));
                              z += row[i];
                              first += row[i] * h;
                              second += row[i] * h * h;
                            }
                            const double mean = first / z;
                            mean_terms[terms_at[k] + j] = count * mean;
                            variance_terms[terms_at[k] + j] = count * (second / z - mean * mean);
                          }
                        }
                      });
    double expected = 0, variance = 0;
    for (size_t t = 0; t < mean_terms.size(); ++t) {
      expected += mean_terms[t];
      variance += variance_terms[t];
    }
    const double gradient = empirical - average_mass * expected;
    const double curvature = average_mass * variance;
    if (curvature <= 0) break;
    const double next = std::clamp(tension + gradient / curvature, kMinTension, kMaxTension);
    const bool converged = std::fabs(next - tension) < 1e-6;
    tension = next;
    if (converged) break;
  }
  options_.tension = tension;
}

void DiagonalModel::BeginIteration(bool informed) {
  options_.optimize_tension = wants_optimize_tension_ && informed;
  options_.optimize_p0 = wants_optimize_p0_ && informed;
}

void DiagonalModel::WriteParameters(ModelWriter* writer) const {
  writer->PutDoubles("diagonal.tension", {options_.tension});
  writer->PutDoubles("diagonal.p0", {options_.p0});
}

absl::Status DiagonalModel::ReadParameters(const ModelReader& reader) {
  ASSIGN_OR_RETURN(const double tension, reader.GetScalar("diagonal.tension"));
  ASSIGN_OR_RETURN(const double p0, reader.GetScalar("diagonal.p0"));
  if (!(tension > 0 && tension < 1e6) || !(p0 >= 0 && p0 < 1)) {
    return reader.Corrupt("diagonal parameters out of range");
  }
  options_.tension = tension;
  options_.p0 = p0;
  return absl::OkStatus();
}

ModelInfo DiagonalModel::Info() {
  ModelInfo info;
  info.name = "diagonal";
  info.aliases = {"fast_align"};
  info.description = "fast_align's Model 2: p0 plus an exponential pull toward the diagonal";
  info.create = [](const ModelSetup& setup) -> std::unique_ptr<AlignmentModel> {
    return std::make_unique<DiagonalModel>(setup.table, setup.options.use_null, setup.options.prior,
                                           setup.options.diagonal,
                                           SortedLengthCounts(TrainingPairLengths(setup)));
  };
  // Tension and p0 are learned (ReadParameters); a loaded model does not train.
  info.read_options = [](const ModelReader&, ModelOptions* options) {
    options->diagonal.optimize_tension = false;
    options->diagonal.optimize_p0 = false;
    return absl::OkStatus();
  };
  return info;
}

}  // namespace aligner
