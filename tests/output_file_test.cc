#include "aligner/io/output_file.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class OutputFileReplaceTest : public TempDirTest {
 protected:
  static void WriteAndCommit(const std::string& path, const std::string& text) {
    auto out = OutputFile::Open(path);
    ASSERT_TRUE(out.ok()) << out.status();
    (*out)->Write(text);
    ASSERT_TRUE((*out)->Commit().ok());
  }

  static mode_t Mode(const std::string& path) {
    struct stat info;
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
  }

  // The id of a process that has exited and been reaped.
  static pid_t DeadPid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
  }
};

TEST_F(OutputFileReplaceTest, AppearsOnlyOnCommit) {
  auto out = OutputFile::Open(Path("out"));
  ASSERT_TRUE(out.ok()) << out.status();
  (*out)->Write("hello\n");
  EXPECT_FALSE(fs::exists(Path("out")));
  ASSERT_TRUE((*out)->Commit().ok());
  EXPECT_EQ(ReadWholeFile(Path("out")), "hello\n");
  EXPECT_THAT(ListDir(), ElementsAre("out"));
}

TEST_F(OutputFileReplaceTest, WritesThroughASymlinkWhichStaysALink) {
  fs::create_directories(Path("data"));
  WriteFile("data/real.align", "stale\n");
  fs::create_symlink("data/real.align", Path("out.align"));  // relative to the link's folder
  WriteAndCommit(Path("out.align"), "fresh\n");
  EXPECT_TRUE(fs::is_symlink(Path("out.align")));
  EXPECT_EQ(fs::read_symlink(Path("out.align")), "data/real.align");
  EXPECT_EQ(ReadWholeFile(Path("data/real.align")), "fresh\n");
  // A chain of links, and a link to a file yet to be made.
  fs::create_symlink(Path("out.align"), Path("chain"));
  WriteAndCommit(Path("chain"), "chained\n");
  EXPECT_EQ(ReadWholeFile(Path("data/real.align")), "chained\n");
  fs::create_symlink(Path("data/new.align"), Path("dangling"));
  WriteAndCommit(Path("dangling"), "new\n");
  EXPECT_TRUE(fs::is_symlink(Path("dangling")));
  EXPECT_EQ(ReadWholeFile(Path("data/new.align")), "new\n");
  // The temporary file was beside the target, and is gone.
  EXPECT_THAT(ListDir(), ElementsAre("chain", "dangling", "data", "out.align"));
}

TEST_F(OutputFileReplaceTest, UncommittedWriteThroughLinkLeavesTargetAlone) {
  WriteFile("real", "keep\n");
  fs::create_symlink(Path("real"), Path("link"));
  {
    auto out = OutputFile::Open(Path("link"));
    ASSERT_TRUE(out.ok());
    (*out)->Write("partial");
  }
  EXPECT_EQ(ReadWholeFile(Path("real")), "keep\n");
  EXPECT_THAT(ListDir(), ElementsAre("link", "real"));
}

TEST_F(OutputFileReplaceTest, SymlinkLoopIsAnError) {
  fs::create_symlink(Path("b"), Path("a"));
  fs::create_symlink(Path("a"), Path("b"));
  auto out = OutputFile::Open(Path("a"));
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("Too many levels of symbolic links"));
}

TEST_F(OutputFileReplaceTest, ExistingFileKeepsItsPermissions) {
  for (const mode_t mode : {0600, 0640, 0751, 0444}) {
    const std::string path = WriteFile("out", "old\n");
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    WriteAndCommit(path, "new\n");
    EXPECT_EQ(Mode(path), mode) << std::oct << mode;
    EXPECT_EQ(ReadWholeFile(path), "new\n");
    fs::remove(path);
  }
}

TEST_F(OutputFileReplaceTest, NewFileHonoursTheUmask) {
  const mode_t old_mask = ::umask(027);
  WriteAndCommit(Path("new"), "x\n");
  ::umask(old_mask);
  EXPECT_EQ(Mode(Path("new")), 0640);
}

TEST_F(OutputFileReplaceTest, RemovesStaleTemporariesOfDeadProcessesOnly) {
  const pid_t dead = DeadPid();
  const std::string stale = WriteFile("out.tmp." + std::to_string(dead), "left by kill -9");
  const std::string live = WriteFile("out.tmp." + std::to_string(::getppid()), "running");
  const std::string other = WriteFile("other.tmp." + std::to_string(dead), "not ours");
  const std::string not_a_pid = WriteFile("out.tmp.abc", "not our naming");
  fs::create_directories(Path("out.tmp.1x"));
  EXPECT_EQ(RemoveStaleTemporaries(Path("out")), 1);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(other));
  EXPECT_TRUE(fs::exists(not_a_pid));

  // Opening an output cleans its own stale temporaries.
  const std::string again = WriteFile("out.tmp." + std::to_string(dead), "left again");
  WriteAndCommit(Path("out"), "done\n");
  EXPECT_FALSE(fs::exists(again));
  EXPECT_EQ(ReadWholeFile(Path("out")), "done\n");
  EXPECT_TRUE(fs::exists(other));
}

TEST_F(OutputFileReplaceTest, StaleTemporariesBesideASymlinksTargetAreRemoved) {
  fs::create_directories(Path("data"));
  fs::create_symlink(Path("data/real"), Path("link"));
  const std::string stale = WriteFile("data/real.tmp." + std::to_string(DeadPid()), "x");
  WriteAndCommit(Path("link"), "y\n");
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_EQ(ReadWholeFile(Path("data/real")), "y\n");
}

TEST_F(OutputFileReplaceTest, ResolveOutputTarget) {
  EXPECT_EQ(*ResolveOutputTarget("-"), "-");
  const std::string real_dir = fs::canonical(dir_).string();
  EXPECT_EQ(*ResolveOutputTarget(Path("new")), real_dir + "/new");
  fs::create_directories(Path("sub"));
  EXPECT_EQ(*ResolveOutputTarget(Path("sub/../new")), real_dir + "/new");
  EXPECT_FALSE(ResolveOutputTarget("").ok());
  EXPECT_FALSE(ResolveOutputTarget(Path("sub/")).ok());
  const auto missing = ResolveOutputTarget(Path("none/out"));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("No such file or directory (directory '" +
                                                    Path("none") + "' does not exist)"));
}

}  // namespace
}  // namespace aligner
