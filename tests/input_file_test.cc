// Tests for LineReader (plain, gzip, zstd, stdin) and OutputFile (atomic
// commit, cleanup of temporary files).
#include "aligner/io/input_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "aligner/io/output_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Fixtures of this file: a temporary directory and a shell.
class InputFileTest : public TempDirTest {
 protected:
  // Runs a shell command, failing the test if it does not succeed.
  static void Shell(const std::string& command) {
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
};

struct ReadResult {
  std::vector<std::string> lines;
  absl::Status status;
};

ReadResult ReadAll(const std::string& path) {
  ReadResult result;
  auto reader = LineReader::Open(path);
  if (!reader.ok()) {
    result.status = reader.status();
    return result;
  }
  std::string line;
  while ((*reader)->Next(&line)) {
    result.lines.push_back(line);
    EXPECT_EQ((*reader)->line_number(), static_cast<int64_t>(result.lines.size()));
  }
  result.status = (*reader)->status();
  // Once finished, the reader stays finished.
  EXPECT_FALSE((*reader)->Next(&line));
  return result;
}

// Text with enough variety that the compressed file spans several blocks.
std::string ManyLines(int n) {
  std::string text;
  uint32_t x = 12345;
  for (int k = 0; k < n; ++k) {
    text += "line " + std::to_string(k) + " :";
    for (int w = 0; w < 12; ++w) {
      x = x * 1103515245u + 12345u;
      text += " w" + std::to_string((x >> 8) % 5000);
    }
    text += "\n";
  }
  return text;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

using LineReaderTest = InputFileTest;

TEST_F(LineReaderTest, PlainGzipAndZstdGiveIdenticalLines) {
  const std::string text = ManyLines(3000);
  const std::string plain = WriteFile("corpus.txt", text);
  Shell("gzip -c '" + plain + "' > '" + Path("corpus.txt.gz") + "'");
  Shell("zstd -q -c '" + plain + "' > '" + Path("corpus.txt.zst") + "'");

  const ReadResult from_plain = ReadAll(plain);
  const ReadResult from_gzip = ReadAll(Path("corpus.txt.gz"));
  const ReadResult from_zstd = ReadAll(Path("corpus.txt.zst"));
  ASSERT_TRUE(from_plain.status.ok()) << from_plain.status;
  ASSERT_TRUE(from_gzip.status.ok()) << from_gzip.status;
  ASSERT_TRUE(from_zstd.status.ok()) << from_zstd.status;
  EXPECT_EQ(from_plain.lines, SplitLines(text));
  ASSERT_EQ(from_plain.lines.size(), 3000u);
  EXPECT_EQ(from_gzip.lines, from_plain.lines);
  EXPECT_EQ(from_zstd.lines, from_plain.lines);
}

TEST_F(LineReaderTest, CompressionIsDetectedFromContentNotName) {
  const std::string text = "eins zwei\ndrei\n";
  const std::string plain = WriteFile("a", text);
  Shell("gzip -c '" + plain + "' > '" + Path("gzip_named.txt") + "'");
  Shell("zstd -q -c '" + plain + "' > '" + Path("zstd_named.txt") + "'");
  // A plain file whose name claims to be compressed.
  const std::string fake_gz = WriteFile("plain.gz", text);
  for (const std::string& path : {Path("gzip_named.txt"), Path("zstd_named.txt"), fake_gz}) {
    const ReadResult r = ReadAll(path);
    ASSERT_TRUE(r.status.ok()) << path << ": " << r.status;
    EXPECT_THAT(r.lines, ElementsAre("eins zwei", "drei")) << path;
  }
}

TEST_F(LineReaderTest, StripsCarriageReturnOfCrlfLines) {
  const std::string path = WriteFile("crlf.txt", "a b\r\nc\r\n\r\nd\r\n");
  const ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.lines, ElementsAre("a b", "c", "", "d"));
}

TEST_F(LineReaderTest, StripsCarriageReturnInCompressedFiles) {
  const std::string plain = WriteFile("crlf.txt", "x y\r\nz\r\n");
  Shell("gzip -c '" + plain + "' > '" + Path("crlf.gz") + "'");
  const ReadResult r = ReadAll(Path("crlf.gz"));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.lines, ElementsAre("x y", "z"));
}

TEST_F(LineReaderTest, KeepsCarriageReturnInsideALine) {
  const std::string path = WriteFile("cr.txt", "a\rb\n");
  const ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.status.ok());
  EXPECT_THAT(r.lines, ElementsAre("a\rb"));
}

TEST_F(LineReaderTest, FinalLineWithoutNewlineIsReturned) {
  const std::string path = WriteFile("no_newline.txt", "first\nsecond\nlast");
  const ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.lines, ElementsAre("first", "second", "last"));
}

TEST_F(LineReaderTest, FinalCrlfLineWithoutNewline) {
  const std::string path = WriteFile("no_newline_cr.txt", "first\r\nlast\r");
  const ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.lines, ElementsAre("first", "last"));
}

TEST_F(LineReaderTest, CompressedFinalLineWithoutNewlineIsReturned) {
  const std::string plain = WriteFile("no_newline.txt", "first\nlast");
  Shell("gzip -c '" + plain + "' > '" + Path("n.gz") + "'");
  Shell("zstd -q -c '" + plain + "' > '" + Path("n.zst") + "'");
  for (const std::string& path : {Path("n.gz"), Path("n.zst")}) {
    const ReadResult r = ReadAll(path);
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_THAT(r.lines, ElementsAre("first", "last")) << path;
  }
}

TEST_F(LineReaderTest, BlankLinesAreKept) {
  const std::string path = WriteFile("blank.txt", "\n\na\n\n");
  const ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.status.ok());
  EXPECT_THAT(r.lines, ElementsAre("", "", "a", ""));
}

TEST_F(LineReaderTest, EmptyFileHasNoLines) {
  const std::string path = WriteFile("empty.txt", "");
  const ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.lines, IsEmpty());
}

TEST_F(LineReaderTest, FilesShorterThanTheMagicNumberAreRead) {
  // One to three bytes: shorter than the 4 bytes sniffed for the format.
  EXPECT_THAT(ReadAll(WriteFile("1.txt", "a")).lines, ElementsAre("a"));
  EXPECT_THAT(ReadAll(WriteFile("2.txt", "a\n")).lines, ElementsAre("a"));
  EXPECT_THAT(ReadAll(WriteFile("3.txt", "a\nb")).lines, ElementsAre("a", "b"));
  EXPECT_THAT(ReadAll(WriteFile("nl.txt", "\n")).lines, ElementsAre(""));
}

TEST_F(LineReaderTest, EmptyCompressedFilesHaveNoLines) {
  const std::string plain = WriteFile("empty.txt", "");
  Shell("gzip -c '" + plain + "' > '" + Path("empty.gz") + "'");
  Shell("zstd -q -c '" + plain + "' > '" + Path("empty.zst") + "'");
  for (const std::string& path : {Path("empty.gz"), Path("empty.zst")}) {
    const ReadResult r = ReadAll(path);
    ASSERT_TRUE(r.status.ok()) << path << ": " << r.status;
    EXPECT_THAT(r.lines, IsEmpty()) << path;
  }
}

TEST_F(LineReaderTest, VeryLongLine) {
  const std::string long_line(1 << 20, 'x');
  const std::string plain = WriteFile("long.txt", "a\n" + long_line + "\nb\n");
  Shell("gzip -c '" + plain + "' > '" + Path("long.gz") + "'");
  for (const std::string& path : {plain, Path("long.gz")}) {
    const ReadResult r = ReadAll(path);
    ASSERT_TRUE(r.status.ok()) << r.status;
    ASSERT_EQ(r.lines.size(), 3u);
    EXPECT_EQ(r.lines[1], long_line);
    EXPECT_EQ(r.lines[2], "b");
  }
}

TEST_F(LineReaderTest, MissingFileIsNotFoundNamingThePath) {
  const std::string path = Path("does_not_exist.txt");
  auto reader = LineReader::Open(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound) << reader.status();
  EXPECT_THAT(std::string(reader.status().message()), HasSubstr(path));
}

TEST_F(LineReaderTest, DirectoryIsAnErrorNamingThePath) {
  fs::create_directories(Path("subdir"));
  const ReadResult r = ReadAll(Path("subdir"));
  EXPECT_FALSE(r.status.ok());
  EXPECT_THAT(r.lines, IsEmpty());
  EXPECT_THAT(std::string(r.status.message()), HasSubstr(Path("subdir")));
}

// Lines are cut from blocks of a megabyte: lines that cross a block's end,
// and lines longer than a block, come back whole, from every format.
TEST_F(LineReaderTest, LinesAcrossAndLongerThanTheReadBlocks) {
  std::string text = ManyLines(30000);  // about 3 MB of short lines
  for (const size_t length : {(size_t{1} << 20) - 1, size_t{1} << 20, (size_t{1} << 20) + 1,
                              size_t{3} << 20, size_t{0}, size_t{5}}) {
    std::string line(length, 'x');
    for (size_t i = 0; i < length; i += 4099) line[i] = static_cast<char>('a' + i % 26);
    text += line + (length == 5 ? "\r\n" : "\n");
  }
  text += ManyLines(100) + "last line without a newline";
  const std::string plain = WriteFile("long.txt", text);
  Shell("gzip -c '" + plain + "' > '" + Path("long.txt.gz") + "'");
  std::vector<std::string> expected = SplitLines(text);
  for (std::string& line : expected) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
  }
  ASSERT_GT(expected.size(), 30100u);
  for (const std::string& path : {plain, Path("long.txt.gz")}) {
    const ReadResult r = ReadAll(path);
    ASSERT_TRUE(r.status.ok()) << path << ": " << r.status;
    ASSERT_EQ(r.lines.size(), expected.size()) << path;
    for (size_t k = 0; k < expected.size(); ++k) {
      ASSERT_EQ(r.lines[k], expected[k]) << path << ", line " << k + 1;
    }
  }
}

TEST_F(LineReaderTest, TruncatedGzipIsAnErrorNamingTheFile) {
  const std::string plain = WriteFile("big.txt", ManyLines(5000));
  Shell("gzip -c '" + plain + "' > '" + Path("big.gz") + "'");
  const std::string whole = ReadWholeFile(Path("big.gz"));
  ASSERT_GT(whole.size(), 1000u);
  const std::string truncated = WriteFile("truncated.gz", whole.substr(0, whole.size() / 2));

  auto reader = LineReader::Open(truncated);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::string line;
  int64_t lines = 0;
  while ((*reader)->Next(&line)) ++lines;
  EXPECT_LT(lines, 5000);
  const absl::Status status = (*reader)->status();
  EXPECT_FALSE(status.ok()) << "a truncated gzip stream read as a clean end of file after " << lines
                            << " lines";
  EXPECT_THAT(std::string(status.message()), HasSubstr(truncated));
  EXPECT_FALSE((*reader)->Next(&line));
}

TEST_F(LineReaderTest, TruncatedGzipAtLineBoundaryIsStillAnError) {
  // Cut just before the 8-byte gzip trailer (CRC and size): all the data
  // decompresses, but the stream is incomplete.
  const std::string plain = WriteFile("small.txt", "a b c\nd e f\n");
  Shell("gzip -c '" + plain + "' > '" + Path("small.gz") + "'");
  const std::string whole = ReadWholeFile(Path("small.gz"));
  ASSERT_GT(whole.size(), 8u);
  const std::string truncated = WriteFile("cut.gz", whole.substr(0, whole.size() - 8));
  const ReadResult r = ReadAll(truncated);
  EXPECT_FALSE(r.status.ok()) << "missing gzip trailer went unnoticed; lines read: "
                              << r.lines.size();
  EXPECT_THAT(std::string(r.status.message()), HasSubstr(truncated));
}

TEST_F(LineReaderTest, TruncatedZstdIsAnErrorNamingTheFile) {
  const std::string plain = WriteFile("big.txt", ManyLines(5000));
  Shell("zstd -q -c '" + plain + "' > '" + Path("big.zst") + "'");
  const std::string whole = ReadWholeFile(Path("big.zst"));
  const std::string truncated = WriteFile("truncated.zst", whole.substr(0, whole.size() / 2));
  const ReadResult r = ReadAll(truncated);
  EXPECT_LT(r.lines.size(), 5000u);
  EXPECT_FALSE(r.status.ok()) << "a truncated zstd stream read as a clean end of file after "
                              << r.lines.size() << " lines";
  EXPECT_THAT(std::string(r.status.message()), HasSubstr(truncated));
}

TEST_F(LineReaderTest, CompressedStreamsCutAnywhereAreErrors) {
  const std::string plain = WriteFile("text.txt", ManyLines(3000));
  Shell("gzip -c '" + plain + "' > '" + Path("text.gz") + "'");
  Shell("zstd -q -c '" + plain + "' > '" + Path("text.zst") + "'");
  for (const std::string name : {"text.gz", "text.zst"}) {
    const std::string whole = ReadWholeFile(Path(name));
    for (size_t cut : {size_t{1}, size_t{4}, size_t{9}, whole.size() / 3, whole.size() - 12}) {
      const std::string path =
          WriteFile("cut_" + std::to_string(cut) + "_" + name, whole.substr(0, whole.size() - cut));
      const ReadResult r = ReadAll(path);
      EXPECT_FALSE(r.status.ok()) << name << " missing its last " << cut << " bytes read as "
                                  << r.lines.size() << " complete lines";
      EXPECT_THAT(std::string(r.status.message()), HasSubstr(path));
    }
  }
}

TEST_F(LineReaderTest, CorruptGzipIsAnError) {
  const std::string plain = WriteFile("big.txt", ManyLines(2000));
  Shell("gzip -c '" + plain + "' > '" + Path("big.gz") + "'");
  std::string bytes = ReadWholeFile(Path("big.gz"));
  for (size_t k = bytes.size() / 3; k < bytes.size() / 3 + 64; ++k) bytes[k] ^= 0x5a;
  const std::string corrupt = WriteFile("corrupt.gz", bytes);
  const ReadResult r = ReadAll(corrupt);
  EXPECT_FALSE(r.status.ok());
  EXPECT_THAT(std::string(r.status.message()), HasSubstr(corrupt));
}

TEST_F(LineReaderTest, ConcatenatedGzipMembersAreAllRead) {
  // `cat a.gz b.gz` (and bgzip, pigz -i) produce multi-member gzip files,
  // which gzip -d reads as the concatenation.
  const std::string a = WriteFile("a.txt", "one\ntwo\n");
  const std::string b = WriteFile("b.txt", "three\n");
  Shell("gzip -c '" + a + "' > '" + Path("ab.gz") + "' && gzip -c '" + b + "' >> '" +
        Path("ab.gz") + "'");
  const ReadResult r = ReadAll(Path("ab.gz"));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.lines, ElementsAre("one", "two", "three"));
}

TEST_F(LineReaderTest, DashReadsStandardInput) {
  const std::string plain = WriteFile("in.txt", "from\nstdin\n");
  Shell("gzip -c '" + plain + "' > '" + Path("in.gz") + "'");
  for (const std::string& path : {plain, Path("in.gz")}) {
    const int saved = ::dup(STDIN_FILENO);
    ASSERT_GE(saved, 0);
    const int fd = ::open(path.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    ASSERT_GE(::dup2(fd, STDIN_FILENO), 0);
    ::close(fd);
    ReadResult r = ReadAll("-");
    ::dup2(saved, STDIN_FILENO);
    ::close(saved);
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_THAT(r.lines, ElementsAre("from", "stdin")) << path;
  }
}

TEST(FileLineMessageTest, Format) {
  EXPECT_EQ(FileLineMessage("a/b.txt", 12, "bad"), "a/b.txt:12: bad");
  EXPECT_EQ(FileLineMessage("-", 3, "bad"), "<stdin>:3: bad");
}

using OutputFileTest = InputFileTest;

TEST_F(OutputFileTest, NothingUnderFinalNameUntilCommit) {
  const std::string path = Path("out.txt");
  auto out = OutputFile::Open(path);
  ASSERT_TRUE(out.ok()) << out.status();
  (*out)->Write("hello ");
  (*out)->Write("world\n");
  EXPECT_FALSE(fs::exists(path));
  ASSERT_TRUE((*out)->Commit().ok());
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(ReadWholeFile(path), "hello world\n");
  // Only the final file is left, no temporary.
  EXPECT_THAT(ListDir(), ElementsAre("out.txt"));
  // Committing twice is harmless.
  EXPECT_TRUE((*out)->Commit().ok());
  out->reset();
  EXPECT_EQ(ReadWholeFile(path), "hello world\n");
}

TEST_F(OutputFileTest, DestroyedWithoutCommitLeavesNoFile) {
  const std::string path = Path("out.txt");
  {
    auto out = OutputFile::Open(path);
    ASSERT_TRUE(out.ok()) << out.status();
    (*out)->Write(std::string(3 << 20, 'x'));  // larger than the buffer
    EXPECT_FALSE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_THAT(ListDir(), IsEmpty());
}

TEST_F(OutputFileTest, ExistingFileKeptUntilCommitThenReplaced) {
  const std::string path = WriteFile("out.txt", "old\n");
  {
    auto out = OutputFile::Open(path);
    ASSERT_TRUE(out.ok());
    (*out)->Write("new\n");
    EXPECT_EQ(ReadWholeFile(path), "old\n");
    // Abandoned: the old file survives.
  }
  EXPECT_EQ(ReadWholeFile(path), "old\n");
  EXPECT_THAT(ListDir(), ElementsAre("out.txt"));
  auto out = OutputFile::Open(path);
  ASSERT_TRUE(out.ok());
  (*out)->Write("new\n");
  ASSERT_TRUE((*out)->Commit().ok());
  EXPECT_EQ(ReadWholeFile(path), "new\n");
  EXPECT_THAT(ListDir(), ElementsAre("out.txt"));
}

TEST_F(OutputFileTest, EmptyOutputCommitsAnEmptyFile) {
  const std::string path = Path("empty.txt");
  auto out = OutputFile::Open(path);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Commit().ok());
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(fs::file_size(path), 0u);
}

TEST_F(OutputFileTest, UnwritableDirectoryIsAnErrorNamingThePath) {
  const std::string path = Path("no/such/dir/out.txt");
  auto out = OutputFile::Open(path);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()), HasSubstr(path));
  EXPECT_FALSE(fs::exists(Path("no")));
}

TEST_F(OutputFileTest, ReadOnlyDirectoryIsAnErrorNamingThePath) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  fs::create_directories(Path("ro"));
  fs::permissions(Path("ro"), fs::perms::owner_read | fs::perms::owner_exec);
  const std::string path = Path("ro/out.txt");
  auto out = OutputFile::Open(path);
  fs::permissions(Path("ro"), fs::perms::owner_all);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()), HasSubstr(path));
}

TEST_F(OutputFileTest, RemovePendingOutputFilesRemovesTemporaries) {
  const std::string path = Path("pending.txt");
  auto out = OutputFile::Open(path);
  ASSERT_TRUE(out.ok());
  (*out)->Write("partial");
  EXPECT_EQ(ListDir().size(), 1u);  // the temporary
  RemovePendingOutputFiles();
  EXPECT_THAT(ListDir(), IsEmpty());
}

}  // namespace
}  // namespace aligner
