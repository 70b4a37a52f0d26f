#include "aligner/model/model_io.h"

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "aligner/corpus/parallel_corpus.h"
#include "aligner/decode/decoder.h"
#include "aligner/io/model_file.h"
#include "aligner/train/em_trainer.h"
#include "aligner/train/training.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

using ::testing::HasSubstr;

std::string WriteTemp(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::vector<std::vector<uint32_t>> ViterbiAll(const AlignmentModel& model,
                                              const ParallelCorpus& corpus) {
  std::vector<std::vector<uint32_t>> result;
  for (size_t k = 0; k < corpus.size(); ++k) {
    std::vector<uint32_t> alignment;
    model.ViterbiAlign(corpus.pair(k), &alignment);
    result.push_back(alignment);
  }
  return result;
}

class ModelRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelRoundTrip, LoadedModelAlignsTheTrainingDataIdentically) {
  TrainingOptions options;
  options.model = GetParam();
  options.iterations = 3;
  options.prior.variational_bayes = true;
  options.diagonal.optimize_tension = true;
  auto model = TrainQuietly(TrialCorpus(), options, 1);
  ASSERT_TRUE(model.ok()) << model.status();
  ModelMetadata metadata;
  metadata.lowercase = true;
  metadata.stem_length = 4;
  metadata.max_sentence_length = 77;
  metadata.training_options = "model=x";
  const std::string path = ::testing::TempDir() + "/roundtrip." + (*model)->name();
  ASSERT_TRUE(SaveModel(**model, TrialCorpus().source_vocabulary(),
                        TrialCorpus().target_vocabulary(), metadata, path)
                  .ok());
  auto loaded = LoadModel(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->model->name(), (*model)->name());
  EXPECT_TRUE(loaded->metadata.lowercase);
  EXPECT_EQ(loaded->metadata.stem_length, 4u);
  EXPECT_FALSE(loaded->metadata.reverse);
  EXPECT_EQ(loaded->metadata.max_sentence_length, 77u);
  EXPECT_EQ(loaded->metadata.training_options, "model=x");
  ASSERT_EQ(loaded->source_vocabulary.size(), TrialCorpus().source_vocabulary().size());
  for (WordId id = 1; id < TrialCorpus().source_vocabulary().size(); ++id) {
    EXPECT_EQ(loaded->source_vocabulary.word(id), TrialCorpus().source_vocabulary().word(id));
  }
  EXPECT_EQ(ViterbiAll(*loaded->model, TrialCorpus()), ViterbiAll(**model, TrialCorpus()));
  // Posteriors too, bit for bit.
  std::vector<double> a, b;
  for (size_t k = 0; k < TrialCorpus().size(); ++k) {
    (*model)->Posteriors(TrialCorpus().pair(k), &a);
    loaded->model->Posteriors(TrialCorpus().pair(k), &b);
    ASSERT_EQ(a, b) << "pair " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(AllModels, ModelRoundTrip,
                         ::testing::Values("model1", "model2", "diagonal", "hmm"),
                         [](const auto& info) { return std::string(info.param); });

TEST(ModelIo, UnknownWordsAlignByPositionWithoutCrashing) {
  TrainingOptions options;
  auto model = TrainQuietly(TrialCorpus(), options, 1);
  ASSERT_TRUE(model.ok());
  // Ids far past the vocabulary and the table.
  const std::vector<WordId> source = {1, 999999, 2};
  const std::vector<WordId> target = {888888, 1, 777777, 3};
  std::vector<uint32_t> alignment;
  (*model)->ViterbiAlign({source, target}, &alignment);
  ASSERT_EQ(alignment.size(), target.size());
  for (uint32_t i : alignment) EXPECT_LE(i, source.size());
  std::vector<double> posteriors;
  (*model)->Posteriors({source, target}, &posteriors);
  for (size_t j = 0; j < target.size(); ++j) {
    double sum = 0;
    for (size_t i = 0; i <= source.size(); ++i) sum += posteriors[j * (source.size() + 1) + i];
    EXPECT_NEAR(sum, 1.0, 1e-9);
  }
}

std::string SavedModelBytes() {
  TrainingOptions options;
  options.iterations = 1;
  auto model = TrainQuietly(TrialCorpus(), options, 1);
  ModelWriter writer;
  EXPECT_TRUE(WriteModel(**model, TrialCorpus().source_vocabulary(),
                         TrialCorpus().target_vocabulary(), ModelMetadata(), &writer)
                  .ok());
  return writer.Serialize();
}

TEST(ModelIo, TruncatedFileIsAClearError) {
  const std::string bytes = SavedModelBytes();
  for (size_t keep : {size_t{0}, size_t{5}, size_t{20}, bytes.size() / 2, bytes.size() - 1}) {
    const std::string path = WriteTemp("truncated.model", bytes.substr(0, keep));
    auto loaded = LoadModel(path);
    ASSERT_FALSE(loaded.ok()) << "kept " << keep << " bytes";
    EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(path));
    EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("not a valid model file"));
  }
}

TEST(ModelIo, CorruptedByteIsDetectedByTheChecksum) {
  std::string bytes = SavedModelBytes();
  bytes[bytes.size() / 2] ^= 0x5a;
  auto loaded = LoadModel(WriteTemp("corrupt.model", bytes));
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("checksum"));
}

TEST(ModelIo, ForeignFileIsRejected) {
  auto loaded = LoadModel(WriteTemp("foreign.model", "0-1 1-2\nthis is a Pharaoh file\n"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("header"));
  auto missing = LoadModel(::testing::TempDir() + "/does-not-exist.model");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("does-not-exist.model"));
}

TEST(ModelIo, NewerFormatVersionIsRejected) {
  std::string bytes = SavedModelBytes();
  bytes[14] = 99;  // the version follows the 14-byte magic line
  auto loaded = LoadModel(WriteTemp("version.model", bytes));
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("version"));
}

TEST(ModelIo, WellFormedFileWithInconsistentTableIsRejected) {
  // A valid container whose translation table points past its arrays.
  ModelWriter writer;
  writer.PutString("model", "model1");
  writer.PutString("source_vocabulary", "a\nb");
  writer.PutString("target_vocabulary", "x");
  writer.PutUint64s("metadata", {0, 0, 1000});
  writer.PutString("training_options", "");
  writer.PutUint64s("ttable.row_offsets", {0, 1, 5});
  writer.PutUint32s("ttable.targets", {1, 1});
  writer.PutFloats("ttable.probs", {0.5f, 0.5f});
  writer.PutUint64s("use_null", {1});
  auto reader = ModelReader::Parse(writer.Serialize(), "inconsistent.model");
  ASSERT_TRUE(reader.ok());
  auto loaded = ReadModel(*reader);
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("inconsistent.model"));
}

}  // namespace
}  // namespace aligner
