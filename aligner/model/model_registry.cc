#include "aligner/model/model_registry.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "aligner/base/status_macros.h"
#include "aligner/model/expected_counts.h"
#include "aligner/model/model1.h"
#include "aligner/model/model2.h"

namespace aligner {

PairLengths CountPairLengths(const ParallelCorpus& corpus) {
  PairLengths lengths;
  absl::flat_hash_map<uint64_t, size_t> index;  // (l, m) -> position in `lengths`
  for (size_t k = 0; k < corpus.size(); ++k) {
    const SentencePair pair = corpus.pair(k);
    if (pair.source.empty() || pair.target.empty()) continue;
    const uint32_t l = static_cast<uint32_t>(pair.source.size());
    const uint32_t m = static_cast<uint32_t>(pair.target.size());
    const auto [it, inserted] = index.try_emplace(uint64_t{l} << 32 | m, lengths.size());
    if (inserted) lengths.push_back({l, m, 0});
    ++lengths[it->second].count;
  }
  return lengths;
}

PairLengths TrainingPairLengths(const ModelSetup& setup) {
  if (setup.lengths != nullptr) return *setup.lengths;
  if (setup.corpus != nullptr) return CountPairLengths(*setup.corpus);
  return {};
}

const std::vector<ModelInfo>& AllModels() {
  // One line per model.
  static const std::vector<ModelInfo> models = {
      Model1::Info(),
      Model2::Info(),
      DiagonalModel::Info(),
      HmmModel::Info(),
  };
  return models;
}

bool IsLookupBound(std::string_view name) {
  auto info = FindModel(name);
  return !info.ok() || (*info)->lookup_bound;
}

size_t HotCountSlots(std::string_view name) {
  return IsLookupBound(name) ? ExpectedCounts::kHotSlots : ExpectedCounts::kArithmeticBoundHotSlots;
}

std::string ModelNames() {
  const auto& models = AllModels();
  std::string names;
  for (size_t k = 0; k < models.size(); ++k) {
    if (k > 0) names += k + 1 == models.size() ? " or " : ", ";
    names += models[k].name;
  }
  return names;
}

absl::StatusOr<const ModelInfo*> FindModel(std::string_view name) {
  for (const ModelInfo& info : AllModels()) {
    if (info.name == name) return &info;
    for (const std::string& alias : info.aliases) {
      if (alias == name) return &info;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown model '", std::string(name), "' (expected ", ModelNames(), ")"));
}

absl::StatusOr<std::unique_ptr<AlignmentModel>> CreateModel(std::string_view name,
                                                            const ModelSetup& setup) {
  ASSIGN_OR_RETURN(const ModelInfo* info, FindModel(name));
  return info->create(setup);
}

absl::Status CopyLearnedParameters(const AlignmentModel& saved, AlignmentModel* model) {
  if (saved.name() != model->name()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resume: the checkpoint holds a ",
                                                   saved.name(), " model, not ", model->name()));
  }
  ModelWriter writer;
  saved.WriteParameters(&writer);
  ASSIGN_OR_RETURN(ModelReader reader, ModelReader::Parse(writer.Serialize(), "checkpoint"));
  return model->ReadParameters(reader);
}

}  // namespace aligner
