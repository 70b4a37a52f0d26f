#include "aligner/io/output_plan.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
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
  EXPECT_EQ(Refusal({{"-i", "-", kIn}, {"--output", "-", kOut}, {"-p", Path("t"), kOptional}}),
            "");
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
  EXPECT_THAT(Refusal({{"--output", x, kOut}, {"-p", Path("sub/../x"), kOptional}}),
              HasSubstr("--output '" + x + "' and -p '" + Path("sub/../x") +
                        "' are the same file"));
  // An existing file through a symlink, and through a hard link.
  WriteFile("target", "old\n");
  fs::create_symlink(Path("target"), Path("link"));
  EXPECT_THAT(Refusal({{"--output", Path("target"), kOut}, {"--model-file", Path("link"), kOptional}}),
              HasSubstr("are the same file (" + fs::canonical(Path("target")).string() + ")"));
  fs::create_hard_link(Path("target"), Path("hard"));
  EXPECT_THAT(Refusal({{"--output", Path("target"), kOut}, {"--checkpoint", Path("hard"), kOptional}}),
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
  EXPECT_THAT(Refusal({{"-i", corpus, kIn}, {"--output", corpus, kOut}}),
              AllOf(HasSubstr("the output --output '" + corpus + "' is the input -i '" + corpus +
                              "'"),
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
  EXPECT_THAT(Refusal({{"--output", Path("no/such/dir/out"), kOut}}),
              AllOf(HasSubstr("--output '" + Path("no/such/dir/out") + "'"),
                    HasSubstr("does not exist")));
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
    const bool ok =
        !locked.ok() &&
        std::string(locked.message()).find("cannot write '" + Path("locked/out") +
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

}  // namespace
}  // namespace aligner
