#include "aligner/model/diagonal_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_format.h"
#include "aligner/base/progress.h"
#include "aligner/base/scratch.h"
#include "aligner/base/status_macros.h"
#include "aligner/model/model_registry.h"
#include "aligner/model/target_columns.h"
#include "tbb/blocked_range.h"
#include "tbb/enumerable_thread_specific.h"
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

// Adds the tension's sufficient statistics of one column of posteriors
// (l + 1 values, NULL first): the posterior-weighted feature and the
// posterior mass not on NULL. source_at[i] = SourceAt(i, l), target_at the
// column's TargetAt. Rounded to fixed point per column (per target word),
// so that the E-step pair by pair and by target word sum the same.
void AddTensionCounts(uint32_t l, const double* source_at, double target_at, const double* column,
                      ExpectedCounts* counts) {
  double feature = 0, mass = 0;
  for (uint32_t i = 1; i <= l; ++i) {
    feature += column[i] * DiagonalFeature(source_at[i], target_at);
    mass += column[i];
  }
  counts->alignment.Add(0, feature);
  counts->alignment.Add(1, mass);
}

}  // namespace

void DiagonalWeightsRow(uint32_t l, uint32_t m, uint32_t j, double tension, double r, double* row) {
  const double c = TargetAt(j, m);
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

void DiagonalWeights(uint32_t l, uint32_t m, double tension, double* w) {
  // exp(-t |i/l - c|) changes by the factor r = exp(-t/l) per step away
  // from c, so each target word needs two exp() calls, not one per link.
  // Weights are scaled so the one nearest the diagonal is 1: no overflow or
  // underflow to all-zero however large the tension.
  const double r = DiagonalRatio(l, tension);
  for (uint32_t j = 0; j < m; ++j) {
    DiagonalWeightsRow(l, m, j, tension, r, w + static_cast<size_t>(j) * (l + 1));
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

namespace {

// Turns row j's diagonal weights into p(a_j = i | j, l, m): p0 for NULL,
// the rest in proportion to the weights.
void NormalizeAlignmentRow(uint32_t l, double p0, double* row) {
  double z = 0;
  for (uint32_t i = 1; i <= l; ++i) z += row[i];
  const double scale = (1.0 - p0) / z;
  row[0] = p0;
  for (uint32_t i = 1; i <= l; ++i) row[i] *= scale;
}

}  // namespace

void DiagonalModel::AlignmentMatrix(uint32_t l, uint32_t m, double* probs) const {
  const uint32_t stride = l + 1;
  DiagonalWeights(l, m, options_.tension, probs);
  const double p0 = use_null() ? options_.p0 : 0.0;
  for (uint32_t j = 0; j < m; ++j)
    NormalizeAlignmentRow(l, p0, probs + static_cast<size_t>(j) * stride);
}

namespace {

// Source sides longer than this are not done by target word (the table of
// positions below would grow with the square of the length).
constexpr uint32_t kMaxLengthByTargetWord = 2048;

// What every target token of a by-target-word pass needs of its length l,
// computed once per pass rather than once per token: the weights' ratio
// exp(-tension / l) and the positions i / l.
class LengthTables {
 public:
  LengthTables(uint32_t max_l, double tension) : ratio_(max_l + 1, 0), offsets_(max_l + 2, 0) {
    for (uint32_t l = 1; l <= max_l; ++l) ratio_[l] = DiagonalRatio(l, tension);
    for (uint32_t l = 0; l <= max_l; ++l) offsets_[l + 1] = offsets_[l] + l + 1;
    source_at_.resize(offsets_.back());
    for (uint32_t l = 1; l <= max_l; ++l) {
      for (uint32_t i = 1; i <= l; ++i) source_at_[offsets_[l] + i] = SourceAt(i, l);
    }
  }
  double ratio(uint32_t l) const { return ratio_[l]; }
  // [i] = SourceAt(i, l) for i = 1..l.
  const double* source_at(uint32_t l) const { return source_at_.data() + offsets_[l]; }

 private:
  std::vector<double> ratio_;
  std::vector<uint64_t> offsets_;
  std::vector<double> source_at_;
};

constexpr uint32_t kNotInColumn = std::numeric_limits<uint32_t>::max();

// Runs `per_token(local, u, info, entries, joint)` for every target token
// (unit u) of `columns`, in parallel over its chunks, with joint[i] =
// p(f_j, a_j = i | e) for i = 0..l (what PositionalModel's
// JointProbabilities gives row j), entries[i] the column entry of
// (e_i, f_j) (i = 0: NULL), or kNotInColumn when the column lacks it, and
// `local` the running thread's of `locals`; `per_chunk(units)` after each
// chunk.
template <typename Local, typename PerToken, typename PerChunk>
void ForEachTokenJoint(const TargetColumns& columns, const LengthTables& lengths, double tension,
                       bool use_null, double p0, size_t num_source_words,
                       tbb::enumerable_thread_specific<Local>* locals, const PerToken& per_token,
                       const PerChunk& per_chunk) {
  struct Scratch {
    std::vector<uint32_t> entry_of;  // per source word: its entry in the column in hand
    std::vector<double> joint;
    std::vector<uint32_t> entries;
  };
  tbb::enumerable_thread_specific<Scratch> scratch;
  const float* probs = columns.probabilities();
  const std::vector<TargetColumns::Chunk>& chunks = columns.chunks();
  tbb::parallel_for(
      tbb::blocked_range<size_t>(0, chunks.size(), 1),
      [&](const tbb::blocked_range<size_t>& range) {
        Scratch& s = scratch.local();
        Local& local = locals->local();
        if (s.entry_of.empty())
          s.entry_of.assign(std::max<size_t>(num_source_words, 1), kNotInColumn);
        for (size_t q = range.begin(); q != range.end(); ++q) {
          uint64_t units = 0;
          for (WordId f = chunks[q].first_column; f < chunks[q].end_column; ++f) {
            const uint64_t first = columns.column_begin(f), last = columns.column_end(f);
            for (uint64_t x = first; x < last; ++x) s.entry_of[columns.column_source(x)] = x;
            const uint32_t null_entry = s.entry_of[kNullWord];
            const float null_prob =
                use_null && null_entry != kNotInColumn ? probs[null_entry] : 0.0f;
            const uint64_t end = columns.units_end(f);
            for (uint64_t u = columns.units_begin(f); u < end; ++u) {
              // Each token's pair is somewhere else in the corpus: ask for
              // its lengths, then its source words, ahead.
              if (u + 16 < end) __builtin_prefetch(&columns.pair_info(columns.unit(u + 16).pair));
              if (u + 8 < end)
                __builtin_prefetch(columns.pair_info(columns.unit(u + 8).pair).source);
              const TargetColumns::Unit& unit = columns.unit(u);
              const TargetColumns::PairInfo& info = columns.pair_info(unit.pair);
              const uint32_t l = info.source_length;
              s.joint.resize(l + 1);
              s.entries.resize(l + 1);
              double* joint = s.joint.data();
              DiagonalWeightsRow(l, info.target_length, unit.position, tension, lengths.ratio(l),
                                 joint);
              NormalizeAlignmentRow(l, p0, joint);
              s.entries[0] = use_null ? null_entry : kNotInColumn;
              joint[0] *= null_prob;
              for (uint32_t i = 1; i <= l; ++i) {
                const uint32_t entry = s.entry_of[info.source[i - 1]];
                s.entries[i] = entry;
                joint[i] *= entry != kNotInColumn ? probs[entry] : kUnknownTranslationProb;
              }
              per_token(local, u, info, s.entries.data(), joint);
            }
            units += end - columns.units_begin(f);
            for (uint64_t x = first; x < last; ++x)
              s.entry_of[columns.column_source(x)] = kNotInColumn;
          }
          per_chunk(units);
        }
      },
      tbb::simple_partitioner());
}

}  // namespace

bool DiagonalModel::AddExpectedCountsByTargetWord(TargetColumns* columns, ExpectedCounts* counts,
                                                  ProgressCounter* progress) const {
  if (columns->max_source_length() > kMaxLengthByTargetWord ||
      counts->translation().size() != translation_table().num_entries()) {
    return false;
  }
  columns->GatherProbabilities(translation_table(), /*zero_counts=*/true);
  const LengthTables lengths(columns->max_source_length(), options_.tension);
  // Each thread's log-likelihood and alignment counts (its translation
  // counts go to the columns'), merged in the end.
  struct Local {
    explicit Local(ExpectedCounts* shared) { counts.ResetSharing(shared, false, /*hot_slots=*/0); }
    ExpectedCounts counts;
  };
  tbb::enumerable_thread_specific<Local> locals(counts);
  int64_t* column_counts = columns->counts();
  ForEachTokenJoint(
      *columns, lengths, options_.tension, use_null(), use_null() ? options_.p0 : 0.0,
      translation_table().num_source_words(), &locals,
      [&](Local& thread, uint64_t u, const TargetColumns::PairInfo& info, const uint32_t* entries,
          double* joint) {
        ExpectedCounts& local = thread.counts;
        const uint32_t l = info.source_length;
        // PositionalModel::AddExpectedCounts' column, and its counts.
        local.AddLogLikelihood(ScaleColumnToPosteriors(l, joint));
        for (uint32_t i = 0; i <= l; ++i) {
          if (entries[i] != kNotInColumn) {
            column_counts[entries[i]] += FixedPointArray::ToFixed(joint[i]);
          }
        }
        AddTensionCounts(l, lengths.source_at(l),
                         TargetAt(columns->unit(u).position, info.target_length), joint, &local);
        local.target_tokens += 1;
        local.links += l + 1;
      },
      [&](uint64_t units) {
        if (progress != nullptr) progress->Add(units);
      });
  columns->ScatterCounts(counts->mutable_translation());
  for (const Local& local : locals) counts->MergeLocal(local.counts);
  counts->pairs += columns->num_pairs();
  return true;
}

bool DiagonalModel::ViterbiByTargetWord(TargetColumns* columns, ViterbiChoice* choices) const {
  if (columns->max_source_length() > kMaxLengthByTargetWord) return false;
  columns->GatherProbabilities(translation_table(), /*zero_counts=*/false);
  const LengthTables lengths(columns->max_source_length(), options_.tension);
  struct NoState {};
  tbb::enumerable_thread_specific<NoState> none;
  ForEachTokenJoint(
      *columns, lengths, options_.tension, use_null(), use_null() ? options_.p0 : 0.0,
      translation_table().num_source_words(), &none,
      [&](NoState&, uint64_t u, const TargetColumns::PairInfo& info, const uint32_t*,
          const double* joint) {
        // PositionalModel::ViterbiFromJoint's choice and log-probability.
        const uint32_t best = BestInColumn(info.source_length, joint);
        choices[u] = ViterbiChoice{std::log(std::max(joint[best], kMinColumnMass)), best};
      },
      [](uint64_t) {});
  return true;
}

void DiagonalModel::AddAlignmentCounts(uint32_t l, uint32_t m, const double* posteriors,
                                       ExpectedCounts* counts) const {
  // The tension's statistics a column at a time (AddTensionCounts), the
  // positions' divisions hoisted out of the links: once per i and once per j.
  thread_local std::vector<double> source_at;
  source_at.resize(l + 1);
  for (uint32_t i = 1; i <= l; ++i) source_at[i] = SourceAt(i, l);
  for (uint32_t j = 0; j < m; ++j) {
    AddTensionCounts(l, source_at.data(), TargetAt(j, m),
                     posteriors + static_cast<size_t>(j) * (l + 1), counts);
  }
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
  info.by_target_word = true;
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
