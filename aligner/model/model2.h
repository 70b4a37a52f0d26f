// IBM Model 2 with the classic alignment table a(i | j, l, m) of Brown et
// al. 1993, one distribution over source positions (NULL included) for every
// target position and pair of lengths.
#ifndef ALIGNER_MODEL_MODEL2_H_
#define ALIGNER_MODEL_MODEL2_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "aligner/model/model_registry.h"
#include "aligner/model/positional_model.h"

namespace aligner {

// a(i | j, l, m) for the (l, m) length pairs seen in training, each a block of
// (l + 1) * m probabilities in one flat array. Length pairs never seen fall
// back to the uniform distribution.
class AlignmentTable {
 public:
  // Allocates a uniform block for every distinct (l, m) among usable pairs.
  static AlignmentTable FromCorpus(const ParallelCorpus& corpus, bool use_null);
  // The same from the pairs' lengths (CountPairLengths), in their order.
  static AlignmentTable FromLengths(const PairLengths& lengths, bool use_null);

  // Adds a uniform block for (l, m) if missing.
  void AddLengths(uint32_t l, uint32_t m, bool use_null);

  // Offset of the (l, m) block, or -1 if unseen.
  int64_t Find(uint32_t l, uint32_t m) const {
    auto it = offsets_.find(Key(l, m));
    return it == offsets_.end() ? -1 : static_cast<int64_t>(it->second);
  }
  size_t size() const { return probs_.size(); }
  std::vector<double>& mutable_probs() { return probs_; }
  const std::vector<double>& probs() const { return probs_; }
  const absl::flat_hash_map<uint64_t, uint64_t>& blocks() const { return offsets_; }

  static uint64_t Key(uint32_t l, uint32_t m) { return (static_cast<uint64_t>(l) << 32) | m; }

 private:
  absl::flat_hash_map<uint64_t, uint64_t> offsets_;  // (l, m) -> offset in probs_
  std::vector<double> probs_;
};

class Model2 : public PositionalModel {
 public:
  // The registry entry (model_registry.h).
  static ModelInfo Info();

  Model2(std::shared_ptr<TranslationTable> table, AlignmentTable alignment, bool use_null,
         TranslationPrior prior)
      : PositionalModel(std::move(table), use_null, prior), alignment_(std::move(alignment)) {}

  std::string name() const override { return "model2"; }
  void WriteParameters(ModelWriter* writer) const override;
  absl::Status ReadParameters(const ModelReader& reader) override;
  const AlignmentTable& alignment_table() const { return alignment_; }

 protected:
  void AlignmentMatrix(uint32_t l, uint32_t m, double* probs) const override;
  size_t AlignmentCountsSize() const override { return alignment_.size(); }
  void AddAlignmentCounts(uint32_t l, uint32_t m, const double* posteriors,
                          ExpectedCounts* counts) const override;
  void MaximizeAlignment(const ExpectedCounts& counts) override;

 private:
  AlignmentTable alignment_;
};

}  // namespace aligner

#endif  // ALIGNER_MODEL_MODEL2_H_
