// The one place that knows every alignment model: names to models. The
// trainer, the decoder, model files and the front ends create and load models
// only through it, so adding a model is one new file (the model and its
// ModelInfo) and one line in model_registry.cc.
#ifndef ALIGNER_MODEL_MODEL_REGISTRY_H_
#define ALIGNER_MODEL_MODEL_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/io/model_file.h"
#include "aligner/model/alignment_model.h"
#include "aligner/model/diagonal_model.h"
#include "aligner/model/hmm_model.h"
#include "aligner/model/translation_table.h"

namespace aligner {

// What a model is created with. Each model reads the part that concerns it.
struct ModelOptions {
  bool use_null = true;
  TranslationPrior prior;
  DiagonalOptions diagonal;
  HmmOptions hmm;
};

// The lengths (l, m) of a corpus's usable pairs (both sides non-empty), each
// with its number of pairs, in order of first appearance: all that a model
// takes from its training corpus (Model 2's table blocks, the diagonal
// model's tension update).
struct PairLengthCount {
  uint32_t l = 0;
  uint32_t m = 0;
  int64_t count = 0;
  bool operator==(const PairLengthCount& other) const {
    return l == other.l && m == other.m && count == other.count;
  }
};
using PairLengths = std::vector<PairLengthCount>;
PairLengths CountPairLengths(const ParallelCorpus& corpus);

// Everything a fresh model is built from. `corpus` is the training corpus
// (in the model's direction), or null for a model that only aligns (loaded
// from a file), which then needs no corpus statistics.
struct ModelSetup {
  const ParallelCorpus* corpus = nullptr;
  // The training corpus's pair lengths when `corpus` is only one part of it
  // (an MPI rank's block: aligner/mpi gathers the whole corpus's); null: the
  // lengths of `corpus`.
  const PairLengths* lengths = nullptr;
  std::shared_ptr<TranslationTable> table;
  ModelOptions options;
};

// setup.lengths, else CountPairLengths(*setup.corpus), else none.
PairLengths TrainingPairLengths(const ModelSetup& setup);

struct ModelInfo {
  std::string name;                  // canonical, as in model files
  std::vector<std::string> aliases;  // also accepted by --model
  std::string description;           // one line, for --help
  // Model 1 iterations the schedule runs before this model unless told.
  int default_model1_iterations = 0;
  // Whether the E-step waits on reading the translation table more than on
  // its arithmetic (Model 1, Model 2, the diagonal model; not the HMM): the
  // slot cache then also keeps the rows a direct index serves (SlotCache).
  bool lookup_bound = true;
  // Whether the model's E-step and Viterbi decoding can go target word by
  // target word (AlignmentModel::AddExpectedCountsByTargetWord): training
  // then arranges the corpus by target word (TargetColumns) instead of
  // building the slot cache.
  bool by_target_word = false;
  std::function<std::unique_ptr<AlignmentModel>(const ModelSetup&)> create;
  // Reads the options a model file stores for this model (the counterpart of
  // the options part of AlignmentModel::WriteParameters) into `options`.
  std::function<absl::Status(const ModelReader&, ModelOptions*)> read_options;
};

// Every model, in the order of model_registry.cc.
const std::vector<ModelInfo>& AllModels();

// The model of a name or alias; an error listing the names otherwise.
absl::StatusOr<const ModelInfo*> FindModel(std::string_view name);

// "model1, model2, diagonal or hmm".
std::string ModelNames();

// Whether the E-step of the model `name` is lookup-bound
// (ModelInfo::lookup_bound); true for a name no model has.
bool IsLookupBound(std::string_view name);

// The count slots each thread keeps for itself in an E-step of the model
// `name` (ExpectedCounts::ResetSharing): fewer when it is not lookup-bound.
size_t HotCountSlots(std::string_view name);

// A fresh model of `name`.
absl::StatusOr<std::unique_ptr<AlignmentModel>> CreateModel(std::string_view name,
                                                            const ModelSetup& setup);

// Gives `model` the learned parameters of `saved`, a model of the same name
// (e.g. a checkpoint's), through the model-file sections both write and read.
absl::Status CopyLearnedParameters(const AlignmentModel& saved, AlignmentModel* model);

}  // namespace aligner

#endif  // ALIGNER_MODEL_MODEL_REGISTRY_H_
