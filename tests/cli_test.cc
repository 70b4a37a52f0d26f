// End-to-end tests of the `aligner` command-line tool: input forms, output
// shape, orientation, determinism, error handling, the symmetrize and
// evaluate subcommands, progress on a terminal, and --stream as a
// co-process.
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_join.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/io/giza.h"
#include "aligner/io/pharaoh.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::string kBinary = ALIGNER_BINARY;
const std::string kData = ALIGNER_TEST_DATA_DIR;

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

class CliTest : public TempDirTest {
 protected:
  void Shell(const std::string& command) const {
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  std::string Gzip(const std::string& path) const {
    Shell("gzip -c " + Quote(path) + " > " + Quote(path + ".gz"));
    return path + ".gz";
  }

  // Runs `aligner <args>` with stdout and stderr captured.
  RunResult Run(const std::string& args, const std::string& stdin_path = "",
                const std::string& prefix = "") const {
    const std::string out = Path(".stdout"), err = Path(".stderr");
    std::string command =
        prefix + Quote(kBinary) + " " + args + " > " + Quote(out) + " 2> " + Quote(err);
    if (!stdin_path.empty()) command += " < " + Quote(stdin_path);
    const int status = std::system(command.c_str());
    RunResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = ReadWholeFile(out);
    result.err = ReadWholeFile(err);
    fs::remove(out);
    fs::remove(err);
    return result;
  }

  // Runs `aligner <args>` with stderr on a pseudo-terminal (output
  // post-processing off, so every '\r' is the tool's own, 200 columns) and
  // stdout captured.
  RunResult RunOnTerminal(const std::string& args) const {
    RunResult result;
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
      ADD_FAILURE() << "no pseudo-terminal: " << std::strerror(errno);
      return result;
    }
    const int terminal = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
    termios modes{};
    ::tcgetattr(terminal, &modes);
    modes.c_oflag &= ~OPOST;  // no "\n" -> "\r\n"
    ::tcsetattr(terminal, TCSANOW, &modes);
    winsize size{};
    size.ws_col = 200;
    size.ws_row = 50;
    ::ioctl(terminal, TIOCSWINSZ, &size);
    const std::string out = Path(".stdout");
    const std::string command =
        "exec " + Quote(kBinary) + " " + args + " > " + Quote(out) + " < /dev/null";
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(terminal, STDERR_FILENO);
      ::close(terminal);
      ::close(master);
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(terminal);
    char buffer[4096];
    for (;;) {
      const ssize_t got = ::read(master, buffer, sizeof buffer);
      if (got > 0) {
        result.err.append(buffer, got);
      } else if (got < 0 && errno == EINTR) {
        continue;
      } else {
        break;  // EIO once the tool has closed the terminal
      }
    }
    ::close(master);
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = ReadWholeFile(out);
    fs::remove(out);
    return result;
  }

  // The 37-pair trial corpus as two files and as one "fr ||| en" bitext.
  void WriteTrialCorpus() {
    fr_ = Path("trial.fr");
    en_ = Path("trial.en");
    fs::copy_file(kData + "/trial.fr", fr_);
    fs::copy_file(kData + "/trial.en", en_);
    const auto f = Lines(ReadWholeFile(fr_)), e = Lines(ReadWholeFile(en_));
    ASSERT_EQ(f.size(), e.size());
    std::string bitext;
    for (size_t k = 0; k < f.size(); ++k) bitext += f[k] + " ||| " + e[k] + "\n";
    bitext_ = WriteFile("trial.bitext", bitext);
    num_lines_ = f.size();
  }

  std::string fr_, en_, bitext_;
  size_t num_lines_ = 0;
};

TEST_F(CliTest, BitextParallelFilesAndCompressedInputsGiveIdenticalOutput) {
  WriteTrialCorpus();
  for (const std::string flags : {"", "-d -o -v"}) {
    const RunResult bitext = Run("align --quiet -i " + Quote(bitext_) + " " + flags);
    ASSERT_EQ(bitext.exit_code, 0) << bitext.err;
    EXPECT_EQ(Lines(bitext.out).size(), num_lines_);
    EXPECT_NE(bitext.out.find('-'), std::string::npos);  // some links

    const RunResult files =
        Run("align --quiet --source " + Quote(fr_) + " --target " + Quote(en_) + " " + flags);
    ASSERT_EQ(files.exit_code, 0) << files.err;
    EXPECT_EQ(files.out, bitext.out) << flags;

    const RunResult gz_files = Run("align --quiet --source " + Quote(Gzip(fr_)) + " --target " +
                                   Quote(Gzip(en_)) + " " + flags);
    ASSERT_EQ(gz_files.exit_code, 0) << gz_files.err;
    EXPECT_EQ(gz_files.out, bitext.out) << flags;

    const RunResult gz_bitext = Run("align --quiet -i " + Quote(Gzip(bitext_)) + " " + flags);
    ASSERT_EQ(gz_bitext.exit_code, 0) << gz_bitext.err;
    EXPECT_EQ(gz_bitext.out, bitext.out) << flags;

    Shell("zstd -q -f -c " + Quote(bitext_) + " > " + Quote(Path("trial.bitext.zst")));
    const RunResult zst_bitext =
        Run("align --quiet -i " + Quote(Path("trial.bitext.zst")) + " " + flags);
    ASSERT_EQ(zst_bitext.exit_code, 0) << zst_bitext.err;
    EXPECT_EQ(zst_bitext.out, bitext.out) << flags;

    const RunResult from_stdin = Run("align --quiet -i - " + flags, bitext_);
    ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
    EXPECT_EQ(from_stdin.out, bitext.out) << flags;

    // One side of a two-file corpus from stdin.
    const RunResult source_stdin =
        Run("align --quiet --source - --target " + Quote(en_) + " " + flags, fr_);
    ASSERT_EQ(source_stdin.exit_code, 0) << source_stdin.err;
    EXPECT_EQ(source_stdin.out, bitext.out) << flags;

    // --output FILE writes the same as stdout.
    const RunResult to_file = Run("align --quiet -i " + Quote(bitext_) + " --output " +
                                  Quote(Path("out.txt")) + " " + flags);
    ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
    EXPECT_EQ(ReadWholeFile(Path("out.txt")), bitext.out);
    EXPECT_THAT(to_file.out, IsEmpty());
  }
}

TEST_F(CliTest, OneOutputLinePerInputLine) {
  const std::string bitext = WriteFile("mixed.txt",
                                       "la maison ||| the house\n"             // 1
                                       "\n"                                    // 2 blank
                                       "pas de separateur\n"                   // 3 malformed
                                       "la fleur ||| the flower\n"             // 4
                                       "a ||| b ||| c\n"                       // 5 two separators
                                       " ||| the\n"                            // 6 empty source
                                       "la ||| \n"                             // 7 empty target
                                       "un deux trois quatre ||| one\n"        // 8 too long
                                       "la maison bleue ||| the blue house\n"  // 9
                                       "maison ||| house");                    // 10, no newline
  for (const std::string flags :
       {"", "-d -o -v", "--model model2", "-r", "--posterior-threshold 0.1", "-s"}) {
    const RunResult r =
        Run("align -i " + Quote(bitext) + " --max-sentence-length 3 --threads 2 " + flags);
    ASSERT_EQ(r.exit_code, 0) << flags << ": " << r.err;
    const std::vector<std::string> lines = Lines(r.out);
    ASSERT_EQ(lines.size(), 10u) << flags << ":\n" << r.out;
    EXPECT_EQ(r.out.back(), '\n');
    const bool scores = flags == "-s";
    for (size_t k : {1, 2, 4, 5, 6, 7}) {
      if (scores) {
        EXPECT_THAT(lines[k], ::testing::StartsWith(" ||| ")) << flags << " line " << k + 1;
      } else {
        EXPECT_EQ(lines[k], "") << flags << " line " << k + 1;
      }
    }
    for (size_t k : {0, 3, 8, 9}) {
      std::string links = lines[k];
      if (scores) links = links.substr(0, links.find(" ||| "));
      EXPECT_TRUE(ParsePharaoh(links).ok()) << flags << " line " << k + 1 << ": " << lines[k];
    }
    if (!scores && flags.find("posterior") == std::string::npos) {
      EXPECT_NE(lines[8], "") << flags;
    }
    // The tool says what it skipped.
    EXPECT_THAT(r.err, HasSubstr("warning")) << flags;
  }
}

// Parses every output line and checks links against the pair's lengths.
void ExpectLinksInRange(const std::vector<std::string>& lines,
                        const std::vector<std::string>& fr_lines,
                        const std::vector<std::string>& en_lines, bool reverse) {
  ASSERT_EQ(lines.size(), fr_lines.size());
  std::vector<std::string_view> tokens;
  for (size_t k = 0; k < lines.size(); ++k) {
    auto links = ParsePharaoh(lines[k]);
    ASSERT_TRUE(links.ok()) << links.status();
    SplitTokens(fr_lines[k], &tokens);
    const size_t l = tokens.size();
    SplitTokens(en_lines[k], &tokens);
    const size_t m = tokens.size();
    std::set<uint32_t> seen;
    for (const Link& link : *links) {
      EXPECT_LT(link.source, l) << "line " << k + 1 << ": " << lines[k];
      EXPECT_LT(link.target, m) << "line " << k + 1 << ": " << lines[k];
      // One link per generated word: target words forward, source words
      // in reverse.
      EXPECT_TRUE(seen.insert(reverse ? link.source : link.target).second)
          << "line " << k + 1 << ": " << lines[k];
    }
  }
}

TEST_F(CliTest, ReverseOutputIsSourceTargetOriented) {
  WriteTrialCorpus();
  const auto fr_lines = Lines(ReadWholeFile(fr_)), en_lines = Lines(ReadWholeFile(en_));
  const RunResult forward = Run("align --quiet -d -o -v -i " + Quote(bitext_));
  const RunResult reverse = Run("align --quiet -d -o -v -r -i " + Quote(bitext_));
  ASSERT_EQ(forward.exit_code, 0) << forward.err;
  ASSERT_EQ(reverse.exit_code, 0) << reverse.err;
  ExpectLinksInRange(Lines(forward.out), fr_lines, en_lines, /*reverse=*/false);
  ExpectLinksInRange(Lines(reverse.out), fr_lines, en_lines, /*reverse=*/true);
  // Same corpus given the other way round (English as source) and aligned
  // forward gives the reverse links flipped.
  const RunResult swapped =
      Run("align --quiet -d -o -v --source " + Quote(en_) + " --target " + Quote(fr_));
  ASSERT_EQ(swapped.exit_code, 0) << swapped.err;
  const auto reverse_lines = Lines(reverse.out), swapped_lines = Lines(swapped.out);
  ASSERT_EQ(reverse_lines.size(), swapped_lines.size());
  for (size_t k = 0; k < reverse_lines.size(); ++k) {
    auto r = ParsePharaoh(reverse_lines[k]);
    auto s = ParsePharaoh(swapped_lines[k]);
    ASSERT_TRUE(r.ok() && s.ok());
    SentenceLinks flipped;
    for (const Link& link : *s) flipped.push_back({link.target, link.source});
    std::sort(flipped.begin(), flipped.end());
    std::sort(r->begin(), r->end());
    EXPECT_EQ(*r, flipped) << "line " << k + 1;
  }
}

TEST_F(CliTest, ThreadCountDoesNotChangeOutput) {
  WriteTrialCorpus();
  for (const std::string flags :
       {"-d -o -v", "--model model2", "-d -o -v -r", "--model hmm --viterbi-training"}) {
    const RunResult one = Run("align --quiet --threads 1 -i " + Quote(bitext_) + " " + flags);
    const RunResult two = Run("align --quiet --threads 2 -i " + Quote(bitext_) + " " + flags);
    const RunResult four = Run("align --quiet --threads 4 -i " + Quote(bitext_) + " " + flags);
    ASSERT_EQ(one.exit_code, 0) << one.err;
    ASSERT_EQ(two.exit_code, 0) << two.err;
    ASSERT_EQ(four.exit_code, 0) << four.err;
    EXPECT_EQ(one.out, two.out) << flags;
    EXPECT_EQ(one.out, four.out) << flags;
  }
}

// More --threads than the CPUs the process is bound to (taskset here, as
// mpirun binds ranks) is named in a warning; more than the machine has, on
// a process free to use all of it, is the user's choice and is not.
TEST_F(CliTest, WarnsWhenBoundToFewerCpusThanThreads) {
  WriteTrialCorpus();
  const std::string args = "align --quiet -d -i " + Quote(bitext_);
  const RunResult free = Run(args + " --threads 64");
  ASSERT_EQ(free.exit_code, 0) << free.err;
  EXPECT_THAT(free.err, Not(HasSubstr("--threads"))) << free.err;
  if (std::thread::hardware_concurrency() < 2 || std::system("taskset -c 0 true") != 0) {
    GTEST_SKIP() << "needs two CPUs and taskset";
  }
  const RunResult bound = Run(args + " --threads 2", "", "taskset -c 0 ");
  ASSERT_EQ(bound.exit_code, 0) << bound.err;
  EXPECT_THAT(bound.err, HasSubstr("warning: --threads 2 but this process may run on only 1 CPU"));
  EXPECT_EQ(bound.out, free.out);
  const RunResult symmetric = Run(
      "symmetric --quiet --threads 2 -i " + Quote(bitext_) + " --prefix " + Quote(Path("bound")),
      "", "taskset -c 0 ");
  ASSERT_EQ(symmetric.exit_code, 0) << symmetric.err;
  EXPECT_THAT(symmetric.err, HasSubstr("warning: --threads 2 but"));
  // Once, for the user's --threads, not again for each direction's share.
  const RunResult apart = Run("symmetric --no-agreement --threads 4 -i " + Quote(bitext_) +
                                  " --prefix " + Quote(Path("apart")),
                              "", "taskset -c 0 ");
  ASSERT_EQ(apart.exit_code, 0) << apart.err;
  size_t warnings = 0;
  for (const std::string& line : Lines(apart.err)) {
    warnings += line.find("warning: --threads") != std::string::npos;
  }
  EXPECT_EQ(warnings, 1u) << apart.err;
  EXPECT_THAT(apart.err, HasSubstr("warning: --threads 4 but"));
}

TEST_F(CliTest, BadOptionsFailWithAMessageAndWriteNothing) {
  WriteTrialCorpus();
  const std::string output = Path("out.txt");
  const std::vector<std::string> bad = {
      "-I -1",
      "--iterations=-1",
      "--model bogus",
      "--posterior-threshold 2",
      "--threads -1",
      "--p0 1.5",
      "--diagonal-tension 0",
      "-v --alpha 0",
      "--ttable-format bogus",
      "--max-sentence-length 0",
      "--no-such-option",
      "-I notanumber",
  };
  const std::vector<std::string> before = ListDir();
  for (const std::string& flags : bad) {
    const RunResult r =
        Run("align -i " + Quote(bitext_) + " --output " + Quote(output) + " " + flags);
    EXPECT_NE(r.exit_code, 0) << flags;
    EXPECT_FALSE(r.err.empty()) << flags;
    EXPECT_THAT(r.out, IsEmpty()) << flags;
    EXPECT_FALSE(fs::exists(output)) << flags;
    EXPECT_EQ(ListDir(), before) << flags;  // no temporary left either
    fs::remove(output);
  }
  // The message says what is wrong.
  EXPECT_THAT(Run("align -i " + Quote(bitext_) + " --model bogus").err, HasSubstr("bogus"));
  EXPECT_THAT(Run("align -i " + Quote(bitext_) + " -I -1").err, HasSubstr("iterations"));
  EXPECT_THAT(Run("align -i " + Quote(bitext_) + " --posterior-threshold 2").err,
              HasSubstr("posterior-threshold"));
  // Neither or both of -i and --source/--target.
  EXPECT_NE(Run("align").exit_code, 0);
  EXPECT_NE(
      Run("align -i " + Quote(bitext_) + " --source " + Quote(fr_) + " --target " + Quote(en_))
          .exit_code,
      0);
  EXPECT_NE(Run("align --source " + Quote(fr_)).exit_code, 0);
  EXPECT_NE(Run("no-such-command").exit_code, 0);
  EXPECT_NE(Run("").exit_code, 0);
}

TEST_F(CliTest, MissingInputFileNamesThePathAndWritesNothing) {
  WriteTrialCorpus();
  const std::string missing = Path("missing.txt");
  const std::string output = Path("out.txt");
  const std::vector<std::string> before = ListDir();
  for (const std::string& input :
       {"-i " + Quote(missing), "--source " + Quote(missing) + " --target " + Quote(en_),
        "--source " + Quote(fr_) + " --target " + Quote(missing)}) {
    const RunResult r = Run("align " + input + " --output " + Quote(output));
    EXPECT_NE(r.exit_code, 0) << input;
    EXPECT_THAT(r.err, HasSubstr(missing)) << input;
    EXPECT_FALSE(fs::exists(output)) << input;
    EXPECT_EQ(ListDir(), before) << input;
  }
}

TEST_F(CliTest, FailedRunLeavesNoOutputFiles) {
  WriteTrialCorpus();
  const std::string output = Path("out.txt"), a3 = Path("out.A3");
  // Line counts that differ.
  const std::string short_en = WriteFile("short.en", "one line\n");
  // A gzip file cut in half.
  const std::string big = WriteFile("big.txt", [] {
    std::string text;
    for (int k = 0; k < 4000; ++k) {
      text += "mot" + std::to_string(k * 7919 % 3001) + " x" + std::to_string(k) + " ||| word" +
              std::to_string(k * 104729 % 2999) + "\n";
    }
    return text;
  }());
  const std::string gz = Gzip(big);
  const std::string whole = ReadWholeFile(gz);
  const std::string truncated = WriteFile("truncated.gz", whole.substr(0, whole.size() / 2));
  const std::vector<std::string> before = ListDir();
  for (const std::string& input :
       {"--source " + Quote(fr_) + " --target " + Quote(short_en), "-i " + Quote(truncated)}) {
    const RunResult r =
        Run("align --quiet " + input + " --output " + Quote(output) + " --giza-a3 " + Quote(a3));
    EXPECT_NE(r.exit_code, 0) << input;
    EXPECT_FALSE(r.err.empty()) << input;
    EXPECT_FALSE(fs::exists(output)) << input;
    EXPECT_FALSE(fs::exists(a3)) << input;
    EXPECT_EQ(ListDir(), before) << input;
  }
  // The line-count error names both files.
  const RunResult counts =
      Run("align --quiet --source " + Quote(fr_) + " --target " + Quote(short_en));
  EXPECT_THAT(counts.err, HasSubstr(fr_));
  EXPECT_THAT(counts.err, HasSubstr(short_en));
  // Unwritable output: fails before training, naming the path.
  const std::string unwritable = Path("no/such/dir/out.txt");
  const RunResult r = Run("align --quiet -i " + Quote(bitext_) + " --output " + Quote(unwritable));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr(unwritable));
}

// --resume continues only the run that wrote the checkpoint: another corpus
// (one word changed, or a line fewer) or other training options are refused
// before any output is written, and the error names what differs.
TEST_F(CliTest, ResumeRefusesAnotherRunsCheckpoint) {
  WriteTrialCorpus();
  const std::string checkpoint = Path("run.checkpoint");
  const std::string run = "align --quiet --model hmm -I 2 --model1-iterations 1 ";
  const std::string corpus = "--source " + Quote(fr_) + " --target " + Quote(en_);
  const RunResult first =
      Run(run + corpus + " --checkpoint " + Quote(checkpoint) + " --output " + Quote(Path("a")));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const RunResult same =
      Run(run + corpus + " --resume " + Quote(checkpoint) + " --output " + Quote(Path("b")));
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(ReadWholeFile(Path("a")), ReadWholeFile(Path("b")));

  std::vector<std::string> en_lines = Lines(ReadWholeFile(en_));
  std::string changed, fewer;
  for (size_t k = 0; k < en_lines.size(); ++k) {
    changed += (k == 3 ? "the " + en_lines[k] : en_lines[k]) + "\n";
    if (k + 1 < en_lines.size()) fewer += en_lines[k] + "\n";
  }
  std::string fr_fewer;
  const std::vector<std::string> fr_lines = Lines(ReadWholeFile(fr_));
  for (size_t k = 0; k + 1 < fr_lines.size(); ++k) fr_fewer += fr_lines[k] + "\n";
  const std::string changed_en = WriteFile("changed.en", changed);
  const std::string fewer_fr = WriteFile("fewer.fr", fr_fewer),
                    fewer_en = WriteFile("fewer.en", fewer);
  struct Case {
    std::string args, names;
  };
  const std::vector<Case> cases = {
      {run + "--source " + Quote(fr_) + " --target " + Quote(changed_en), "corpus (the checkpoint"},
      {run + "--source " + Quote(fewer_fr) + " --target " + Quote(fewer_en),
       "pairs (the checkpoint"},
      {"align --quiet --model hmm -I 3 --model1-iterations 1 " + corpus,
       "iterations (2 in the checkpoint, 3 now)"},
      {run + corpus + " --hmm-p0 0.3", "hmm_p0 (default in the checkpoint, 0.3 now)"},
      {run + corpus + " --max-sentence-length 500",
       "max_sentence_length (250 in the checkpoint, 500 now)"},
  };
  for (const Case& c : cases) {
    const RunResult r =
        Run(c.args + " --resume " + Quote(checkpoint) + " --output " + Quote(Path("c")));
    EXPECT_NE(r.exit_code, 0) << c.args;
    EXPECT_THAT(r.err, HasSubstr(checkpoint + " was written by another run")) << c.args;
    EXPECT_THAT(r.err, HasSubstr(c.names)) << c.args << "\n" << r.err;
    EXPECT_FALSE(fs::exists(Path("c"))) << c.args;
  }
  // Words cut to another length are another corpus's words.
  const RunResult stems = Run(run + corpus + " --stem-length 4 --resume " + Quote(checkpoint) +
                              " --output " + Quote(Path("c")));
  EXPECT_NE(stems.exit_code, 0);
  EXPECT_THAT(stems.err, HasSubstr("--stem-length"));
  EXPECT_FALSE(fs::exists(Path("c")));
}

TEST_F(CliTest, UnwritableOutputsFailBeforeTrainingAndWriteNothing) {
  // "Open outputs first, so an unwritable path fails now, not after
  // training": true of every output file, and then nothing is written.
  WriteTrialCorpus();
  const std::string output = Path("out.txt");
  const std::string unwritable = Path("no/such/dir/file");
  const std::vector<std::string> before = ListDir();
  for (const std::string option : {"--giza-a3", "-p"}) {
    const RunResult r = Run("align -i " + Quote(bitext_) + " --output " + Quote(output) + " " +
                            option + " " + Quote(unwritable));
    EXPECT_NE(r.exit_code, 0) << option;
    EXPECT_THAT(r.err, HasSubstr(unwritable)) << option;
    EXPECT_THAT(r.err, Not(HasSubstr("iteration"))) << option << ": trained before failing";
    EXPECT_FALSE(fs::exists(output)) << option << ": wrote the alignment, then failed";
    EXPECT_EQ(ListDir(), before) << option;
    fs::remove(output);
  }
}

TEST_F(CliTest, InterruptedRunLeavesNoOutputFiles) {
  // Ctrl-C or a kill during training removes the half-written outputs.
  const std::string output = Path("out.txt"), a3 = Path("out.A3");
  for (const char* signal : {"INT", "TERM"}) {
    const RunResult r =
        Run("align --quiet -I 100000 --threads 1 --source " + Quote(kData + "/hansards10k.fr.gz") +
                " --target " + Quote(kData + "/hansards10k.en.gz") + " --output " + Quote(output) +
                " --giza-a3 " + Quote(a3),
            "", std::string("timeout -s ") + signal + " 1.5 ");
    EXPECT_EQ(r.exit_code, 124) << signal << ": " << r.err;  // killed by timeout
    EXPECT_THAT(ListDir(), IsEmpty()) << signal;
  }
}

TEST_F(CliTest, InputWithNoUsablePairs) {
  const std::string bitext = WriteFile("blank.txt", "\n\nno separator\n ||| x\n");
  // Nothing to train on or align: an error, not four empty lines and exit 0.
  const RunResult r = Run("align --quiet -d -o -v -i " + Quote(bitext));
  ASSERT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr(bitext + ": none of its 4 lines can be aligned"));
  EXPECT_EQ(r.out, "");
  // An empty file is an empty corpus: nothing in, nothing out.
  const std::string empty = WriteFile("empty.txt", "");
  const RunResult e = Run("align --quiet -i " + Quote(empty));
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.out, "");
}

TEST_F(CliTest, GizaA3OutputParsesWithOneEntryPerInputLine) {
  WriteTrialCorpus();
  // The trial corpus plus a blank and a malformed line.
  std::string text = ReadWholeFile(bitext_);
  text += "\nno separator\nla maison ||| the house\n";
  const std::string bitext = WriteFile("with_blank.txt", text);
  const size_t lines = num_lines_ + 3;
  const std::string a3 = Path("out.A3");
  for (const std::string flags : {"-d -o -v", "--posterior-threshold 0.2"}) {
    const RunResult r =
        Run("align --quiet -i " + Quote(bitext) + " --giza-a3 " + Quote(a3) + " " + flags);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto entries = ReadA3File(a3);
    ASSERT_TRUE(entries.ok()) << entries.status();
    ASSERT_EQ(entries->size(), lines) << flags;
    const auto fr_lines = Lines(ReadWholeFile(fr_)), en_lines = Lines(ReadWholeFile(en_));
    const auto out_lines = Lines(r.out);
    std::vector<std::string_view> tokens;
    for (size_t k = 0; k < lines; ++k) {
      const A3Entry& e = (*entries)[k];
      EXPECT_EQ(e.sentence_number, static_cast<int64_t>(k + 1));
      EXPECT_EQ(e.alignment.size(), e.target_words.size());
      if (k < num_lines_) {
        // Source (French) words, target (English) words, in order.
        SplitTokens(fr_lines[k], &tokens);
        EXPECT_EQ(e.source_words, std::vector<std::string>(tokens.begin(), tokens.end())) << k;
        SplitTokens(en_lines[k], &tokens);
        EXPECT_EQ(e.target_words, std::vector<std::string>(tokens.begin(), tokens.end())) << k;
        if (flags == "-d -o -v") {
          // The A3 alignment is the Pharaoh output.
          SentenceLinks from_a3;
          for (size_t j = 0; j < e.alignment.size(); ++j) {
            if (e.alignment[j] > 0) from_a3.push_back({e.alignment[j] - 1, uint32_t(j)});
          }
          EXPECT_EQ(FormatPharaoh(from_a3), out_lines[k]) << k;
        }
      } else if (k < num_lines_ + 2) {
        EXPECT_THAT(e.source_words, IsEmpty());
        EXPECT_THAT(e.target_words, IsEmpty());
      }
    }
  }
}

TEST_F(CliTest, TranslationTableOutput) {
  WriteTrialCorpus();
  const std::string table = Path("ttable");
  const RunResult r = Run("align --quiet -d -o -v -i " + Quote(bitext_) + " -p " + Quote(table));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = Lines(ReadWholeFile(table));
  ASSERT_FALSE(lines.empty());
  bool saw_eps = false;
  for (const std::string& line : lines) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    std::string field;
    while (std::getline(in, field, '\t')) fields.push_back(field);
    ASSERT_EQ(fields.size(), 3u) << line;
    saw_eps |= fields[0] == "<eps>";
    const double log_prob = std::stod(fields[2]);
    EXPECT_LE(log_prob, 1e-6) << line;
    EXPECT_GE(log_prob, std::log(1e-7) - 1e-6) << line;  // --ttable-min-prob
  }
  EXPECT_TRUE(saw_eps);
}

TEST_F(CliTest, SymmetrizeAndEvaluateEndToEnd) {
  // Hansards slice with the 37 gold-aligned trial pairs first, as the
  // evaluation scripts do, aligned both ways, symmetrized, scored.
  const std::string fr = Path("c.fr"), en = Path("c.en");
  Shell("(cat " + Quote(kData + "/trial.fr") + "; gzip -dc " + Quote(kData + "/hansards10k.fr.gz") +
        ") > " + Quote(fr));
  Shell("(cat " + Quote(kData + "/trial.en") + "; gzip -dc " + Quote(kData + "/hansards10k.en.gz") +
        ") > " + Quote(en));
  const std::string forward = Path("fwd"), reverse = Path("rev");
  const std::string corpus = "--source " + Quote(fr) + " --target " + Quote(en);
  ASSERT_EQ(Run("align --quiet -d -o -v " + corpus + " --output " + Quote(forward)).exit_code, 0);
  ASSERT_EQ(Run("align --quiet -d -o -v -r " + corpus + " --output " + Quote(reverse)).exit_code,
            0);
  const auto forward_lines = Lines(ReadWholeFile(forward));
  ASSERT_EQ(forward_lines.size(), 10037u);

  std::map<std::string, std::vector<std::string>> symmetrized;
  for (const std::string heuristic :
       {"intersect", "union", "grow-diag", "grow-diag-final", "grow-diag-final-and"}) {
    const std::string out = Path(heuristic);
    const RunResult r = Run("symmetrize -i " + Quote(forward) + " -j " + Quote(reverse) + " -c " +
                            heuristic + " --output " + Quote(out));
    ASSERT_EQ(r.exit_code, 0) << heuristic << ": " << r.err;
    symmetrized[heuristic] = Lines(ReadWholeFile(out));
    ASSERT_EQ(symmetrized[heuristic].size(), 10037u) << heuristic;
  }
  // intersect <= grow-diag-final-and <= union, line by line.
  const auto reverse_lines = Lines(ReadWholeFile(reverse));
  for (size_t k = 0; k < 200; ++k) {
    auto links = [&](const std::string& line) {
      auto parsed = ParsePharaoh(line);
      EXPECT_TRUE(parsed.ok());
      return std::set<Link>(parsed->begin(), parsed->end());
    };
    const auto fwd = links(forward_lines[k]), rev = links(reverse_lines[k]);
    const auto inter = links(symmetrized["intersect"][k]);
    const auto uni = links(symmetrized["union"][k]);
    const auto gdfa = links(symmetrized["grow-diag-final-and"][k]);
    for (const Link& l : inter) EXPECT_TRUE(fwd.count(l) && rev.count(l)) << k;
    for (const Link& l : fwd) EXPECT_TRUE(uni.count(l)) << k;
    for (const Link& l : rev) EXPECT_TRUE(uni.count(l)) << k;
    for (const Link& l : inter) EXPECT_TRUE(gdfa.count(l)) << k;
    for (const Link& l : gdfa) EXPECT_TRUE(uni.count(l)) << k;
  }

  // Score the first 37 lines against the gold alignment.
  auto evaluate = [&](const std::string& alignment) {
    const RunResult r = Run("evaluate -a " + Quote(alignment) + " -g " +
                            Quote(kData + "/trial.gold") + " --offset 0");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    double aer = -1, precision = -1, recall = -1, f1 = -1;
    EXPECT_EQ(std::sscanf(r.out.c_str(), "AER %lf precision %lf recall %lf F1 %lf", &aer,
                          &precision, &recall, &f1),
              4)
        << r.out;
    EXPECT_GE(aer, 0);
    EXPECT_LE(aer, 1);
    return std::vector<double>{aer, precision, recall};
  };
  const auto gdfa = evaluate(Path("grow-diag-final-and"));
  const auto inter = evaluate(Path("intersect"));
  const auto uni = evaluate(Path("union"));
  const auto fwd = evaluate(forward);
  // fast_align-quality alignments on this data score AER ~0.2-0.25.
  EXPECT_LT(gdfa[0], 0.35);
  EXPECT_LT(fwd[0], 0.35);
  // The intersection is the most precise, the union recalls the most.
  EXPECT_GE(inter[1], uni[1]);
  EXPECT_GE(uni[2], inter[2]);

  // Without --offset, line counts must match.
  const RunResult mismatch =
      Run("evaluate -a " + Quote(forward) + " -g " + Quote(kData + "/trial.gold"));
  EXPECT_NE(mismatch.exit_code, 0);
  EXPECT_THAT(mismatch.err, HasSubstr(forward));
}

TEST_F(CliTest, SymmetrizeAndEvaluateOnTrialFiles) {
  // The 37-pair trial files alone, all through the tool.
  WriteTrialCorpus();
  const std::string forward = Path("fwd"), reverse = Path("rev"), sym = Path("sym");
  const std::string corpus = "--source " + Quote(fr_) + " --target " + Quote(en_);
  ASSERT_EQ(Run("align --quiet -d -o -v " + corpus + " --output " + Quote(forward)).exit_code, 0);
  ASSERT_EQ(Run("align --quiet -d -o -v -r " + corpus + " --output " + Quote(reverse)).exit_code,
            0);
  const RunResult s = Run("symmetrize -i " + Quote(forward) + " -j " + Quote(reverse));
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(Lines(s.out).size(), 37u);
  const std::string written = WriteFile("sym", s.out);
  const RunResult e = Run("evaluate -a " + Quote(written) + " -g " + Quote(kData + "/trial.gold"));
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_THAT(e.out, ::testing::StartsWith("AER "));
  // Bad heuristic and missing files.
  EXPECT_NE(
      Run("symmetrize -i " + Quote(forward) + " -j " + Quote(reverse) + " -c bogus").exit_code, 0);
  const RunResult missing = Run("symmetrize -i " + Quote(forward) + " -j " + Quote(Path("nope")));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr(Path("nope")));
  EXPECT_NE(Run("evaluate -a " + Quote(written)).exit_code, 0);
}

}  // namespace
}  // namespace aligner

namespace aligner {
namespace {

// `symmetric` is `align`, `align -r` and `symmetrize` in one call, with the
// same files as running them one by one.
TEST_F(CliTest, SymmetricEqualsAlignBothWaysThenSymmetrize) {
  WriteTrialCorpus();
  const std::string corpus = "--source " + Quote(fr_) + " --target " + Quote(en_);
  const std::string prefix = Path("both");
  const RunResult both =
      Run("symmetric --quiet --no-agreement --no-lowercase --stem-length 0 -d -o -v " + corpus +
          " --prefix " + Quote(prefix) + " -c grow-diag");
  ASSERT_EQ(both.exit_code, 0) << both.err;
  ASSERT_EQ(Run("align --quiet -d -o -v " + corpus + " --output " + Quote(Path("f"))).exit_code, 0);
  ASSERT_EQ(Run("align --quiet -d -o -v -r " + corpus + " --output " + Quote(Path("r"))).exit_code,
            0);
  ASSERT_EQ(Run("symmetrize -i " + Quote(Path("f")) + " -j " + Quote(Path("r")) +
                " -c grow-diag --output " + Quote(Path("s")))
                .exit_code,
            0);
  EXPECT_EQ(ReadWholeFile(prefix + ".forward"), ReadWholeFile(Path("f")));
  EXPECT_EQ(ReadWholeFile(prefix + ".reverse"), ReadWholeFile(Path("r")));
  EXPECT_EQ(ReadWholeFile(prefix + ".grow-diag"), ReadWholeFile(Path("s")));
  EXPECT_EQ(Lines(ReadWholeFile(prefix + ".grow-diag")).size(), num_lines_);
}

// By agreement each direction's links are, by default, those whose posterior
// reaches 0.5: a subset of each target word's most probable source
// (--direction-threshold=-1), without the links the model is unsure of.
TEST_F(CliTest, SymmetricDirectionLinksAreTheConfidentOnes) {
  WriteTrialCorpus();
  const std::string corpus = "--source " + Quote(fr_) + " --target " + Quote(en_);
  const RunResult confident =
      Run("symmetric --quiet " + corpus + " --prefix " + Quote(Path("confident")));
  ASSERT_EQ(confident.exit_code, 0) << confident.err;
  const RunResult most_probable = Run("symmetric --quiet " + corpus + " --prefix " +
                                      Quote(Path("probable")) + " --direction-threshold=-1");
  ASSERT_EQ(most_probable.exit_code, 0) << most_probable.err;
  for (const std::string direction : {".forward", ".reverse"}) {
    const auto kept = Lines(ReadWholeFile(Path("confident") + direction));
    const auto all = Lines(ReadWholeFile(Path("probable") + direction));
    ASSERT_EQ(kept.size(), num_lines_);
    ASSERT_EQ(all.size(), num_lines_);
    size_t kept_links = 0, all_links = 0;
    for (size_t k = 0; k < kept.size(); ++k) {
      std::vector<std::string_view> a, b;
      SplitTokens(kept[k], &a);
      SplitTokens(all[k], &b);
      const std::set<std::string_view> most(b.begin(), b.end());
      for (std::string_view link : a) {
        EXPECT_TRUE(most.count(link)) << direction << " line " << k + 1 << ": " << link;
      }
      kept_links += a.size();
      all_links += b.size();
    }
    EXPECT_LT(kept_links, all_links) << direction;
    EXPECT_GT(kept_links, all_links / 2) << direction;
  }
  // The joint links do not depend on it.
  EXPECT_EQ(ReadWholeFile(Path("confident") + ".agreement"),
            ReadWholeFile(Path("probable") + ".agreement"));
}

// -s adds each direction's score to its links; the symmetrization reads past
// it, so the links of every file are those of the run without -s.
TEST_F(CliTest, SymmetricPrintScoresKeepsTheLinks) {
  WriteTrialCorpus();
  const std::string corpus = "--source " + Quote(fr_) + " --target " + Quote(en_);
  const RunResult plain = Run("symmetric --quiet " + corpus + " --prefix " + Quote(Path("plain")));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const RunResult scored =
      Run("symmetric --quiet -s " + corpus + " --prefix " + Quote(Path("scored")));
  ASSERT_EQ(scored.exit_code, 0) << scored.err;
  const std::string gdfa = ".grow-diag-final-and";
  ASSERT_NE(ReadWholeFile(Path("plain") + gdfa), "");
  EXPECT_EQ(ReadWholeFile(Path("scored") + gdfa), ReadWholeFile(Path("plain") + gdfa));
  EXPECT_EQ(ReadWholeFile(Path("scored") + ".agreement"),
            ReadWholeFile(Path("plain") + ".agreement"));
  for (const std::string direction : {".forward", ".reverse"}) {
    const auto with_scores = Lines(ReadWholeFile(Path("scored") + direction));
    const auto without = Lines(ReadWholeFile(Path("plain") + direction));
    ASSERT_EQ(with_scores.size(), num_lines_);
    ASSERT_EQ(without.size(), num_lines_);
    for (size_t k = 0; k < num_lines_; ++k) {
      double score = 0;
      const auto links = ParsePharaoh(with_scores[k], &score);
      ASSERT_TRUE(links.ok()) << direction << " line " << k + 1 << ": " << links.status();
      EXPECT_LT(score, 0) << direction << " line " << k + 1 << ": " << with_scores[k];
      EXPECT_EQ(FormatPharaoh(*links), without[k]) << direction << " line " << k + 1;
    }
  }
  // The scored direction files symmetrize on their own as well.
  const RunResult symmetrized =
      Run("symmetrize -i " + Quote(Path("scored") + ".forward") + " -j " +
          Quote(Path("scored") + ".reverse") + " --output " + Quote(Path("again")));
  ASSERT_EQ(symmetrized.exit_code, 0) << symmetrized.err;
  EXPECT_EQ(ReadWholeFile(Path("again")), ReadWholeFile(Path("plain") + gdfa));
}

// --link-posteriors writes one line per input line with one probability per
// written link.
TEST_F(CliTest, LinkPosteriorsMatchTheLinks) {
  WriteTrialCorpus();
  const RunResult r = Run("align --quiet -d -o -v -i " + Quote(bitext_) + " --output " +
                          Quote(Path("links")) + " --link-posteriors " + Quote(Path("post")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto links = Lines(ReadWholeFile(Path("links")));
  const auto posteriors = Lines(ReadWholeFile(Path("post")));
  ASSERT_EQ(links.size(), num_lines_);
  ASSERT_EQ(posteriors.size(), num_lines_);
  for (size_t k = 0; k < links.size(); ++k) {
    std::vector<std::string_view> l, p;
    SplitTokens(links[k], &l);
    SplitTokens(posteriors[k], &p);
    ASSERT_EQ(l.size(), p.size()) << "line " << k + 1;
    for (std::string_view value : p) {
      const double x = std::stod(std::string(value));
      EXPECT_GT(x, 0.0);
      EXPECT_LE(x, 1.0);
    }
  }
}

// The status line a terminal shows for a run, in the order drawn: each
// stretch of text after a '\r', leaving out the blank ones that clear it.
std::vector<std::string> StatusTexts(const std::string& err) {
  std::vector<std::string> texts;
  size_t at = err.find('\r');
  while (at != std::string::npos) {
    const size_t next = err.find_first_of("\r\n", at + 1);
    std::string text = err.substr(at + 1, next == std::string::npos ? next : next - at - 1);
    if (text.find_first_not_of(' ') != std::string::npos) texts.push_back(text);
    at = err.find('\r', at + 1);
  }
  return texts;
}

// On a terminal the E-steps and the decoding pass show progress on a line
// redrawn in place, cleared before every normal line and at the end; off a
// terminal (and with --quiet) there is none, and the output is the same.
TEST_F(CliTest, ProgressLineOnlyOnATerminal) {
  WriteTrialCorpus();
  const std::string args = "align -i " + Quote(bitext_) + " --model hmm -I 3";
  const RunResult logged = Run(args);
  ASSERT_EQ(logged.exit_code, 0) << logged.err;
  EXPECT_EQ(logged.err.find('\r'), std::string::npos) << logged.err;
  EXPECT_THAT(logged.err, HasSubstr("aligner align: hmm iteration 3: log-likelihood"));

  const RunResult terminal = RunOnTerminal(args);
  ASSERT_EQ(terminal.exit_code, 0) << terminal.err;
  EXPECT_EQ(terminal.out, logged.out);
  const std::vector<std::string> texts = StatusTexts(terminal.err);
  const auto shows = [&](const std::string& what) {
    return std::any_of(texts.begin(), texts.end(), [&](const std::string& text) {
      return text.find(what) != std::string::npos;
    });
  };
  EXPECT_TRUE(shows("aligner align: hmm iteration 1: E-step ")) << terminal.err;
  EXPECT_TRUE(shows("aligner align: hmm iteration 3: E-step ")) << terminal.err;
  EXPECT_TRUE(shows("aligner align: aligning ")) << terminal.err;
  EXPECT_TRUE(shows("/37 pairs)")) << terminal.err;
  // The same lines as in a log, each after a cleared status line: the text
  // after a line's last '\r' is the whole normal line.
  std::vector<std::string> lines;
  for (const std::string& line : Lines(terminal.err)) {
    const std::string shown =
        line.substr(line.rfind('\r') == std::string::npos ? 0 : line.rfind('\r') + 1);
    EXPECT_THAT(shown, ::testing::StartsWith("aligner align: ")) << terminal.err;
    EXPECT_THAT(shown, Not(HasSubstr(" pairs)"))) << terminal.err;
    lines.push_back(shown);
  }
  EXPECT_EQ(lines.size(), Lines(logged.err).size()) << terminal.err;
  // Nothing is left on the status line at the end.
  const std::string tail = terminal.err.substr(terminal.err.rfind('\n') + 1);
  EXPECT_EQ(tail.find_first_not_of("\r "), std::string::npos) << tail;

  const RunResult quiet = RunOnTerminal(args + " --quiet");
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
  EXPECT_EQ(quiet.out, logged.out);
}

// symmetric shows the joint E-step by agreement, and without agreement the
// two directions side by side.
TEST_F(CliTest, SymmetricProgressOnATerminal) {
  WriteTrialCorpus();
  const RunResult agreement =
      RunOnTerminal("symmetric -i " + Quote(bitext_) + " -I 2 --prefix " + Quote(Path("a")));
  ASSERT_EQ(agreement.exit_code, 0) << agreement.err;
  const std::string texts = absl::StrJoin(StatusTexts(agreement.err), "\n");
  EXPECT_THAT(texts, HasSubstr("aligner symmetric: hmm iteration 2 by agreement: E-step "));
  EXPECT_THAT(texts, HasSubstr("aligner symmetric: aligning both directions "));
  // The default's last iterations train each direction on its own.
  const RunResult staged =
      RunOnTerminal("symmetric -i " + Quote(bitext_) + " -I 3 --prefix " + Quote(Path("s")));
  ASSERT_EQ(staged.exit_code, 0) << staged.err;
  EXPECT_THAT(absl::StrJoin(StatusTexts(staged.err), "\n"),
              HasSubstr("aligner symmetric: hmm iteration 3 each direction on its own: E-step "));
  const RunResult independent = RunOnTerminal("symmetric -i " + Quote(bitext_) +
                                              " -I 2 --no-agreement --prefix " + Quote(Path("i")));
  ASSERT_EQ(independent.exit_code, 0) << independent.err;
  const std::string both = absl::StrJoin(StatusTexts(independent.err), "\n");
  EXPECT_THAT(both, HasSubstr("forward: hmm iteration "));
  EXPECT_THAT(both, HasSubstr("reverse: hmm iteration "));
}

// A running `aligner` with pipes to its stdin and from its stdout, talked
// to one line at a time.
class CoProcess {
 public:
  CoProcess(const std::vector<std::string>& args, const std::string& stderr_path) {
    std::signal(SIGPIPE, SIG_IGN);  // a dead co-process fails the test, not the binary
    int to_child[2], from_child[2];
    if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) {
      ADD_FAILURE() << "pipe: " << std::strerror(errno);
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(to_child[0], STDIN_FILENO);
      ::dup2(from_child[1], STDOUT_FILENO);
      const int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(err, STDERR_FILENO);
      for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1], err}) ::close(fd);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(kBinary.c_str()));
      for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      ::execv(kBinary.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    in_ = to_child[1];
    out_ = from_child[0];
  }
  ~CoProcess() {
    if (pid_ > 0) Finish();
  }

  bool WriteLine(const std::string& line) {
    const std::string text = line + "\n";
    return ::write(in_, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  }

  // The next line of its output, or nothing at its end or when none comes
  // within `timeout_ms` (a line held back unflushed).
  std::optional<std::string> ReadLine(int timeout_ms = 20000) {
    for (;;) {
      const size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      pollfd ready{out_, POLLIN, 0};
      if (::poll(&ready, 1, timeout_ms) <= 0) return std::nullopt;
      char chunk[4096];
      const ssize_t got = ::read(out_, chunk, sizeof chunk);
      if (got <= 0) return std::nullopt;
      buffer_.append(chunk, got);
    }
  }

  // Closes its stdin; returns what else it wrote and its exit code.
  std::pair<std::string, int> Finish() {
    ::close(in_);
    std::string rest = buffer_;
    char chunk[4096];
    for (ssize_t got; (got = ::read(out_, chunk, sizeof chunk)) > 0;) rest.append(chunk, got);
    ::close(out_);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return {rest, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  std::string buffer_;
};

// align --load-model M --stream answers each line as soon as it is written,
// with what batch `align --load-model M` writes for the same lines: for
// every kind of model and direction, unknown words, case, bad lines (an
// empty answer and a warning), CRLF, and the decoding options.
TEST_F(CliTest, StreamAnswersEachLineAsBatchAlignDoes) {
  WriteTrialCorpus();
  std::vector<std::string> queries = Lines(ReadWholeFile(bitext_));
  queries.resize(8);
  for (const std::string line :
       {"le chat noir mange zzzz ||| the black cat eats qqqq qqqq", "no separator here",
        "La Maison De Mon Voisin ||| The House Of My Neighbour", "la maison ||| ",
        "un mot ||| a word\r", "xyzzy ||| plugh", ""}) {
    queries.push_back(line);
  }
  queries.push_back(Lines(ReadWholeFile(bitext_))[20]);
  std::string query_text;
  for (const std::string& q : queries) query_text += q + "\n";
  const std::string query_file = WriteFile("queries", query_text);

  for (const std::string model_flags :
       {"", "-r", "--model hmm", "-d -o -v --lowercase", "--model hmm -r --lowercase",
        "--model hmm --lowercase --stem-length 3"}) {
    const std::string model = Path("model");
    const RunResult trained = Run("train --quiet -i " + Quote(bitext_) + " --model-file " +
                                  Quote(model) + " " + model_flags);
    ASSERT_EQ(trained.exit_code, 0) << model_flags << ": " << trained.err;
    for (const std::string align_flags : {"", "-s --posterior-threshold 0.2"}) {
      const std::string what = model_flags + " / " + align_flags;
      const RunResult batch = Run("align --quiet --load-model " + Quote(model) + " -i " +
                                  Quote(query_file) + " " + align_flags);
      ASSERT_EQ(batch.exit_code, 0) << what << ": " << batch.err;
      const std::vector<std::string> expected = Lines(batch.out);
      ASSERT_EQ(expected.size(), queries.size()) << what;

      std::vector<std::string> args = {"align", "--load-model", model, "--stream"};
      std::istringstream extra(align_flags);
      for (std::string flag; extra >> flag;) args.push_back(flag);
      CoProcess aligner(args, Path("stream.err"));
      for (size_t k = 0; k < queries.size(); ++k) {
        ASSERT_TRUE(aligner.WriteLine(queries[k])) << what << " line " << k + 1;
        const std::optional<std::string> answer = aligner.ReadLine();
        ASSERT_TRUE(answer.has_value()) << what << ": no answer to line " << k + 1;
        EXPECT_EQ(*answer, expected[k]) << what << " line " << k + 1 << ": " << queries[k];
      }
      const auto [rest, exit_code] = aligner.Finish();
      EXPECT_EQ(rest, "") << what;
      EXPECT_EQ(exit_code, 0) << what;
      const std::string err = ReadWholeFile(Path("stream.err"));
      EXPECT_THAT(err, HasSubstr("warning: line 10 has no ' ||| ' separator")) << err;
      EXPECT_THAT(err, HasSubstr("warning: line 12 has an empty side")) << err;
      EXPECT_THAT(err, HasSubstr("warning: line 15 has no ' ||| ' separator")) << err;
      EXPECT_THAT(err, HasSubstr("aligned 16 lines")) << err;
    }
  }
}

// --stream takes its pairs from stdin and writes only links to stdout.
TEST_F(CliTest, StreamUsageErrors) {
  WriteTrialCorpus();
  const std::string model = Path("model");
  ASSERT_EQ(Run("train --quiet -i " + Quote(bitext_) + " --model-file " + Quote(model)).exit_code,
            0);
  for (const std::string flags :
       {"--stream -i " + Quote(bitext_), "--stream --load-model " + Quote(model) + " -i x",
        "--stream --load-model " + Quote(model) + " --source a --target b",
        "--stream --load-model " + Quote(model) + " --output out",
        "--stream --load-model " + Quote(model) + " --link-posteriors p"}) {
    const RunResult r = Run("align " + flags, bitext_);
    EXPECT_EQ(r.exit_code, 2) << flags << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("--stream")) << flags;
    EXPECT_EQ(r.out, "") << flags;
  }
  // -i - is stdin, which --stream reads anyway; a file on stdin works as a
  // batch would.
  const RunResult piped = Run("align --quiet --stream -i - --load-model " + Quote(model), bitext_);
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  const RunResult batch =
      Run("align --quiet -i " + Quote(bitext_) + " --load-model " + Quote(model));
  EXPECT_EQ(piped.out, batch.out);
}

}  // namespace
}  // namespace aligner
