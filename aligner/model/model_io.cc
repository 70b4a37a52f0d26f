#include "aligner/model/model_io.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "aligner/base/status_macros.h"
#include "aligner/model/model_registry.h"
#include "aligner/version.h"

namespace aligner {
namespace {

absl::Status Corrupt(const std::string& origin, const std::string& what) {
  return absl::DataLossError(absl::StrCat(origin, ": not a valid model file: ", what));
}

void WriteTable(const TranslationTable& table, ModelWriter* writer) {
  writer->PutUint64s("ttable.row_offsets", table.row_offsets());
  writer->PutUint32s("ttable.targets", table.targets());
  writer->PutFloats("ttable.probs", table.probs());
}

absl::StatusOr<std::shared_ptr<TranslationTable>> ReadTable(const ModelReader& reader,
                                                            size_t source_words,
                                                            size_t target_words) {
  ASSIGN_OR_RETURN(auto offsets, reader.GetUint64s("ttable.row_offsets"));
  ASSIGN_OR_RETURN(auto targets, reader.GetUint32s("ttable.targets"));
  ASSIGN_OR_RETURN(auto probs, reader.GetFloats("ttable.probs"));
  if (offsets.size() > source_words + 1) {
    return Corrupt(reader.origin(), "translation table has more rows than source words");
  }
  for (WordId f : targets) {
    if (f == kNullWord || f >= target_words) {
      return Corrupt(reader.origin(), "translation table names an unknown target word");
    }
  }
  auto table =
      TranslationTable::FromArrays(std::move(offsets), std::move(targets), std::move(probs));
  if (!table.ok()) return Corrupt(reader.origin(), std::string(table.status().message()));
  return std::make_shared<TranslationTable>(std::move(*table));
}

// WriteModel with `table` as the model's translation table.
absl::Status WriteModelWithTable(const AlignmentModel& model, const TranslationTable& table,
                                 const Vocabulary& source_vocabulary,
                                 const Vocabulary& target_vocabulary, const ModelMetadata& metadata,
                                 ModelWriter* writer) {
  writer->PutString("model", model.name());
  writer->PutString("aligner_version", kVersion);
  writer->PutString("source_vocabulary", SerializeVocabulary(source_vocabulary));
  writer->PutString("target_vocabulary", SerializeVocabulary(target_vocabulary));
  writer->PutUint64s("metadata", {metadata.reverse ? 1u : 0u, metadata.lowercase ? 1u : 0u,
                                  metadata.max_sentence_length});
  // A key of its own, absent when 0, so that files without it still read.
  if (metadata.stem_length > 0) writer->PutUint64s("stem_length", {metadata.stem_length});
  writer->PutString("training_options", metadata.training_options);
  if (metadata.checkpoint_stage >= 0) {
    writer->PutUint64s("checkpoint", {static_cast<uint64_t>(metadata.checkpoint_stage),
                                      static_cast<uint64_t>(metadata.checkpoint_iteration)});
  }
  if (!metadata.run_fingerprint.empty()) {
    writer->PutString("run_fingerprint", metadata.run_fingerprint);
  }
  WriteTable(table, writer);
  writer->PutUint64s("use_null", {model.use_null() ? 1u : 0u});
  model.WriteParameters(writer);
  return absl::OkStatus();
}

}  // namespace

std::string SerializeVocabulary(const Vocabulary& vocabulary) {
  std::string out;
  for (WordId id = 1; id < vocabulary.size(); ++id) {
    if (id > 1) out.push_back('\n');
    out += vocabulary.word(id);
  }
  return out;
}

absl::StatusOr<Vocabulary> DeserializeVocabulary(const std::string& words) {
  Vocabulary vocabulary;
  if (words.empty()) return vocabulary;
  for (absl::string_view word : absl::StrSplit(words, '\n')) {
    const std::string_view w(word.data(), word.size());
    if (w.empty() || vocabulary.Find(w).has_value()) {
      return absl::DataLossError("vocabulary has an empty or repeated word");
    }
    vocabulary.Intern(w);
  }
  return vocabulary;
}

absl::Status WriteModel(const AlignmentModel& model, const Vocabulary& source_vocabulary,
                        const Vocabulary& target_vocabulary, const ModelMetadata& metadata,
                        ModelWriter* writer) {
  return WriteModelWithTable(model, model.translation_table(), source_vocabulary, target_vocabulary,
                             metadata, writer);
}

absl::Status SaveModelWithTable(const AlignmentModel& model, const TranslationTable& table,
                                const Vocabulary& source_vocabulary,
                                const Vocabulary& target_vocabulary, const ModelMetadata& metadata,
                                const std::string& path) {
  ModelWriter writer;
  RETURN_IF_ERROR(
      WriteModelWithTable(model, table, source_vocabulary, target_vocabulary, metadata, &writer));
  return writer.WriteTo(path);
}

absl::Status SaveModel(const AlignmentModel& model, const Vocabulary& source_vocabulary,
                       const Vocabulary& target_vocabulary, const ModelMetadata& metadata,
                       const std::string& path) {
  ModelWriter writer;
  RETURN_IF_ERROR(WriteModel(model, source_vocabulary, target_vocabulary, metadata, &writer));
  return writer.WriteTo(path);
}

absl::StatusOr<LoadedModel> ReadModel(const ModelReader& reader) {
  const std::string& origin = reader.origin();
  LoadedModel loaded;
  ASSIGN_OR_RETURN(const std::string name, reader.GetString("model"));
  ASSIGN_OR_RETURN(const std::string source_words, reader.GetString("source_vocabulary"));
  ASSIGN_OR_RETURN(const std::string target_words, reader.GetString("target_vocabulary"));
  auto source = DeserializeVocabulary(source_words);
  auto target = DeserializeVocabulary(target_words);
  if (!source.ok() || !target.ok()) return Corrupt(origin, "damaged vocabulary");
  loaded.source_vocabulary = std::move(*source);
  loaded.target_vocabulary = std::move(*target);
  ASSIGN_OR_RETURN(auto metadata, reader.GetUint64s("metadata"));
  if (metadata.size() != 3 || metadata[0] > 1 || metadata[1] > 1 || metadata[2] == 0) {
    return Corrupt(origin, "damaged metadata");
  }
  loaded.metadata.reverse = metadata[0] == 1;
  loaded.metadata.lowercase = metadata[1] == 1;
  loaded.metadata.max_sentence_length = metadata[2];
  if (reader.Has("stem_length")) {
    ASSIGN_OR_RETURN(auto stem_length, reader.GetUint64s("stem_length"));
    if (stem_length.size() != 1 || stem_length[0] == 0 || stem_length[0] > (1u << 20)) {
      return Corrupt(origin, "damaged stem length");
    }
    loaded.metadata.stem_length = stem_length[0];
  }
  ASSIGN_OR_RETURN(loaded.metadata.training_options, reader.GetString("training_options"));
  if (reader.Has("checkpoint")) {
    ASSIGN_OR_RETURN(auto position, reader.GetUint64s("checkpoint"));
    if (position.size() != 2 || position[0] > 1 || position[1] > (1u << 20)) {
      return Corrupt(origin, "damaged checkpoint position");
    }
    loaded.metadata.checkpoint_stage = static_cast<int>(position[0]);
    loaded.metadata.checkpoint_iteration = static_cast<int>(position[1]);
  }
  if (reader.Has("run_fingerprint")) {
    ASSIGN_OR_RETURN(loaded.metadata.run_fingerprint, reader.GetString("run_fingerprint"));
  }
  ASSIGN_OR_RETURN(auto table, ReadTable(reader, loaded.source_vocabulary.size(),
                                         loaded.target_vocabulary.size()));
  ASSIGN_OR_RETURN(auto use_null_flag, reader.GetUint64s("use_null"));
  if (use_null_flag.size() != 1 || use_null_flag[0] > 1) return Corrupt(origin, "damaged use_null");
  const bool use_null = use_null_flag[0] == 1;
  // The prior only matters for training; a loaded model aligns.
  auto info = FindModel(name);
  if (!info.ok()) return Corrupt(origin, absl::StrCat("unknown model '", name, "'"));
  ModelSetup setup;
  setup.table = std::move(table);
  setup.options.use_null = use_null;
  RETURN_IF_ERROR((*info)->read_options(reader, &setup.options));
  loaded.model = (*info)->create(setup);
  RETURN_IF_ERROR(loaded.model->ReadParameters(reader));
  if (reader.Has("aligner_version")) {
    ASSIGN_OR_RETURN(loaded.metadata.aligner_version, reader.GetString("aligner_version"));
  }
  return loaded;
}

absl::StatusOr<LoadedModel> LoadModel(const std::string& path) {
  ASSIGN_OR_RETURN(ModelReader reader, ModelReader::Open(path));
  return ReadModel(reader);
}

}  // namespace aligner
