#include "aligner/model/model_io.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "aligner/base/status_macros.h"
#include "aligner/model/diagonal_model.h"
#include "aligner/model/hmm_model.h"
#include "aligner/model/model1.h"
#include "aligner/model/model2.h"

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
  auto table = TranslationTable::FromArrays(std::move(offsets), std::move(targets),
                                            std::move(probs));
  if (!table.ok()) return Corrupt(reader.origin(), std::string(table.status().message()));
  return std::make_shared<TranslationTable>(std::move(*table));
}

absl::StatusOr<double> ReadScalar(const ModelReader& reader, const std::string& name) {
  ASSIGN_OR_RETURN(auto values, reader.GetDoubles(name));
  if (values.size() != 1) return Corrupt(reader.origin(), absl::StrCat(name, " is not a scalar"));
  return values[0];
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
  writer->PutString("model", model.name());
  writer->PutString("source_vocabulary", SerializeVocabulary(source_vocabulary));
  writer->PutString("target_vocabulary", SerializeVocabulary(target_vocabulary));
  writer->PutUint64s("metadata", {metadata.reverse ? 1u : 0u, metadata.lowercase ? 1u : 0u,
                                  metadata.max_sentence_length});
  writer->PutString("training_options", metadata.training_options);
  if (metadata.checkpoint_stage >= 0) {
    writer->PutUint64s("checkpoint", {static_cast<uint64_t>(metadata.checkpoint_stage),
                                      static_cast<uint64_t>(metadata.checkpoint_iteration)});
  }
  if (const auto* m = dynamic_cast<const PositionalModel*>(&model)) {
    WriteTable(m->translation_table(), writer);
    writer->PutUint64s("use_null", {m->use_null() ? 1u : 0u});
    if (const auto* m2 = dynamic_cast<const Model2*>(&model)) {
      // Blocks in offset order, so that re-adding them recreates the layout.
      std::vector<std::pair<uint64_t, uint64_t>> blocks;
      for (const auto& [key, offset] : m2->alignment_table().blocks()) blocks.push_back({offset, key});
      std::sort(blocks.begin(), blocks.end());
      std::vector<uint64_t> keys;
      for (const auto& block : blocks) keys.push_back(block.second);
      writer->PutUint64s("model2.lengths", keys);
      writer->PutDoubles("model2.probs", m2->alignment_table().probs());
    } else if (const auto* d = dynamic_cast<const DiagonalModel*>(&model)) {
      writer->PutDoubles("diagonal.tension", {d->tension()});
      writer->PutDoubles("diagonal.p0", {d->options().p0});
    }
    return absl::OkStatus();
  }
  if (const auto* h = dynamic_cast<const HmmModel*>(&model)) {
    WriteTable(h->translation_table(), writer);
    writer->PutUint64s("use_null", {h->use_null() ? 1u : 0u});
    writer->PutDoubles("hmm.p0", {h->options().null_probability});
    writer->PutDoubles("hmm.jump_smoothing", {h->options().jump_smoothing});
    writer->PutDoubles("hmm.diagonal_tension", {h->options().diagonal_tension});
    writer->PutUint64s("hmm.end_jump", {h->options().end_jump ? 1u : 0u});
    writer->PutUint64s("hmm.max_jump", {static_cast<uint64_t>(h->options().max_jump)});
    writer->PutDoubles("hmm.weights", h->jump_weights());
    return absl::OkStatus();
  }
  return absl::UnimplementedError(absl::StrCat("cannot save a ", model.name(), " model"));
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
  ASSIGN_OR_RETURN(loaded.metadata.training_options, reader.GetString("training_options"));
  if (reader.Has("checkpoint")) {
    ASSIGN_OR_RETURN(auto position, reader.GetUint64s("checkpoint"));
    if (position.size() != 2 || position[0] > 1 || position[1] > (1u << 20)) {
      return Corrupt(origin, "damaged checkpoint position");
    }
    loaded.metadata.checkpoint_stage = static_cast<int>(position[0]);
    loaded.metadata.checkpoint_iteration = static_cast<int>(position[1]);
  }
  ASSIGN_OR_RETURN(auto table, ReadTable(reader, loaded.source_vocabulary.size(),
                                         loaded.target_vocabulary.size()));
  ASSIGN_OR_RETURN(auto use_null_flag, reader.GetUint64s("use_null"));
  if (use_null_flag.size() != 1 || use_null_flag[0] > 1) return Corrupt(origin, "damaged use_null");
  const bool use_null = use_null_flag[0] == 1;
  // The prior only matters for training; a loaded model aligns.
  const TranslationPrior prior;
  if (name == "model1") {
    loaded.model = std::make_unique<Model1>(table, use_null, prior);
  } else if (name == "model2") {
    ASSIGN_OR_RETURN(auto lengths, reader.GetUint64s("model2.lengths"));
    ASSIGN_OR_RETURN(auto probs, reader.GetDoubles("model2.probs"));
    AlignmentTable alignment;
    size_t expected = 0;
    for (uint64_t key : lengths) {
      const uint64_t l = key >> 32, m = key & 0xffffffffu;
      if (l == 0 || m == 0 || l > (1u << 20) || m > (1u << 20)) {
        return Corrupt(origin, "damaged model2 lengths");
      }
      expected += (l + 1) * m;
      if (expected > probs.size()) return Corrupt(origin, "model2 table is too short");
      alignment.AddLengths(l, m, use_null);
    }
    if (expected != probs.size()) return Corrupt(origin, "model2 table has the wrong size");
    for (double p : probs) {
      if (!(p >= 0 && p <= 1)) return Corrupt(origin, "model2 probability outside [0, 1]");
    }
    alignment.mutable_probs() = std::move(probs);
    loaded.model = std::make_unique<Model2>(table, std::move(alignment), use_null, prior);
  } else if (name == "diagonal") {
    DiagonalOptions options;
    ASSIGN_OR_RETURN(options.tension, ReadScalar(reader, "diagonal.tension"));
    ASSIGN_OR_RETURN(options.p0, ReadScalar(reader, "diagonal.p0"));
    options.optimize_tension = false;
    if (!(options.tension > 0 && options.tension < 1e6) || !(options.p0 >= 0 && options.p0 < 1)) {
      return Corrupt(origin, "diagonal parameters out of range");
    }
    loaded.model = std::make_unique<DiagonalModel>(table, use_null, prior, options,
                                                   std::vector<std::pair<std::pair<uint32_t, uint32_t>, int64_t>>());
  } else if (name == "hmm") {
    HmmOptions options;
    ASSIGN_OR_RETURN(options.null_probability, ReadScalar(reader, "hmm.p0"));
    ASSIGN_OR_RETURN(options.jump_smoothing, ReadScalar(reader, "hmm.jump_smoothing"));
    ASSIGN_OR_RETURN(options.diagonal_tension, ReadScalar(reader, "hmm.diagonal_tension"));
    ASSIGN_OR_RETURN(auto end_jump, reader.GetUint64s("hmm.end_jump"));
    if (end_jump.size() != 1 || end_jump[0] > 1 || !(options.diagonal_tension >= 0 &&
                                                     options.diagonal_tension <= 700)) {
      return Corrupt(origin, "hmm parameters out of range");
    }
    options.end_jump = end_jump[0] == 1;
    ASSIGN_OR_RETURN(auto max_jump, reader.GetUint64s("hmm.max_jump"));
    ASSIGN_OR_RETURN(auto weights, reader.GetDoubles("hmm.weights"));
    if (max_jump.size() != 1 || max_jump[0] == 0 || max_jump[0] > 10000 ||
        !(options.null_probability >= 0 && options.null_probability < 1) ||
        !(options.jump_smoothing >= 0 && options.jump_smoothing <= 1)) {
      return Corrupt(origin, "hmm parameters out of range");
    }
    options.max_jump = static_cast<int>(max_jump[0]);
    auto hmm = std::make_unique<HmmModel>(table, use_null, prior, options, 0);
    if (weights.size() != hmm->num_buckets()) return Corrupt(origin, "hmm weights have the wrong size");
    for (double w : weights) {
      if (!(w >= 0 && w <= 1)) return Corrupt(origin, "hmm weight outside [0, 1]");
    }
    hmm->set_jump_weights(weights);
    loaded.model = std::move(hmm);
  } else {
    return Corrupt(origin, absl::StrCat("unknown model '", name, "'"));
  }
  return loaded;
}

absl::StatusOr<LoadedModel> LoadModel(const std::string& path) {
  ASSIGN_OR_RETURN(ModelReader reader, ModelReader::Open(path));
  return ReadModel(reader);
}

}  // namespace aligner
