#include "aligner/model/hmm_model.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <utility>

#include "aligner/base/scratch.h"
#include "aligner/base/status_macros.h"
#include "aligner/model/model_registry.h"

namespace aligner {

namespace {

// A jump weight is estimated on its own once its bucket has seen this share
// of all (weighted) jumps; rarer buckets pool with their inner neighbors.
constexpr double kMinJumpEvidence = 1e-4;
// Hands out HmmModel::weights_version_.
std::atomic<uint64_t> next_weights_version{1};

}  // namespace

HmmModel::HmmModel(std::shared_ptr<TranslationTable> table, bool use_null, TranslationPrior prior,
                   HmmOptions options, uint32_t /*max_source_length*/)
    : table_(std::move(table)),
      use_null_(use_null),
      prior_(prior),
      options_(options),
      max_jump_(std::max(1, options.max_jump)),
      p0_(use_null ? options.null_probability : 0.0) {
  options_.max_jump = max_jump_;
  weights_.assign(num_jump_buckets() + max_jump_, 1.0);
  set_jump_weights(weights_);
}

uint32_t HmmModel::MaxSourceLength(const ParallelCorpus& corpus) {
  size_t longest = 0;
  for (size_t k = 0; k < corpus.size(); ++k)
    longest = std::max(longest, corpus.pair(k).source.size());
  return static_cast<uint32_t>(longest);
}

void HmmModel::set_jump_weights(const std::vector<double>& weights) {
  weights_version_ = next_weights_version.fetch_add(1);
  weights_ = weights;
  weights_.resize(num_jump_buckets() + max_jump_, 0.0);
  const size_t groups[3] = {0, num_jump_buckets(), weights_.size()};
  for (int g = 0; g < 2; ++g) {
    double total = 0;
    for (size_t b = groups[g]; b < groups[g + 1]; ++b) total += std::max(weights_[b], 0.0);
    // Already normalized (a loaded model): keep the exact bits, so a model
    // file aligns exactly as the model that wrote it.
    if (std::fabs(total - 1.0) < 1e-12) continue;
    for (size_t b = groups[g]; b < groups[g + 1]; ++b) {
      weights_[b] = total > 0 ? std::max(weights_[b], 0.0) / total
                              : 1.0 / static_cast<double>(groups[g + 1] - groups[g]);
    }
  }
}

void HmmModel::InitCounts(ExpectedCounts* counts) const {
  // N_b for every bucket, then D_b.
  counts->Reset(table_->num_entries(), 2 * num_buckets());
}

const double* HmmModel::Emissions(const SentencePair& pair, PairLookup* lookup) const {
  // Without a NULL word the NULL states are unreachable (p0 = 0) anyway, and
  // their emissions are 0.
  thread_local std::vector<double> emit;
  ResizeScratch(&emit, static_cast<size_t>(pair.source.size() + 1) * pair.target.size());
  lookup->Lookup(*table_, pair, use_null_);
  lookup->Probabilities(emit.data());
  return emit.data();
}

void HmmModel::Maximize(const ExpectedCounts& counts) {
  EstimateTranslationTable(counts.translation(), prior_, table_.get());
  // One minorize-maximize step on the jump weights: w_b <- N_b / D_b. Buckets
  // no pair can reach (D_b = 0) keep their weight.
  const FixedPointArray& c = counts.alignment;
  if (c.size() != 2 * num_buckets()) return;
  double total = 0;
  for (size_t b = 0; b < num_buckets(); ++b) total += c.Get(JumpCountIndex(b));
  if (!(total > 0)) return;
  // Widths the corpus hardly ever reaches (say a jump of 12 when the longest
  // sentence has 12 words) have N_b and D_b both near 0, and their ratio is
  // noise. So buckets are pooled from the outside in until a pool has seen
  // enough events, and a pool shares one weight, sum N / sum D. A pool keeps
  // its old weights if that would lower the surrogate
  // sum_b N_b log w_b - D_b w_b, so the step still never lowers Q.
  const double min_events = kMinJumpEvidence * total;
  std::vector<double> next = weights_;
  std::vector<size_t> pool;
  auto flush = [&] {
    double n = 0, d = 0;
    for (size_t b : pool) {
      n += c.Get(JumpCountIndex(b));
      d += c.Get(JumpDenominatorIndex(b));
    }
    if (d > 0) {
      const double w = n / d;
      double gain = 0;
      for (size_t b : pool) {
        const double nb = c.Get(JumpCountIndex(b)), db = c.Get(JumpDenominatorIndex(b));
        const double old = weights_[b];
        gain += (nb > 0 ? nb * (std::log(w) - std::log(old)) : 0.0) - db * (w - old);
      }
      if (gain >= 0) {
        for (size_t b : pool) next[b] = w;
      }
    }
    pool.clear();
  };
  auto add = [&](size_t b) {
    pool.push_back(b);
    double events = 0;
    for (size_t p : pool) {
      events += std::max(c.Get(JumpCountIndex(p)), c.Get(JumpDenominatorIndex(p)) * weights_[p]);
    }
    if (events >= min_events) flush();
  };
  const size_t k = max_jump_;
  for (size_t b = 0; b < k; ++b) add(b);  // widths -max_jump .. -1
  flush();
  for (size_t b = 2 * k; b > k; --b) add(b);  // widths max_jump .. 1
  flush();
  add(k);  // width 0
  flush();
  for (size_t b = num_buckets(); b-- > num_jump_buckets();) add(b);  // start max_jump .. 1
  flush();
  set_jump_weights(next);
}

void HmmModel::WriteParameters(ModelWriter* writer) const {
  writer->PutDoubles("hmm.p0", {options_.null_probability});
  writer->PutDoubles("hmm.jump_smoothing", {options_.jump_smoothing});
  writer->PutDoubles("hmm.diagonal_tension", {options_.diagonal_tension});
  writer->PutUint64s("hmm.end_jump", {options_.end_jump ? 1u : 0u});
  writer->PutUint64s("hmm.max_jump", {static_cast<uint64_t>(options_.max_jump)});
  writer->PutDoubles("hmm.weights", weights_);
}

absl::Status HmmModel::ReadParameters(const ModelReader& reader) {
  ASSIGN_OR_RETURN(auto weights, reader.GetDoubles("hmm.weights"));
  if (weights.size() != num_buckets()) return reader.Corrupt("hmm weights have the wrong size");
  for (double w : weights) {
    if (!(w >= 0 && w <= 1)) return reader.Corrupt("hmm weight outside [0, 1]");
  }
  set_jump_weights(weights);
  return absl::OkStatus();
}

ModelInfo HmmModel::Info() {
  ModelInfo info;
  info.name = "hmm";
  info.description = "the HMM of Vogel et al. 1996: jumps between source positions";
  // Forward-backward's arithmetic, not its lookups, sets the E-step's pace.
  info.lookup_bound = false;
  info.create = [](const ModelSetup& setup) -> std::unique_ptr<AlignmentModel> {
    return std::make_unique<HmmModel>(setup.table, setup.options.use_null, setup.options.prior,
                                      setup.options.hmm);
  };
  info.read_options = [](const ModelReader& reader, ModelOptions* model) {
    HmmOptions& options = model->hmm;
    ASSIGN_OR_RETURN(options.null_probability, reader.GetScalar("hmm.p0"));
    ASSIGN_OR_RETURN(options.jump_smoothing, reader.GetScalar("hmm.jump_smoothing"));
    ASSIGN_OR_RETURN(options.diagonal_tension, reader.GetScalar("hmm.diagonal_tension"));
    ASSIGN_OR_RETURN(const uint64_t end_jump, reader.GetUint64("hmm.end_jump"));
    ASSIGN_OR_RETURN(const uint64_t max_jump, reader.GetUint64("hmm.max_jump"));
    if (end_jump > 1 || !(options.diagonal_tension >= 0 && options.diagonal_tension <= 700) ||
        max_jump == 0 || max_jump > 10000 ||
        !(options.null_probability >= 0 && options.null_probability < 1) ||
        !(options.jump_smoothing >= 0 && options.jump_smoothing <= 1)) {
      return reader.Corrupt("hmm parameters out of range");
    }
    options.end_jump = end_jump == 1;
    options.max_jump = static_cast<int>(max_jump);
    return absl::OkStatus();
  };
  return info;
}

}  // namespace aligner
