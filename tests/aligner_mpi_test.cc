// aligner-mpi against aligner: for 1 to 4 ranks (mpirun --oversubscribe),
// the links, GIZA++ A3 file, translation table and model file are
// byte-identical to one process's (symmetric and --agreement too), on the
// Hansards 10k slice with empty and
// over-long lines at every block boundary; and bad input ends the job with
// the rank, file and line named and no output under its final name, as does
// a killed rank.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "aligner/cli/flags.h"
#include "aligner/model/model_io.h"
#include "aligner/pipeline/pipeline.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::string kAligner = ALIGNER_BINARY;
const std::string kAlignerMpi = ALIGNER_MPI_BINARY;
const std::string kMpiexec = ALIGNER_MPIEXEC;
const std::string kData = ALIGNER_TEST_DATA_DIR;
constexpr int kMaxRanks = 4;
constexpr int kMaxSentenceLength = 80;

struct RunResult {
  int exit_code = -1;
  std::string err;
};

std::vector<std::string> ReadGzipLines(const std::string& path) {
  const std::string command = "gzip -dc '" + path + "'";
  std::vector<std::string> lines;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return lines;
  std::string line;
  for (int c; (c = std::fgetc(pipe)) != EOF;) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line.push_back(static_cast<char>(c));
    }
  }
  pclose(pipe);
  return lines;
}

// The warnings of a run's stderr without the program's name, so that
// aligner's and aligner-mpi's can be compared.
std::vector<std::string> Warnings(const std::string& err) {
  std::vector<std::string> warnings;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    const size_t at = line.find("warning: ");
    if (at != std::string::npos) warnings.push_back(line.substr(at));
  }
  return warnings;
}

class AlignerMpiTest : public TempDirTest {
 protected:
  // Hansards 10k as plain files, with empty sides and over-long sides at
  // the first and last lines and on both sides of every block boundary of
  // 2, 3 and 4 ranks.
  void WriteCorpus() {
    std::vector<std::string> fr = ReadGzipLines(kData + "/hansards10k.fr.gz");
    std::vector<std::string> en = ReadGzipLines(kData + "/hansards10k.en.gz");
    ASSERT_EQ(fr.size(), en.size());
    ASSERT_GT(fr.size(), 1000u);
    std::string long_side;
    for (int k = 0; k <= kMaxSentenceLength; ++k) long_side += "mot" + std::to_string(k) + " ";
    const size_t n = fr.size();
    fr[0] = "";
    en[n - 1] = long_side;
    for (int ranks = 2; ranks <= kMaxRanks; ++ranks) {
      for (int r = 1; r < ranks; ++r) {
        const size_t boundary = n * r / ranks;  // first line of block r
        en[boundary - 1] = "";
        fr[boundary] = long_side;
      }
    }
    std::string fr_text, en_text;
    for (size_t k = 0; k < n; ++k) {
      fr_text += fr[k] + "\n";
      en_text += en[k] + "\n";
    }
    fr_ = WriteFile("corpus.fr", fr_text);
    en_ = WriteFile("corpus.en", en_text);
  }

  // Runs `command` in a fresh directory `dir` (so outputs have the same
  // relative names, and model files record the same command line).
  RunResult RunIn(const std::string& dir, const std::string& command) const {
    fs::create_directories(Path(dir));
    const std::string err = Path(dir + ".stderr");
    const std::string full = "cd '" + Path(dir) + "' && " + command + " > stdout 2> '" + err + "'";
    const int status = std::system(full.c_str());
    RunResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.err = ReadWholeFile(err);
    return result;
  }

  std::string Mpirun(int ranks) const {
    // --bind-to none: Open MPI binds each of up to 2 ranks to one core,
    // which would make the runs with --threads 2 one thread each.
    return "'" + kMpiexec + "' --oversubscribe --bind-to none --allow-run-as-root -np " +
           std::to_string(ranks) + " '" + kAlignerMpi + "'";
  }

  // Trains with `flags` by aligner and by aligner-mpi on 1-4 ranks; every
  // output file must be byte-identical.
  // Runs `args` (symmetric by agreement) on 1 to kMaxRanks ranks: its four
  // files must be those the one-process run wrote into one/.
  void ExpectAgreementFilesAsOneProcess(const std::string& args) {
    for (int ranks = 1; ranks <= kMaxRanks; ++ranks) {
      const std::string dir = "mpi" + std::to_string(ranks);
      const RunResult mpi = RunIn(dir, Mpirun(ranks) + " " + args + " --threads 1");
      ASSERT_EQ(mpi.exit_code, 0) << mpi.err;
      for (const std::string name :
           {"out.forward", "out.reverse", "out.agreement", "out.grow-diag-final-and"}) {
        const std::string expected = ReadWholeFile(Path("one/" + name));
        ASSERT_FALSE(expected.empty()) << name;
        EXPECT_TRUE(ReadWholeFile(Path(dir + "/" + name)) == expected)
            << name << " differs with " << ranks << " ranks";
      }
    }
  }

  void ExpectIdenticalOutputs(const std::string& flags) {
    WriteCorpus();
    const std::string args = "train --source '" + fr_ + "' --target '" + en_ +
                             "' --max-sentence-length " + std::to_string(kMaxSentenceLength) +
                             " --output out.align --giza-a3 out.a3 -p out.ttable --model-file "
                             "out.model --threads 1 " +
                             flags;
    const std::vector<std::string> outputs = {"out.align", "out.a3", "out.ttable", "out.model"};
    // The same --threads on both: the model file records the command line.
    const RunResult one = RunIn("one", "'" + kAligner + "' " + args);
    ASSERT_EQ(one.exit_code, 0) << one.err;
    ASSERT_EQ(Warnings(one.err).size(), 2u) << one.err;  // the empty and the long sides
    for (int ranks = 1; ranks <= kMaxRanks; ++ranks) {
      const std::string dir = "mpi" + std::to_string(ranks);
      const RunResult mpi = RunIn(dir, Mpirun(ranks) + " " + args);
      ASSERT_EQ(mpi.exit_code, 0) << mpi.err;
      EXPECT_EQ(Warnings(mpi.err), Warnings(one.err)) << ranks << " ranks";
      for (const std::string& name : outputs) {
        const std::string expected = ReadWholeFile(Path("one/" + name));
        ASSERT_FALSE(expected.empty()) << name;
        EXPECT_TRUE(ReadWholeFile(Path(dir + "/" + name)) == expected)
            << name << " differs with " << ranks << " ranks";
      }
    }
  }

  // --checkpoint and --resume with `flags` (a schedule of several
  // iterations): aligner-mpi's checkpoints are aligner's files at the same
  // iteration, and a run resumed from a checkpoint taken mid-run, by
  // aligner-mpi on 2 or 3 ranks or by aligner, ends with the outputs of the
  // uninterrupted run.
  void ExpectCheckpointsAndResumeAsOneProcess(const std::vector<std::string>& flags) {
    WriteCorpus();
    std::vector<std::string> words = {"align",
                                      "--source",
                                      fr_,
                                      "--target",
                                      en_,
                                      "--max-sentence-length",
                                      std::to_string(kMaxSentenceLength),
                                      "--threads",
                                      "1",
                                      "--output",
                                      "out.align",
                                      "-p",
                                      "out.ttable"};
    words.insert(words.end(), flags.begin(), flags.end());
    std::vector<std::string> with_checkpoint = words;
    with_checkpoint.insert(with_checkpoint.end(), {"--checkpoint", "ckpt"});
    const std::vector<std::string> outputs = {"out.align", "out.ttable"};

    // aligner's run in this process, so that every iteration's checkpoint
    // is kept: an iteration's report is logged before its checkpoint is
    // written, so at each report the file holds the iteration before.
    std::map<std::pair<int, int>, std::string> one_checkpoints;  // position -> a copy
    {
      fs::create_directories(Path("one"));
      const fs::path cwd = fs::current_path();
      fs::current_path(Path("one"));
      const auto keep = [&] {
        if (!fs::exists("ckpt")) return;
        const std::pair<int, int> position = CheckpointPosition("ckpt");
        const std::string copy = Path("one/ckpt." + std::to_string(position.first) + "." +
                                      std::to_string(position.second));
        if (!fs::exists(copy)) fs::copy_file("ckpt", copy);
        one_checkpoints[position] = copy;
      };
      std::vector<std::string> argv_words = with_checkpoint;
      std::vector<char*> argv;
      for (std::string& word : argv_words) argv.push_back(word.data());
      const cli::Parsed<AlignOptions> parsed =
          cli::ParseAlign(static_cast<int>(argv.size()), argv.data());
      const absl::Status status =
          parsed.status.ok() ? RunAlign(parsed.options, [&](const std::string&) { keep(); })
                             : parsed.status;
      keep();
      fs::current_path(cwd);
      ASSERT_TRUE(status.ok()) << status;
    }
    ASSERT_GE(one_checkpoints.size(), 3u);
    const std::pair<int, int> last = one_checkpoints.rbegin()->first;

    // aligner-mpi's runs, each checkpoint file it renames into place linked
    // to while it runs.
    std::vector<std::string> mpi_checkpoints;  // written mid-run
    for (int ranks : {2, 3}) {
      const std::string dir = "mpi" + std::to_string(ranks);
      const RunResult mpi =
          RunIn(dir, "(" + Mpirun(ranks) + " " + Quoted(with_checkpoint) +
                         " & job=$!; n=0; while kill -0 $job 2>/dev/null; do "
                         "if [ -e ckpt ] && ! [ ckpt -ef seen.$((n-1)) ]; then "
                         "ln ckpt seen.$n 2>/dev/null && n=$((n+1)); fi; sleep 0.02; done; "
                         "wait $job)");
      ASSERT_EQ(mpi.exit_code, 0) << mpi.err;
      ExpectSameOutputs("one", dir, outputs);
      EXPECT_TRUE(ReadWholeFile(Path(dir + "/ckpt")) == ReadWholeFile(one_checkpoints[last]))
          << "the last checkpoint differs with " << ranks << " ranks";
      for (const auto& entry : fs::directory_iterator(Path(dir))) {
        if (entry.path().filename().string().rfind("seen.", 0) != 0) continue;
        const std::pair<int, int> position = CheckpointPosition(entry.path().string());
        ASSERT_EQ(one_checkpoints.count(position), 1u) << entry.path();
        EXPECT_TRUE(ReadWholeFile(entry.path().string()) ==
                    ReadWholeFile(one_checkpoints[position]))
            << "the checkpoint after stage " << position.first << " iteration " << position.second
            << " differs with " << ranks << " ranks";
        if (position != last) mpi_checkpoints.push_back(entry.path().string());
      }
    }

    // aligner's checkpoints after the first and the second iteration
    // resumed on 3 and 2 ranks.
    auto position = one_checkpoints.begin();
    for (int ranks : {3, 2}) {
      const std::string dir = "resume" + std::to_string(ranks);
      std::vector<std::string> resume = words;
      resume.insert(resume.end(), {"--resume", position->second});
      const RunResult mpi = RunIn(dir, Mpirun(ranks) + " " + Quoted(resume));
      ASSERT_EQ(mpi.exit_code, 0) << mpi.err;
      EXPECT_THAT(mpi.err, HasSubstr("resuming from " + position->second + " after "));
      ExpectSameOutputs("one", dir, outputs);
      ++position;
    }
    // One of aligner-mpi's checkpoints (mid-run when one was seen, else its
    // last) resumed by aligner-mpi on 3 ranks and by aligner.
    const std::string mpi_checkpoint =
        mpi_checkpoints.empty() ? Path("mpi2/ckpt") : mpi_checkpoints.front();
    std::cerr << "resuming from aligner-mpi's checkpoint after stage "
              << CheckpointPosition(mpi_checkpoint).first << " iteration "
              << CheckpointPosition(mpi_checkpoint).second << " (" << mpi_checkpoints.size()
              << " seen mid-run)\n";
    std::vector<std::string> resume = words;
    resume.insert(resume.end(), {"--resume", mpi_checkpoint});
    const RunResult mpi = RunIn("resume_mpi", Mpirun(3) + " " + Quoted(resume));
    ASSERT_EQ(mpi.exit_code, 0) << mpi.err;
    ExpectSameOutputs("one", "resume_mpi", outputs);
    const RunResult one = RunIn("resume_one", "'" + kAligner + "' " + Quoted(resume));
    ASSERT_EQ(one.exit_code, 0) << one.err;
    ExpectSameOutputs("one", "resume_one", outputs);
  }

  // Each of `names` in `dir` is byte-identical to the one in `expected_dir`.
  void ExpectSameOutputs(const std::string& expected_dir, const std::string& dir,
                         const std::vector<std::string>& names) const {
    for (const std::string& name : names) {
      const std::string expected = ReadWholeFile(Path(expected_dir + "/" + name));
      ASSERT_FALSE(expected.empty()) << name;
      EXPECT_TRUE(ReadWholeFile(Path(dir + "/" + name)) == expected)
          << name << " differs in " << dir;
    }
  }

  // A checkpoint's position in the schedule (stage, iteration).
  static std::pair<int, int> CheckpointPosition(const std::string& path) {
    absl::StatusOr<LoadedModel> model = LoadModel(path);
    if (!model.ok()) {
      ADD_FAILURE() << model.status();
      return {-1, -1};
    }
    return {model->metadata.checkpoint_stage, model->metadata.checkpoint_iteration};
  }

  // Words as one shell command line.
  static std::string Quoted(const std::vector<std::string>& words) {
    std::string line;
    for (const std::string& word : words) line += (line.empty() ? "'" : " '") + word + "'";
    return line;
  }

  std::string fr_, en_;
};

TEST_F(AlignerMpiTest, Model1IsIdenticalForOneToFourRanks) { ExpectIdenticalOutputs("-I 3"); }

TEST_F(AlignerMpiTest, Model2IsIdenticalForOneToFourRanks) {
  ExpectIdenticalOutputs("--model model2 --model1-iterations 2 -I 2");
}

TEST_F(AlignerMpiTest, DiagonalIsIdenticalForOneToFourRanks) {
  ExpectIdenticalOutputs("-d -o -v -I 4");
}

TEST_F(AlignerMpiTest, HmmIsIdenticalForOneToFourRanks) {
  ExpectIdenticalOutputs("--model hmm -v -I 2 --lowercase");
}

// Hard EM: each rank counts its block's Viterbi alignments.
TEST_F(AlignerMpiTest, ViterbiTrainingIsIdenticalForOneToFourRanks) {
  ExpectIdenticalOutputs("--model hmm -I 3 --model1-iterations 1 --viterbi-training");
}

TEST_F(AlignerMpiTest, SymmetricIsIdentical) {
  WriteCorpus();
  const std::string args = "symmetric --source '" + fr_ + "' --target '" + en_ +
                           "' --no-agreement -d -o -v -I 2 --prefix out --max-sentence-length " +
                           std::to_string(kMaxSentenceLength);
  const RunResult one = RunIn("one", "'" + kAligner + "' " + args);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const RunResult mpi = RunIn("mpi3", Mpirun(3) + " " + args + " --threads 1");
  ASSERT_EQ(mpi.exit_code, 0) << mpi.err;
  for (const std::string name : {"out.forward", "out.reverse", "out.grow-diag-final-and"}) {
    const std::string expected = ReadWholeFile(Path("one/" + name));
    ASSERT_FALSE(expected.empty()) << name;
    EXPECT_TRUE(ReadWholeFile(Path("mpi3/" + name)) == expected) << name;
  }
}

TEST_F(AlignerMpiTest, AgreementIsIdenticalForOneToFourRanks) {
  WriteCorpus();
  const std::string args = "symmetric --agreement --no-fertility --model hmm -I 2 --source '" +
                           fr_ + "' --target '" + en_ + "' --prefix out --max-sentence-length " +
                           std::to_string(kMaxSentenceLength);
  const RunResult one = RunIn("one", "'" + kAligner + "' " + args);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ExpectAgreementFilesAsOneProcess(args);
}

// symmetric with no model flags: the agreement HMM with a fertility model
// per direction, whose counts are summed over ranks too.
TEST_F(AlignerMpiTest, SymmetricDefaultWithFertilityIsIdenticalForOneToFourRanks) {
  WriteCorpus();
  const std::string args = "symmetric --source '" + fr_ + "' --target '" + en_ +
                           "' --prefix out --max-sentence-length " +
                           std::to_string(kMaxSentenceLength);
  const RunResult one = RunIn("one", "'" + kAligner + "' " + args);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  // The fertility models did run (the default): --no-fertility differs.
  const RunResult plain = RunIn("plain", "'" + kAligner + "' " + args + " --no-fertility");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_FALSE(ReadWholeFile(Path("plain/out.agreement")) ==
               ReadWholeFile(Path("one/out.agreement")));
  ExpectAgreementFilesAsOneProcess(args);
  // And with two threads on each of two ranks.
  const RunResult threads = RunIn("threads", Mpirun(2) + " " + args + " --threads 2");
  ASSERT_EQ(threads.exit_code, 0) << threads.err;
  if (std::thread::hardware_concurrency() >= 2) {
    EXPECT_THAT(threads.err, Not(HasSubstr("--threads 2 but"))) << "the ranks were bound";
  }
  for (const std::string name :
       {"out.forward", "out.reverse", "out.agreement", "out.grow-diag-final-and"}) {
    EXPECT_TRUE(ReadWholeFile(Path("threads/" + name)) == ReadWholeFile(Path("one/" + name)))
        << name;
  }
}

// Threads asked for beyond the CPUs a rank is bound to are named in a
// warning (they would share the CPU); the run goes on.
TEST_F(AlignerMpiTest, WarnsWhenBoundToFewerCpusThanThreads) {
  WriteCorpus();
  const std::string run = "'" + kMpiexec + "' --allow-run-as-root --bind-to core -np 1 '" +
                          kAlignerMpi + "' align --quiet --source '" + fr_ + "' --target '" + en_ +
                          "' --max-sentence-length " + std::to_string(kMaxSentenceLength) +
                          " --output out.align --threads 8";
  const RunResult bound = RunIn("bound", run);
  if (bound.exit_code != 0 && bound.err.find("bind") != std::string::npos) {
    GTEST_SKIP() << "mpirun cannot bind to cores here: " << bound.err;
  }
  ASSERT_EQ(bound.exit_code, 0) << bound.err;
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "one CPU: binding narrows nothing";
  EXPECT_THAT(bound.err, HasSubstr("warning: --threads 8 but this process may run on only 1 CPU"));
  EXPECT_THAT(bound.err, HasSubstr("--bind-to none"));
  EXPECT_FALSE(ReadWholeFile(Path("bound/out.align")).empty());
}

TEST_F(AlignerMpiTest, HmmCheckpointsAndResumeAreOneProcesss) {
  ExpectCheckpointsAndResumeAsOneProcess(
      {"--model", "hmm", "--model1-iterations", "1", "-I", "3", "--lowercase"});
}

TEST_F(AlignerMpiTest, DiagonalCheckpointsAndResumeAreOneProcesss) {
  ExpectCheckpointsAndResumeAsOneProcess({"-d", "-o", "-v", "-I", "3"});
}

// Resuming another run's checkpoint is refused as in one process, naming
// what differs, as is a missing one; no output is written.
TEST_F(AlignerMpiTest, ResumeRefusesWhatOneProcessRefuses) {
  WriteCorpus();
  const std::string corpus = " --source '" + fr_ + "' --target '" + en_ + "'";
  const std::string run = "align --model hmm -I 2 --threads 1 --output out" + corpus;
  const RunResult first = RunIn("first", Mpirun(2) + " " + run + " --checkpoint ckpt");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  for (const std::string& args : {"align --model hmm -I 3 --threads 1 --output out" + corpus +
                                      " --resume '" + Path("first/ckpt") + "'",
                                  run + " --hmm-p0 0.3 --resume '" + Path("first/ckpt") + "'",
                                  run + " --resume '" + Path("missing") + "'"}) {
    const RunResult one = RunIn("one", "'" + kAligner + "' " + args);
    ASSERT_EQ(one.exit_code, 1) << one.err;
    const std::string message = one.err.substr(one.err.find("error: ") + 7);
    for (int ranks : {2, 3}) {
      const std::string dir = "mpi" + std::to_string(ranks);
      const RunResult mpi = RunIn(dir, Mpirun(ranks) + " " + args);
      EXPECT_EQ(mpi.exit_code, 1) << mpi.err;
      EXPECT_THAT(mpi.err, HasSubstr("error: rank ")) << args;
      EXPECT_THAT(mpi.err, HasSubstr(message.substr(0, message.find('\n')))) << args;
      EXPECT_FALSE(fs::exists(Path(dir + "/out"))) << args;
      fs::remove_all(Path(dir));
    }
    fs::remove_all(Path("one"));
  }
}

TEST_F(AlignerMpiTest, MoreRanksThanLinesAndEmptyInput) {
  // Ranks with empty blocks, and a corpus with no lines at all.
  const std::string fr = WriteFile("tiny.fr", "a b\nc d e\n");
  const std::string en = WriteFile("tiny.en", "x y\nz w\n");
  const std::string empty_fr = WriteFile("empty.fr", ""), empty_en = WriteFile("empty.en", "");
  for (const std::string& args :
       {"train --model hmm --output out --model-file model --source '" + fr + "' --target '" + en +
            "'",
        "align -d --output out --source '" + empty_fr + "' --target '" + empty_en + "'"}) {
    const RunResult one = RunIn("one", "'" + kAligner + "' " + args);
    ASSERT_EQ(one.exit_code, 0) << one.err;
    const RunResult mpi = RunIn("mpi4", Mpirun(4) + " " + args);
    ASSERT_EQ(mpi.exit_code, 0) << mpi.err;
    for (const std::string name : {"out", "model"}) {
      EXPECT_EQ(fs::exists(Path("one/" + name)), fs::exists(Path("mpi4/" + name))) << name;
      EXPECT_TRUE(ReadWholeFile(Path("mpi4/" + name)) == ReadWholeFile(Path("one/" + name)))
          << name << " of: " << args;
    }
    fs::remove_all(Path("one"));
    fs::remove_all(Path("mpi4"));
  }
}

TEST_F(AlignerMpiTest, LoadModelAlignsNewTextIdentically) {
  WriteCorpus();
  // A reverse-direction model, then new text with words it never saw.
  const RunResult trained = RunIn("model", "'" + kAligner + "' train -d -r -I 2 --source '" + fr_ +
                                               "' --target '" + en_ + "' --model-file model");
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const std::string fr = WriteFile("new.fr", "la maison bleue\nzorglub la\n\nle chat noir\n");
  const std::string en = WriteFile("new.en", "the blue house\nthe zorglub\nempty\nthe black cat\n");
  const std::string args = "align --load-model '" + Path("model/model") + "' --source '" + fr +
                           "' --target '" + en + "' --output out --giza-a3 a3 -p ttable";
  const RunResult one = RunIn("one", "'" + kAligner + "' " + args);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  for (int ranks : {1, 3}) {
    const std::string dir = "mpi" + std::to_string(ranks);
    const RunResult mpi = RunIn(dir, Mpirun(ranks) + " " + args);
    ASSERT_EQ(mpi.exit_code, 0) << mpi.err;
    for (const std::string name : {"out", "a3", "ttable"}) {
      const std::string expected = ReadWholeFile(Path("one/" + name));
      ASSERT_FALSE(expected.empty()) << name;
      EXPECT_TRUE(ReadWholeFile(Path(dir + "/" + name)) == expected)
          << name << " differs with " << ranks << " ranks";
    }
  }
}

TEST_F(AlignerMpiTest, CorruptInputFailsNamingRankFileAndLineWithoutOutput) {
  WriteCorpus();
  // A gzip stream damaged in its middle: reading fails at a line past the
  // first block.
  const std::string gz = Path("corpus.fr.gz");
  ASSERT_EQ(std::system(("gzip -c '" + fr_ + "' > '" + gz + "'").c_str()), 0);
  std::string bytes = ReadWholeFile(gz);
  for (size_t k = bytes.size() * 3 / 5; k < bytes.size() * 3 / 5 + 64; ++k) bytes[k] ^= 0x5a;
  std::ofstream(gz, std::ios::binary) << bytes;
  const std::string args = "align --source '" + gz + "' --target '" + en_ + "' -d --output out";
  const RunResult one = RunIn("one", "'" + kAligner + "' " + args);
  ASSERT_NE(one.exit_code, 0);
  const size_t at = one.err.find(gz + ":");
  ASSERT_NE(at, std::string::npos) << one.err;
  // "<path>:<line>: read error ...", as one process names it.
  const std::string where = one.err.substr(at, one.err.find(": ", at + gz.size() + 1) - at);
  for (int ranks : {2, 4}) {
    const std::string dir = "mpi" + std::to_string(ranks);
    const RunResult mpi = RunIn(dir, Mpirun(ranks) + " " + args + " --threads 1");
    EXPECT_NE(mpi.exit_code, 0) << ranks << " ranks";
    EXPECT_THAT(mpi.err, HasSubstr("error: rank ")) << mpi.err;
    EXPECT_THAT(mpi.err, HasSubstr(where)) << mpi.err;
    std::vector<std::string> left;
    for (const auto& entry : fs::directory_iterator(Path(dir))) {
      if (entry.path().filename() != "stdout") left.push_back(entry.path().filename().string());
    }
    EXPECT_THAT(left, IsEmpty()) << "output files left by a failed run";
  }
}

TEST_F(AlignerMpiTest, KilledRankEndsTheJobWithoutOutput) {
  WriteCorpus();
  // Kill one of 3 ranks (children of mpirun) during training.
  const std::string run = Mpirun(3) + " align --model hmm -I 20 --threads 1 --source '" + fr_ +
                          "' --target '" + en_ + "' --output out";
  const RunResult result =
      RunIn("killed", "(" + run +
                          " & job=$!; sleep 4; kill -9 $(pgrep -P $job | tail -1); "
                          "wait $job)");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("rank")) << result.err;
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(Path("killed"))) {
    if (entry.path().filename() != "stdout") left.push_back(entry.path().filename().string());
  }
  EXPECT_THAT(left, IsEmpty()) << "output files left by a killed job";
}

// aligner-mpi parses its options with aligner's own parsers: the same help,
// defaults and usage errors; what it cannot do yet is refused up front.
TEST_F(AlignerMpiTest, TakesExactlyAlignersOptions) {
  const std::string note =
      "aligner-mpi: run as 'mpirun -np N aligner-mpi <command> [options]'; the options are "
      "aligner's:\n\n";
  for (const std::string command : {"align", "train", "symmetric"}) {
    const RunResult one = RunIn("help1", "'" + kAligner + "' " + command + " --help");
    ASSERT_EQ(one.exit_code, 0) << one.err;
    const RunResult mpi = RunIn("help2", Mpirun(2) + " " + command + " --help");
    ASSERT_EQ(mpi.exit_code, 0) << mpi.err;
    const std::string expected = ReadWholeFile(Path("help1/stdout"));
    ASSERT_THAT(expected, HasSubstr("--hmm-diagonal-tension")) << command;
    EXPECT_TRUE(ReadWholeFile(Path("help2/stdout")) == note + expected) << command;
  }
  const std::string fr = WriteFile("o.fr", "a b\n"), en = WriteFile("o.en", "x y\n");
  const std::string corpus = " --source '" + fr + "' --target '" + en + "'";
  for (const std::string& args :
       {"align --bogus" + corpus, "align -d --model hmm" + corpus, "symmetric" + corpus,
        "train --output x" + corpus, std::string("align --stream --load-model m")}) {
    const RunResult one = RunIn("bad1", "'" + kAligner + "' " + args);
    const RunResult mpi = RunIn("bad2", Mpirun(2) + " " + args);
    EXPECT_EQ(mpi.exit_code, 2) << args << "\n" << mpi.err;
    const bool mpi_only = args.find("--stream") != std::string::npos;
    if (mpi_only) {
      EXPECT_THAT(mpi.err, HasSubstr("not supported by aligner-mpi")) << args;
    } else {
      EXPECT_EQ(one.exit_code, 2) << args;
      // The same message, but for the program's name.
      const std::string message = one.err.substr(one.err.find(": ") + 2);
      EXPECT_THAT(mpi.err, HasSubstr(message.substr(0, message.find('\n')))) << args;
    }
    fs::remove_all(Path("bad1"));
    fs::remove_all(Path("bad2"));
  }
}

// A corpus of which no line can be aligned is one process's error, even
// though each rank's block alone says nothing.
TEST_F(AlignerMpiTest, NoUsableLineIsTheOneProcessError) {
  const std::string fr = WriteFile("u.fr", "a b\n\nc d e f\n\n");
  const std::string en = WriteFile("u.en", "\nx\ny\nz\n");
  const std::string args =
      "align --max-sentence-length 3 --output out --source '" + fr + "' --target '" + en + "'";
  const RunResult one = RunIn("one", "'" + kAligner + "' " + args);
  ASSERT_EQ(one.exit_code, 1);
  const std::string message = one.err.substr(one.err.find("error: "));
  ASSERT_THAT(message, HasSubstr("none of their 4 lines can be aligned"));
  for (int ranks : {2, 3}) {
    const RunResult mpi = RunIn("mpi" + std::to_string(ranks), Mpirun(ranks) + " " + args);
    EXPECT_EQ(mpi.exit_code, 1) << mpi.err;
    EXPECT_THAT(mpi.err, HasSubstr(message)) << ranks << " ranks";
    EXPECT_FALSE(fs::exists(Path("mpi" + std::to_string(ranks) + "/out")));
  }
}

TEST_F(AlignerMpiTest, DifferentLineCountsAreTheOneProcessError) {
  WriteCorpus();
  const std::string short_en = WriteFile("short.en", "a b\nc d\n");
  const std::string args = "align --source '" + fr_ + "' --target '" + short_en + "' --output out";
  const RunResult mpi = RunIn("mpi2", Mpirun(2) + " " + args);
  EXPECT_EQ(mpi.exit_code, 1);
  EXPECT_THAT(mpi.err, HasSubstr("the parallel files have different line counts: " + fr_ +
                                 " has 10000 lines, " + short_en + " has 2"));
  EXPECT_FALSE(fs::exists(Path("mpi2/out")));
}

}  // namespace
}  // namespace aligner
