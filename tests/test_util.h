// Helpers shared by the tests.
#ifndef ALIGNER_TESTS_TEST_UTIL_H_
#define ALIGNER_TESTS_TEST_UTIL_H_

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/train/em_trainer.h"
#include "aligner/train/training.h"
#include "gtest/gtest.h"

namespace aligner {

// A fixture with a fresh directory per test, removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           (std::string("aligner_") + info->test_suite_name() + "_" + info->name() + "_" +
            std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // A path in the test's directory.
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // Writes `contents` to Path(name) and returns that path.
  std::string WriteFile(const std::string& name, const std::string& contents) const {
    const std::string path = Path(name);
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  static std::string ReadWholeFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }

  // The names in the test's directory, sorted.
  std::vector<std::string> ListDir() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::filesystem::path dir_;
};

// Trains a model on `corpus` with `threads` threads as the tool does, without
// progress reports: for tests that need a trained model but not its trainer.
inline absl::StatusOr<std::unique_ptr<AlignmentModel>> TrainQuietly(const ParallelCorpus& corpus,
                                                                    const TrainingOptions& options,
                                                                    int threads) {
  EmTrainer trainer(corpus, threads);
  return TrainModel(corpus, options, &trainer, [](const IterationReport&) {});
}

// Reads a shipped line-parallel pair of files from tests/data once per test
// binary; a read error fails the test that asked.
inline const ParallelCorpus& ShippedCorpus(const std::string& source, const std::string& target) {
  const std::string dir = ALIGNER_TEST_DATA_DIR;
  CorpusReport report;
  auto read =
      ReadParallelFiles(dir + "/" + source, dir + "/" + target, CorpusReadOptions(), &report);
  if (!read.ok()) {
    ADD_FAILURE() << read.status();
    return *new ParallelCorpus();
  }
  return *new ParallelCorpus(std::move(*read));
}

// The 10k-pair Hansards slice.
inline const ParallelCorpus& Hansards() {
  static const ParallelCorpus& corpus = ShippedCorpus("hansards10k.fr.gz", "hansards10k.en.gz");
  return corpus;
}

// The 37 Hansards trial pairs.
inline const ParallelCorpus& TrialCorpus() {
  static const ParallelCorpus& corpus = ShippedCorpus("trial.fr", "trial.en");
  return corpus;
}

// The first n pairs of `full`, with its vocabularies.
inline ParallelCorpus FirstPairs(const ParallelCorpus& full, size_t n) {
  ParallelCorpus corpus;
  corpus.mutable_source_vocabulary() = full.source_vocabulary();
  corpus.mutable_target_vocabulary() = full.target_vocabulary();
  for (size_t k = 0; k < std::min(n, full.size()); ++k) {
    corpus.mutable_source_text().AddSentence(full.pair(k).source);
    corpus.mutable_target_text().AddSentence(full.pair(k).target);
  }
  return corpus;
}

}  // namespace aligner

#endif  // ALIGNER_TESTS_TEST_UTIL_H_
