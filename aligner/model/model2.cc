#include "aligner/model/model2.h"

#include <algorithm>
#include <utility>

#include "aligner/base/status_macros.h"
#include "aligner/model/model_registry.h"

namespace aligner {

AlignmentTable AlignmentTable::FromCorpus(const ParallelCorpus& corpus, bool use_null) {
  return FromLengths(CountPairLengths(corpus), use_null);
}

AlignmentTable AlignmentTable::FromLengths(const PairLengths& lengths, bool use_null) {
  AlignmentTable table;
  for (const PairLengthCount& p : lengths) table.AddLengths(p.l, p.m, use_null);
  return table;
}

void AlignmentTable::AddLengths(uint32_t l, uint32_t m, bool use_null) {
  auto [it, inserted] = offsets_.try_emplace(Key(l, m), probs_.size());
  if (!inserted) return;
  const uint32_t stride = l + 1;
  const double uniform = 1.0 / (use_null ? l + 1 : l);
  probs_.resize(probs_.size() + static_cast<size_t>(stride) * m, uniform);
  if (!use_null) {
    for (uint32_t j = 0; j < m; ++j) probs_[it->second + j * stride] = 0;
  }
}

void Model2::AlignmentMatrix(uint32_t l, uint32_t m, double* probs) const {
  const size_t n = static_cast<size_t>(l + 1) * m;
  const int64_t offset = alignment_.Find(l, m);
  if (offset >= 0) {
    std::copy(alignment_.probs().begin() + offset, alignment_.probs().begin() + offset + n, probs);
    return;
  }
  const double uniform = 1.0 / (use_null() ? l + 1 : l);
  std::fill(probs, probs + n, uniform);
  if (!use_null()) {
    for (uint32_t j = 0; j < m; ++j) probs[j * (l + 1)] = 0;
  }
}

void Model2::AddAlignmentCounts(uint32_t l, uint32_t m, const double* posteriors,
                                ExpectedCounts* counts) const {
  const int64_t offset = alignment_.Find(l, m);
  if (offset < 0) return;
  const size_t n = static_cast<size_t>(l + 1) * m;
  for (size_t k = 0; k < n; ++k) counts->alignment.Add(offset + k, posteriors[k]);
}

void Model2::MaximizeAlignment(const ExpectedCounts& counts) {
  std::vector<double>& probs = alignment_.mutable_probs();
  for (const auto& [key, offset] : alignment_.blocks()) {
    const uint32_t l = key >> 32, m = key & 0xffffffffu, stride = l + 1;
    for (uint32_t j = 0; j < m; ++j) {
      const size_t base = offset + static_cast<size_t>(j) * stride;
      double total = 0;
      for (uint32_t i = 0; i <= l; ++i) total += counts.alignment.Get(base + i);
      if (total <= 0) continue;
      for (uint32_t i = 0; i <= l; ++i) probs[base + i] = counts.alignment.Get(base + i) / total;
    }
  }
}

void Model2::WriteParameters(ModelWriter* writer) const {
  // Blocks in offset order, so that re-adding them recreates the layout.
  std::vector<std::pair<uint64_t, uint64_t>> blocks;
  for (const auto& [key, offset] : alignment_.blocks()) blocks.push_back({offset, key});
  std::sort(blocks.begin(), blocks.end());
  std::vector<uint64_t> keys;
  for (const auto& block : blocks) keys.push_back(block.second);
  writer->PutUint64s("model2.lengths", keys);
  writer->PutDoubles("model2.probs", alignment_.probs());
}

absl::Status Model2::ReadParameters(const ModelReader& reader) {
  ASSIGN_OR_RETURN(auto lengths, reader.GetUint64s("model2.lengths"));
  ASSIGN_OR_RETURN(auto probs, reader.GetDoubles("model2.probs"));
  AlignmentTable alignment;
  size_t expected = 0;
  for (uint64_t key : lengths) {
    const uint64_t l = key >> 32, m = key & 0xffffffffu;
    if (l == 0 || m == 0 || l > (1u << 20) || m > (1u << 20)) {
      return reader.Corrupt("damaged model2 lengths");
    }
    expected += (l + 1) * m;
    if (expected > probs.size()) return reader.Corrupt("model2 table is too short");
    alignment.AddLengths(l, m, use_null());
  }
  if (expected != probs.size()) return reader.Corrupt("model2 table has the wrong size");
  for (double p : probs) {
    if (!(p >= 0 && p <= 1)) return reader.Corrupt("model2 probability outside [0, 1]");
  }
  alignment.mutable_probs() = std::move(probs);
  alignment_ = std::move(alignment);
  return absl::OkStatus();
}

ModelInfo Model2::Info() {
  ModelInfo info;
  info.name = "model2";
  info.aliases = {"2"};
  info.description = "IBM Model 2 with the classic alignment table a(i | j, l, m)";
  info.default_model1_iterations = 5;
  info.create = [](const ModelSetup& setup) -> std::unique_ptr<AlignmentModel> {
    return std::make_unique<Model2>(
        setup.table,
        AlignmentTable::FromLengths(TrainingPairLengths(setup), setup.options.use_null),
        setup.options.use_null, setup.options.prior);
  };
  info.read_options = [](const ModelReader&, ModelOptions*) { return absl::OkStatus(); };
  return info;
}

}  // namespace aligner
