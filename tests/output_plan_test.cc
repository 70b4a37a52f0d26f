#include "aligner/io/output_plan.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr PathRole kIn = PathRole::kInput;
constexpr PathRole kOut = PathRole::kOutput;
constexpr PathRole kOptional = PathRole::kOptionalOutput;

class OutputPlanTest : public TempDirTest {
 protected:
  // The message of a refused plan ("" when accepted).
  static std::string Refusal(const std::vector<NamedPath>& paths,
                             const OutputPlanOptions& options = {}) {
    const absl::Status s = CheckRunPaths(paths, options);
    if (s.ok()) return "";
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    return std::string(s.message());
  }
};

TEST_F(OutputPlanTest, DistinctFilesAreAccepted) {
  const std::string corpus = WriteFile("c.fe", "a ||| b\n");
  const std::string existing = WriteFile("old.align", "0-0\n");
  EXPECT_EQ(Refusal({{"-i", corpus, kIn},
                     {"--output", Path("new.align"), kOut},
                     {"--giza-a3", existing, kOptional},
                     {"-p", std::nullopt, kOptional},
                     {"--load-model", std::nullopt, kIn}}),
            "");
  // One output on stdout, one input on stdin.
  EXPECT_EQ(Refusal({{"-i", "-", kIn}, {"--output", "-", kOut}, {"-p", Path("t"), kOptional}}), "");
  // Two inputs may be one file (scoring a file against itself).
  EXPECT_EQ(Refusal({{"-a", corpus, kIn}, {"-g", corpus, kIn}}), "");
}

TEST_F(OutputPlanTest, EmptyPathIsRefusedForEveryRole) {
  EXPECT_THAT(Refusal({{"--output", "", kOut}}),
              AllOf(HasSubstr("--output was given an empty path"), HasSubstr("'-' for stdout")));
  EXPECT_THAT(Refusal({{"--giza-a3", "", kOptional}}),
              HasSubstr("--giza-a3 was given an empty path"));
  EXPECT_THAT(Refusal({{"--load-model", "", kIn}}),
              AllOf(HasSubstr("--load-model was given an empty path"), HasSubstr("for stdin")));
  EXPECT_THAT(Refusal({{"--output", std::nullopt, kOut}}), HasSubstr("--output needs a path"));
}

TEST_F(OutputPlanTest, StdinReadTwiceIsRefused) {
  EXPECT_THAT(Refusal({{"-i", "-", kIn}, {"-j", "-", kIn}, {"--output", "-", kOut}}),
              AllOf(HasSubstr("-i and -j both read stdin ('-')"),
                    HasSubstr("stdin can be read only once")));
  EXPECT_THAT(Refusal({{"-a", "-", kIn}, {"-g", "-", kIn}}),
              HasSubstr("-a and -g both read stdin"));
}

TEST_F(OutputPlanTest, SecondOutputOnStdoutIsRefused) {
  EXPECT_THAT(Refusal({{"--output", "-", kOut}, {"--giza-a3", "-", kOptional}}),
              HasSubstr("--output and --giza-a3 both write to stdout ('-'); only one output "
                        "can go to stdout"));
}

TEST_F(OutputPlanTest, TwoOutputsOnOneFileAreRefused) {
  const std::string x = Path("x");
  EXPECT_THAT(Refusal({{"--output", x, kOut}, {"--giza-a3", x, kOptional}}),
              AllOf(HasSubstr("--output and --giza-a3 both name '" + x + "'"),
                    HasSubstr("each output needs a file of its own")));
  // The same new file spelled differently.
  fs::create_directories(Path("sub"));
  EXPECT_THAT(
      Refusal({{"--output", x, kOut}, {"-p", Path("sub/../x"), kOptional}}),
      HasSubstr("--output '" + x + "' and -p '" + Path("sub/../x") + "' are the same file"));
  // An existing file through a symlink, and through a hard link.
  WriteFile("target", "old\n");
  fs::create_symlink(Path("target"), Path("link"));
  EXPECT_THAT(
      Refusal({{"--output", Path("target"), kOut}, {"--model-file", Path("link"), kOptional}}),
      HasSubstr("are the same file (" + fs::canonical(Path("target")).string() + ")"));
  fs::create_hard_link(Path("target"), Path("hard"));
  EXPECT_THAT(
      Refusal({{"--output", Path("target"), kOut}, {"--checkpoint", Path("hard"), kOptional}}),
      HasSubstr("are the same file"));
  // A symlink to a file that does not exist yet is that file.
  fs::create_symlink(Path("future"), Path("dangling"));
  EXPECT_THAT(Refusal({{"--output", Path("future"), kOut}, {"-p", Path("dangling"), kOptional}}),
              HasSubstr("are the same file"));
  // "/dev/stdout" is the stdout that "-" writes to.
  EXPECT_THAT(Refusal({{"--output", "-", kOut}, {"-p", "/dev/stdout", kOptional}}),
              HasSubstr("are the same file"));
}

TEST_F(OutputPlanTest, NullDeviceMayTakeSeveralOutputs) {
  if (!fs::exists("/dev/null")) GTEST_SKIP() << "no /dev/null";
  EXPECT_EQ(Refusal({{"--output", "/dev/null", kOut}, {"--giza-a3", "/dev/null", kOptional}}), "");
}

TEST_F(OutputPlanTest, OutputThatIsAnInputIsRefused) {
  const std::string corpus = WriteFile("c.fe", "a ||| b\n");
  EXPECT_THAT(
      Refusal({{"-i", corpus, kIn}, {"--output", corpus, kOut}}),
      AllOf(HasSubstr("the output --output '" + corpus + "' is the input -i '" + corpus + "'"),
            HasSubstr("writing it would destroy the input")));
  // symmetrize -i f -j f --output f
  EXPECT_THAT(Refusal({{"-i", corpus, kIn}, {"-j", corpus, kIn}, {"--output", corpus, kOut}}),
              HasSubstr("is the input -i"));
  // Through a symlink and a hard link.
  fs::create_symlink(corpus, Path("alias"));
  EXPECT_THAT(Refusal({{"--load-model", Path("alias"), kIn}, {"--output", corpus, kOut}}),
              HasSubstr("is the input --load-model '" + Path("alias") + "' (both are " +
                        fs::canonical(corpus).string() + ")"));
  fs::create_hard_link(corpus, Path("twin"));
  EXPECT_THAT(Refusal({{"--source", Path("twin"), kIn}, {"-p", corpus, kOptional}}),
              HasSubstr("is the input --source"));
  // Unless the caller says the input is read before the output replaces it.
  OutputPlanOptions resume;
  resume.output_may_replace_input = {{"--resume", "--checkpoint"}};
  EXPECT_EQ(Refusal({{"--resume", corpus, kIn}, {"--checkpoint", corpus, kOptional}}, resume), "");
  EXPECT_THAT(Refusal({{"--resume", corpus, kIn}, {"--output", corpus, kOut}}, resume),
              HasSubstr("is the input --resume"));
}

TEST_F(OutputPlanTest, OutputInMissingDirectoryOrOnADirectoryIsRefused) {
  EXPECT_THAT(
      Refusal({{"--output", Path("no/such/dir/out"), kOut}}),
      AllOf(HasSubstr("--output '" + Path("no/such/dir/out") + "'"), HasSubstr("does not exist")));
  EXPECT_THAT(Refusal({{"--giza-a3", dir_.string(), kOptional}}), HasSubstr("is a directory"));
  EXPECT_THAT(Refusal({{"--giza-a3", Path("sub/"), kOptional}}), HasSubstr("names a directory"));
}

// As root, access() grants everything, so the check runs in a child that has
// given up root.
TEST_F(OutputPlanTest, OutputInUnwritableDirectoryIsRefused) {
  fs::create_directories(Path("locked"));
  ASSERT_EQ(::chmod(Path("locked").c_str(), 0555), 0);
  const std::string existing = WriteFile("readonly", "keep\n");
  ASSERT_EQ(::chmod(existing.c_str(), 0444), 0);
  // The test directory must let the unprivileged child reach it.
  for (fs::path p = dir_; p != p.root_path(); p = p.parent_path()) {
    struct stat info;
    ASSERT_EQ(::stat(p.c_str(), &info), 0);
    if ((info.st_mode & 0001) == 0 && ::geteuid() == 0) GTEST_SKIP() << p << " not searchable";
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    const absl::Status locked = CheckRunPaths({{"--output", Path("locked/out"), kOut}});
    const absl::Status readonly = CheckRunPaths({{"--output", existing, kOut}});
    const bool ok = !locked.ok() &&
                    std::string(locked.message())
                            .find("cannot write '" + Path("locked/out") +
                                  "' (--output): directory") != std::string::npos &&
                    std::string(locked.message()).find("Permission denied") != std::string::npos &&
                    !readonly.ok() &&
                    std::string(readonly.message()).find("is not writable") != std::string::npos;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "3: could not drop root; 1: not refused as expected";
}

TEST_F(OutputPlanTest, NothingIsCreatedOrRead) {
  const std::string corpus = WriteFile("c.fe", "a ||| b\n");
  ASSERT_EQ(Refusal({{"-i", corpus, kIn}, {"--output", Path("new"), kOut}}), "");
  EXPECT_THAT(ListDir(), ::testing::ElementsAre("c.fe"));
}

// Random combinations of flags and paths, against an oracle written with
// std::filesystem rather than stat(): aliases by symlink, hard link, "..",
// dangling links, stdin/stdout, missing directories, directories, "".
TEST_F(OutputPlanTest, RandomPlansMatchAnIndependentOracle) {
  WriteFile("a", "a\n");
  WriteFile("b", "b\n");
  fs::create_directories(Path("sub"));
  fs::create_symlink(Path("a"), Path("link_a"));
  fs::create_hard_link(Path("a"), Path("hard_a"));
  fs::create_symlink(Path("new2"), Path("dangling"));
  const std::vector<std::string> input_pool = {Path("a"),      Path("b"), Path("link_a"),
                                               Path("hard_a"), "-",       ""};
  const std::vector<std::string> output_pool = {
      Path("a"),    Path("b"),      Path("link_a"),      Path("hard_a"),
      Path("new1"), Path("new2"),   Path("sub/../new1"), Path("dangling"),
      "-",          Path("none/x"), Path("sub"),         ""};
  // What a path is, for the oracle: "" (refused), "stdin"/"stdout", "bad"
  // (refused output), or the file it names.
  auto identity = [&](const std::string& path, bool output) -> std::string {
    if (path.empty()) return "";
    if (path == "-") return output ? "stdout" : "stdin";
    fs::path p = path;
    if (fs::is_symlink(p) && !fs::exists(p)) p = fs::read_symlink(p);
    if (output && (!fs::exists(p.parent_path()) || fs::is_directory(p))) return "bad";
    // Existing files by fs::equivalent (so hard links too), new ones by name.
    for (const std::string& known : {Path("a"), Path("b")}) {
      if (fs::exists(p) && fs::equivalent(p, known)) return known;
    }
    return fs::weakly_canonical(p).string();
  };
  std::mt19937 rng(18);
  int accepted = 0, refused = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<NamedPath> plan;
    std::vector<std::string> ins, outs;
    const int num_inputs = 1 + rng() % 3, num_outputs = 1 + rng() % 4;
    for (int k = 0; k < num_inputs; ++k) {
      plan.push_back({"--in" + std::to_string(k), input_pool[rng() % input_pool.size()], kIn});
      ins.push_back(identity(*plan.back().path, false));
    }
    for (int k = 0; k < num_outputs; ++k) {
      plan.push_back({"--out" + std::to_string(k), output_pool[rng() % output_pool.size()],
                      k == 0 ? kOut : kOptional});
      outs.push_back(identity(*plan.back().path, true));
    }
    bool expected = true;
    for (const std::string& i : ins) expected &= !i.empty();
    for (const std::string& o : outs) expected &= !o.empty() && o != "bad";
    for (size_t x = 0; x < ins.size(); ++x) {
      for (size_t y = x + 1; y < ins.size(); ++y)
        expected &= !(ins[x] == "stdin" && ins[y] == "stdin");
    }
    for (size_t x = 0; x < outs.size(); ++x) {
      for (size_t y = x + 1; y < outs.size(); ++y) expected &= outs[x] != outs[y];
      for (const std::string& i : ins) expected &= outs[x] != i;
    }
    std::string description;
    for (const NamedPath& n : plan) description += n.flag + "=" + *n.path + " ";
    const absl::Status status = CheckRunPaths(plan);
    EXPECT_EQ(status.ok(), expected) << description << "-> " << status;
    (status.ok() ? accepted : refused)++;
  }
  // Both outcomes are exercised.
  EXPECT_GT(accepted, 20);
  EXPECT_GT(refused, 100);
  // Nothing was created.
  EXPECT_THAT(ListDir(), ::testing::ElementsAre("a", "b", "dangling", "hard_a", "link_a", "sub"));
}

// The same through the tool: `symmetrize` with random -i, -j and --output
// never modifies an input, and leaves each output either untouched (when
// refused) or complete, with no temporary file behind.
TEST_F(OutputPlanTest, RandomSymmetrizeRunsNeverModifyAnInputOrLeaveAPartialFile) {
  const std::string binary = ALIGNER_BINARY;
  const std::string forward = "0-0 1-1\n0-1\n", reverse = "0-0 1-1\n1-1\n";
  // What symmetrize writes for each pair of input contents, from clean runs.
  WriteFile("cf", forward);
  WriteFile("cr", reverse);
  std::map<std::pair<std::string, std::string>, std::string> expected;
  for (const std::string& x : {std::string("cf"), std::string("cr")}) {
    for (const std::string& y : {std::string("cf"), std::string("cr")}) {
      const std::string command =
          binary + " symmetrize -i " + Path(x) + " -j " + Path(y) + " > " + Path("clean");
      ASSERT_EQ(std::system(command.c_str()), 0) << command;
      expected[{x == "cf" ? forward : reverse, y == "cf" ? forward : reverse}] =
          ReadWholeFile(Path("clean"));
    }
  }
  const std::vector<std::string> names = {"f",   "r",        "link_f", "hard_r",
                                          "new", "dangling", "-",      "none/x"};
  std::mt19937 rng(1818);
  int succeeded = 0;
  for (int trial = 0; trial < 60; ++trial) {
    for (const auto& entry : fs::directory_iterator(dir_)) fs::remove_all(entry.path());
    WriteFile("f", forward);
    WriteFile("r", reverse);
    fs::create_symlink(Path("f"), Path("link_f"));
    fs::create_hard_link(Path("r"), Path("hard_r"));
    fs::create_symlink(Path("target"), Path("dangling"));
    const std::string stdin_file = WriteFile("stdin", forward);
    auto arg = [&](const std::string& name) { return name == "-" ? name : Path(name); };
    const std::string i = names[rng() % 4 == 0 ? 6 : rng() % 4];
    const std::string j = names[rng() % 4 == 0 ? 6 : rng() % 4];
    const std::string o = names[rng() % names.size()];
    const std::string command = binary + " symmetrize -i " + arg(i) + " -j " + arg(j) +
                                " --output " + arg(o) + " < " + stdin_file + " > " +
                                Path("stdout") + " 2> " + Path("stderr");
    const int status = std::system(command.c_str());
    ASSERT_TRUE(WIFEXITED(status)) << command;
    const int code = WEXITSTATUS(status);
    // Inputs keep their content (f, r and their aliases).
    EXPECT_EQ(ReadWholeFile(Path("stdin")), forward) << command;
    const bool output_is_f = o == "f" || o == "link_f";
    const bool output_is_r = o == "r" || o == "hard_r";
    const bool f_read = i == "f" || i == "link_f" || j == "f" || j == "link_f";
    const bool r_read = i == "r" || i == "hard_r" || j == "r" || j == "hard_r";
    if (f_read || !output_is_f || code != 0)
      EXPECT_EQ(ReadWholeFile(Path("f")), forward) << command;
    if (r_read || !output_is_r || code != 0)
      EXPECT_EQ(ReadWholeFile(Path("r")), reverse) << command;
    // Refused exactly when an output would be an input, stdin is read twice
    // or the directory is missing.
    const bool refuse = (output_is_f && f_read) || (output_is_r && r_read) ||
                        (i == "-" && j == "-") || o == "none/x";
    EXPECT_EQ(code, refuse ? 2 : 0) << command << "\n" << ReadWholeFile(Path("stderr"));
    if (code == 0) {
      ++succeeded;
      const std::string written = o == "-"          ? Path("stdout")
                                  : o == "dangling" ? Path("target")
                                                    : Path(o);
      // Both inputs are f-like or r-like; symmetrizing a file with itself
      // gives that file back.
      const std::string first = i == "-" || i == "f" || i == "link_f" ? forward : reverse;
      const std::string second = j == "-" || j == "f" || j == "link_f" ? forward : reverse;
      EXPECT_EQ(ReadWholeFile(written), (expected[{first, second}])) << command;
      if (o == "dangling" || o == "link_f") EXPECT_TRUE(fs::is_symlink(Path(o))) << command;
    } else if (o == "new" || o == "dangling") {
      EXPECT_FALSE(fs::exists(Path(o))) << command;
    }
    for (const auto& entry : fs::directory_iterator(dir_)) {
      EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos)
          << command << ": " << entry.path();
    }
  }
  EXPECT_GT(succeeded, 15);
}

}  // namespace
}  // namespace aligner
