// Saving trained models to model files and loading them to align new text.
#ifndef ALIGNER_MODEL_MODEL_IO_H_
#define ALIGNER_MODEL_MODEL_IO_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/corpus/vocabulary.h"
#include "aligner/io/model_file.h"
#include "aligner/model/alignment_model.h"
#include "aligner/model/translation_table.h"

namespace aligner {

// What a model needs besides its parameters to align text as its training
// run did.
struct ModelMetadata {
  // Trained on the swapped corpus: the model's source side is the input's
  // target side.
  bool reverse = false;
  bool lowercase = false;
  // Words were cut to this many characters (CorpusReadOptions::stem_length).
  size_t stem_length = 0;
  size_t max_sentence_length = kDefaultMaxSentenceLength;
  // The training command line, for the record.
  std::string training_options;
  // For a checkpoint: the schedule position it was saved at (stage 0: Model
  // 1 iterations, 1: the main model); stage -1 for a finished model.
  int checkpoint_stage = -1;
  int checkpoint_iteration = 0;
  // For a checkpoint: what its run trained on, "name=value" words separated
  // by spaces (the corpus's fingerprint and every option that changes
  // training), so that --resume can refuse another run's checkpoint and say
  // what differs. Empty in finished models and in older checkpoints.
  std::string run_fingerprint;
  // The version of the aligner that wrote the file (empty for files written
  // before versions were recorded); set when loading.
  std::string aligner_version;
};

struct LoadedModel {
  std::unique_ptr<AlignmentModel> model;
  // In the model's orientation: source = the side aligned to.
  Vocabulary source_vocabulary;
  Vocabulary target_vocabulary;
  ModelMetadata metadata;
};

// Serializes a vocabulary as its words (ids 1..n) separated by newlines,
// which no token contains.
std::string SerializeVocabulary(const Vocabulary& vocabulary);
absl::StatusOr<Vocabulary> DeserializeVocabulary(const std::string& words);

// Writes `model` with its vocabularies (and the version of this aligner).
absl::Status SaveModel(const AlignmentModel& model, const Vocabulary& source_vocabulary,
                       const Vocabulary& target_vocabulary, const ModelMetadata& metadata,
                       const std::string& path);
// The same into a writer (for tests and fuzzing).
absl::Status WriteModel(const AlignmentModel& model, const Vocabulary& source_vocabulary,
                        const Vocabulary& target_vocabulary, const ModelMetadata& metadata,
                        ModelWriter* writer);
// SaveModel with `table` written as the model's translation table: for a
// model that holds only part of its table (an aligner-mpi rank's), the whole
// table gathered elsewhere.
absl::Status SaveModelWithTable(const AlignmentModel& model, const TranslationTable& table,
                                const Vocabulary& source_vocabulary,
                                const Vocabulary& target_vocabulary, const ModelMetadata& metadata,
                                const std::string& path);

// Loads and checks a model file: every array's size and every index is
// validated, so a damaged file is an error, not a crash.
absl::StatusOr<LoadedModel> LoadModel(const std::string& path);
absl::StatusOr<LoadedModel> ReadModel(const ModelReader& reader);

}  // namespace aligner

#endif  // ALIGNER_MODEL_MODEL_IO_H_
