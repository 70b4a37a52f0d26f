// What a user sees when the `aligner` tool gets bad input: for every kind of
// damaged corpus, missing or unwritable file and bad option, the exit code,
// the message (naming the file and the line or counts), the output's line
// count, and that nothing that looks like a finished output is left behind.
//
// Exit codes: 0 success (warnings on stderr), 1 a failed run ("error: ..."),
// 2 bad usage (checked before any work).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "aligner/io/pharaoh.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kBinary = ALIGNER_BINARY;

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Output lines: every line the tool writes ends in "\n".
std::vector<std::string> OutputLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  EXPECT_EQ(start, text.size()) << "output does not end in a newline";
  return lines;
}

size_t CountOccurrences(const std::string& text, const std::string& what) {
  size_t count = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
    ++count;
  }
  return count;
}

struct RunResult {
  int exit_code = -1;
  std::string out, err;
  double seconds = 0;
};

class BadInputTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_TRUE(fs::exists(kBinary)) << kBinary;
  }

  void Shell(const std::string& command) const {
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }

  // Runs `aligner <args>` with stdout and stderr captured (stdout to
  // `stdout_path` when given, e.g. /dev/full).
  RunResult Run(const std::string& args, const std::string& stdout_path = "") const {
    const std::string out = Path(".stdout"), err = Path(".stderr");
    const std::string command = Quote(kBinary) + " " + args + " > " +
                                Quote(stdout_path.empty() ? out : stdout_path) + " 2> " +
                                Quote(err) + " < /dev/null";
    const auto start = std::chrono::steady_clock::now();
    const int status = std::system(command.c_str());
    RunResult result;
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = ReadWholeFile(out);
    result.err = ReadWholeFile(err);
    fs::remove(out);
    fs::remove(err);
    return result;
  }

  // Names in the test directory other than the inputs given.
  std::vector<std::string> NewFiles(const std::vector<std::string>& inputs) const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      const std::string name = entry.path().filename().string();
      if (std::find(inputs.begin(), inputs.end(), entry.path().string()) == inputs.end()) {
        names.push_back(name);
      }
    }
    return names;
  }

  // Names in the test directory that start with `prefix` (an output and its
  // temporary files).
  std::vector<std::string> FilesStartingWith(const std::string& prefix) const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      const std::string name = entry.path().filename().string();
      if (name.compare(0, prefix.size(), prefix) == 0) names.push_back(name);
    }
    return names;
  }

  // Every link of every line within its pair's lengths; the input lines give
  // the lengths (bitext form).
  void ExpectLinksInRange(const std::vector<std::string>& input_lines,
                          const std::vector<std::string>& output_lines) const {
    ASSERT_EQ(input_lines.size(), output_lines.size());
    for (size_t k = 0; k < input_lines.size(); ++k) {
      const std::string& line = input_lines[k];
      const size_t sep = line.find(" ||| ");
      if (sep == std::string::npos) continue;
      auto count = [](const std::string& side) {
        std::istringstream in(side);
        size_t n = 0;
        for (std::string token; in >> token;) ++n;
        return n;
      };
      const size_t l = count(line.substr(0, sep)), m = count(line.substr(sep + 5));
      auto links = ParsePharaoh(output_lines[k]);
      ASSERT_TRUE(links.ok()) << output_lines[k];
      for (const Link& link : *links) {
        EXPECT_LT(link.source, l) << "line " << k + 1;
        EXPECT_LT(link.target, m) << "line " << k + 1;
      }
    }
  }
};

std::vector<std::string> SplitInputLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string RandomSentence(std::mt19937* rng, int length, int vocabulary, const char* prefix) {
  std::string out;
  for (int i = 0; i < length; ++i) {
    if (i > 0) out += ' ';
    out += prefix + std::to_string((*rng)() % vocabulary);
  }
  return out;
}

// --- Corpus shape -----------------------------------------------------------

TEST_F(BadInputTest, DifferentLineCountsNameBothFilesAndCountsBeforeTraining) {
  const std::string source = WriteFile("corpus.src", "a b\nc d\ne f\n");
  const std::string target = WriteFile("corpus.tgt", "x y\nz w\n");
  const std::string out = Path("out.align");
  for (const auto& [s, t, sn, tn] :
       {std::tuple{source, target, 3, 2}, std::tuple{target, source, 2, 3}}) {
    const RunResult r =
        Run("align --source " + Quote(s) + " --target " + Quote(t) + " --output " + Quote(out));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err,
                HasSubstr("error: the parallel files have different line counts: " + s + " has " +
                          std::to_string(sn) + " lines, " + t + " has " + std::to_string(tn)));
    EXPECT_THAT(r.err, Not(HasSubstr("iteration")));  // before training
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(NewFiles({source, target}), ::testing::IsEmpty());
  }
}

TEST_F(BadInputTest, EmptySourceOrTargetFile) {
  const std::string empty = WriteFile("empty.txt", "");
  const std::string two = WriteFile("two.txt", "a b\nc\n");
  RunResult r = Run("align --source " + Quote(empty) + " --target " + Quote(two));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(empty + " has 0 lines, " + two + " has 2"));
  r = Run("align --source " + Quote(two) + " --target " + Quote(empty));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(two + " has 2 lines, " + empty + " has 0"));

  // Both empty: nothing in, nothing out, success.
  r = Run("align --source " + Quote(empty) + " --target " + Quote(empty) + " --quiet");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = Run("align -i " + Quote(empty) + " --quiet");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(BadInputTest, EmptySidesGiveEmptyLinesAndOneWarning) {
  // Every line but the last has one side with no tokens.
  const std::string source = WriteFile("s", "a b\n\nc\n   \na\n");
  const std::string target = WriteFile("t", "\nx y\n \t \nz\nx\n");
  const RunResult r = Run("align --source " + Quote(source) + " --target " + Quote(target));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = OutputLines(r.out);
  ASSERT_EQ(lines.size(), 5u);
  for (size_t k = 0; k < 4; ++k) EXPECT_EQ(lines[k], "") << k;
  EXPECT_EQ(CountOccurrences(r.err, "warning"), 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("warning: 4 pairs have an empty side"));
}

// Exit 0 with nothing but empty lines would look like a finished alignment.
TEST_F(BadInputTest, CorpusWithoutAUsableLineIsAnError) {
  const std::string source = WriteFile("s", "a b\n\nc\n   \n");
  const std::string target = WriteFile("t", "\nx y\n \t \nz\n");
  const std::string out = Path("out.align");
  RunResult r = Run("align --source " + Quote(source) + " --target " + Quote(target) +
                    " --output " + Quote(out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: " + source + " and " + target +
                               ": none of their 4 lines can be aligned (4 with an empty side)"));
  EXPECT_FALSE(fs::exists(out));
  const std::string bitext = WriteFile("b", "no separator\nnor here\n");
  r = Run("align -i " + Quote(bitext) + " -d -o -v");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: " + bitext +
                               ": none of its 2 lines can be aligned (2 without one ' ||| ' "
                               "separator); there is nothing to train on or align"));
  EXPECT_EQ(r.out, "");
  r = Run("symmetric -i " + Quote(bitext) + " --prefix " + Quote(Path("sym")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("none of its 2 lines can be aligned"));
  EXPECT_THAT(NewFiles({source, target, bitext}), ::testing::IsEmpty());
}

TEST_F(BadInputTest, BlankAndWhitespaceOnlyLinesKeepTheirOutputLines) {
  // Parallel files: blank and whitespace-only lines are empty sides.
  const std::string source = WriteFile("s", "a b\n\nc d\n \t \na\n");
  const std::string target = WriteFile("t", "x y\n\nz w\n   \nx\n");
  RunResult r = Run("align --source " + Quote(source) + " --target " + Quote(target));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = OutputLines(r.out);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[3], "");
  EXPECT_THAT(r.err, HasSubstr("warning: 2 pairs have an empty side"));

  // Bitext: a blank line and a spaces-only line have no separator
  // (malformed); a line that is only a TAB splits into two empty sides.
  const std::string bitext = WriteFile("b", "a b ||| x y\n\nc d ||| z w\n    \n\t\na ||| x\n");
  r = Run("align -i " + Quote(bitext));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  lines = OutputLines(r.out);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[3], "");
  EXPECT_EQ(lines[4], "");
  EXPECT_THAT(r.err, HasSubstr("warning: 2 lines have no ' ||| ' separator (or more than one), "
                               "first at line 2"));
  EXPECT_THAT(r.err, HasSubstr("warning: 1 pairs have an empty side"));
}

TEST_F(BadInputTest, CrlfTabsAndMissingFinalNewlineAlignLikeCleanInput) {
  const std::string clean_text = "a b c ||| x y z\nb c ||| y z\na c ||| x z\nc ||| z\n";
  const std::string clean = WriteFile("clean", clean_text);
  const RunResult expected = Run("align -i " + Quote(clean) + " -d -o -v --quiet");
  ASSERT_EQ(expected.exit_code, 0) << expected.err;
  ASSERT_EQ(OutputLines(expected.out).size(), 4u);

  std::string crlf;
  for (const std::string& line : SplitInputLines(clean_text)) crlf += line + "\r\n";
  std::string no_final_newline = clean_text.substr(0, clean_text.size() - 1);
  std::string tabs = "a b c\tx y z\nb\tc ||| y\tz\na c\t|||\tx z\nc\tz";
  for (const auto& [name, text] :
       {std::pair{"crlf", crlf}, std::pair{"nofinal", no_final_newline}, std::pair{"tabs", tabs}}) {
    const std::string path = WriteFile(name, text);
    const RunResult r = Run("align -i " + Quote(path) + " -d -o -v --quiet");
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_EQ(r.out, expected.out) << name;
    EXPECT_EQ(r.err, "") << name;
  }

  // The same as parallel files, CRLF on one side only, no final newline on
  // the other.
  const std::string source = WriteFile("s", "a b c\r\nb c\r\na c\r\nc\r\n");
  const std::string target = WriteFile("t", "x y z\ny z\nx z\nz");
  const RunResult r =
      Run("align --source " + Quote(source) + " --target " + Quote(target) + " -d -o -v --quiet");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected.out);
}

TEST_F(BadInputTest, MalformedSeparatorLinesGiveEmptyLinesAndOneCountedWarning) {
  const std::string text =
      "a b ||| x y\n"
      "no separator here\n"  // line 2
      "a ||| b ||| c\n"      // line 3: two separators
      "b ||| y\n"
      "a|||b\n"             // line 5: '|||' not standing alone
      "a b ||| x y ||| \n"  // line 6
      "a ||| x";
  const std::string path = WriteFile("bitext", text);
  const RunResult r = Run("align -i " + Quote(path) + " --output " + Quote(Path("out")));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = OutputLines(ReadWholeFile(Path("out")));
  ASSERT_EQ(lines.size(), 7u);
  for (size_t k : {1, 2, 4, 5}) EXPECT_EQ(lines[k], "") << "line " << k + 1;
  EXPECT_EQ(CountOccurrences(r.err, "separator"), 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("warning: 4 lines have no ' ||| ' separator (or more than one), "
                               "first at line 2; their output lines are empty"));
  ExpectLinksInRange(SplitInputLines(text), lines);
}

// --- Size and content -------------------------------------------------------

TEST_F(BadInputTest, VeryLongSentencesAreWrittenEmptyWithAWarning) {
  std::mt19937 rng(7);
  const std::string text = "a b c ||| x y z\n" + RandomSentence(&rng, 5000, 300, "w") + " ||| " +
                           RandomSentence(&rng, 5000, 300, "v") + "\n" + "a b ||| x y\n";
  const std::string path = WriteFile("long", text);
  const RunResult r = Run("align -i " + Quote(path) + " -d -o -v");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = OutputLines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], "");
  EXPECT_THAT(r.err, HasSubstr("warning: 1 pairs have a side longer than --max-sentence-length, "
                               "first at line 2"));
  EXPECT_LT(r.seconds, 60);
}

// One 100,000-token pair would need terabytes for its matrices (it used to
// abort with std::bad_alloc, exit 134, after minutes); it is skipped like an
// over-long pair, and its words do not enter the vocabularies.
TEST_F(BadInputTest, PairTooLargeForMemoryIsSkippedNotAborted) {
  std::mt19937 rng(10);
  const std::string text = "a b c ||| x y z\n" + RandomSentence(&rng, 100000, 50000, "w") +
                           " ||| " + RandomSentence(&rng, 100000, 50000, "v") + "\n" +
                           "a b ||| x y\n";
  const std::string path = WriteFile("huge", text);
  for (const std::string model : {"-d -o -v", "--model hmm", "--model model2"}) {
    const RunResult r = Run("align -i " + Quote(path) + " --max-sentence-length 100000 " + model +
                            " --output " + Quote(Path("out")));
    EXPECT_EQ(r.exit_code, 0) << model << ": " << r.err;
    const std::vector<std::string> lines = OutputLines(ReadWholeFile(Path("out")));
    ASSERT_EQ(lines.size(), 3u) << model;
    EXPECT_EQ(lines[1], "") << model;
    EXPECT_NE(lines[0], "") << model;
    EXPECT_THAT(r.err, HasSubstr("warning: 1 pairs have a side longer than")) << model;
    EXPECT_THAT(r.err, HasSubstr("(5 source, 5 target tokens; 3 and 3 word types)")) << model;
    EXPECT_LT(r.seconds, 60) << model;
  }
}

TEST_F(BadInputTest, VeryLongSentencesAlignWhenAllowed) {
  std::mt19937 rng(8);
  const std::string text = "a b c ||| x y z\n" + RandomSentence(&rng, 5000, 300, "w") + " ||| " +
                           RandomSentence(&rng, 5000, 300, "v") + "\n" + "a b ||| x y\n";
  const std::string path = WriteFile("long", text);
  const RunResult r = Run("align -i " + Quote(path) + " --max-sentence-length 5000 -I 2 --quiet");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = OutputLines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[1], "");
  ExpectLinksInRange(SplitInputLines(text), lines);
  EXPECT_LT(r.seconds, 120);
}

TEST_F(BadInputTest, ExtremeLengthRatiosAlignInRange) {
  std::mt19937 rng(9);
  const std::string text = "one ||| " + RandomSentence(&rng, 2000, 300, "v") + "\n" +
                           RandomSentence(&rng, 2000, 300, "w") + " ||| one\n" + "a b ||| x y\n" +
                           "a ||| " + RandomSentence(&rng, 999, 50, "v") + "\n";
  const std::string path = WriteFile("ratio", text);
  for (const std::string flags : {"-d -o -v", "-d -o -v -r", "--model model2", "--model hmm -I 2",
                                  "-d --posterior-threshold 0.1"}) {
    const RunResult r =
        Run("align -i " + Quote(path) + " --max-sentence-length 2000 --quiet " + flags);
    EXPECT_EQ(r.exit_code, 0) << flags << ": " << r.err;
    const std::vector<std::string> lines = OutputLines(r.out);
    ASSERT_EQ(lines.size(), 4u) << flags;
    ExpectLinksInRange(SplitInputLines(text), lines);
    EXPECT_LT(r.seconds, 120) << flags;
  }
  // With the default limit (250) the 2000- and 999-token sides are too
  // long, not a crash.
  const RunResult r = Run("align -i " + Quote(path) + " -d -o -v");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = OutputLines(r.out);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "");
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[3], "");
  EXPECT_THAT(r.err, HasSubstr("warning: 3 pairs have a side longer than --max-sentence-length, "
                               "first at line 1"));
}

TEST_F(BadInputTest, InvalidUtf8NulBytesAndNonLatinScripts) {
  std::string text;
  text += std::string("\xff\xfe bad \xc3 ||| \xe2\x82 x\n");
  text += std::string("a\0b c ||| d\0 e\n", 15);
  text += "日本語 の 文 ||| Японский текст\n";
  text += "مرحبا بالعالم ||| שלום עולם\n";
  text += std::string("\0\0\0 ||| \0\n", 10);
  text += "ΑΒΓ Δ ||| ΑΒΓ δ\n";
  text += std::string("\x80\x80 \xc0\xaf ||| \xed\xa0\x80\n");
  const std::string path = WriteFile("weird", text);
  const std::string a3 = Path("out.a3");
  for (const std::string flags : {"-d -o -v", "--lowercase -d -v", "--model hmm", "-s"}) {
    const RunResult r =
        Run("align -i " + Quote(path) + " --quiet --giza-a3 " + Quote(a3) + " " + flags);
    EXPECT_EQ(r.exit_code, 0) << flags << ": " << r.err;
    const std::vector<std::string> lines = OutputLines(r.out);
    ASSERT_EQ(lines.size(), 7u) << flags;
    EXPECT_EQ(CountOccurrences(ReadWholeFile(a3), "# Sentence pair ("), 7u) << flags;
  }
}

// --- Files ------------------------------------------------------------------

TEST_F(BadInputTest, MissingInputFileIsNamedAndNothingIsWritten) {
  const std::string missing = Path("no_such_file.txt");
  const std::string out = Path("out.align");
  RunResult r = Run("align -i " + Quote(missing) + " --output " + Quote(out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: cannot open " + missing + ": No such file or directory"));
  EXPECT_THAT(NewFiles({}), ::testing::IsEmpty());

  const std::string target = WriteFile("t", "x\n");
  r = Run("align --source " + Quote(missing) + " --target " + Quote(target) + " --output " +
          Quote(out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: cannot open " + missing));
  EXPECT_THAT(NewFiles({target}), ::testing::IsEmpty());
}

TEST_F(BadInputTest, DirectoryAsInputIsAnError) {
  const std::string out = Path("out.align");
  const RunResult r = Run("align -i " + Quote(dir_.string()) + " --output " + Quote(out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(dir_.string()));
  EXPECT_THAT(r.err, HasSubstr("Is a directory"));
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(BadInputTest, UnreadableInputFileIsNamed) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: chmod 000 does not block reading";
  const std::string path = WriteFile("secret", "a ||| b\n");
  fs::permissions(path, fs::perms::none);
  const RunResult r = Run("align -i " + Quote(path) + " --output " + Quote(Path("out")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: cannot open " + path + ": Permission denied"));
  EXPECT_FALSE(fs::exists(Path("out")));
}

TEST_F(BadInputTest, UnwritableOutputPathFailsBeforeReading) {
  const std::string input = WriteFile("in", "a ||| b\n");
  for (const std::string option : {"--output", "--giza-a3"}) {
    const std::string out = Path("no_such_dir/out.align");
    const RunResult r = Run("align -i " + Quote(input) + " " + option + " " + Quote(out));
    // Refused by the output plan, as a usage error, before any work.
    EXPECT_EQ(r.exit_code, 2) << option;
    EXPECT_THAT(r.err, HasSubstr(option + " '" + out + "': No such file or directory"));
    EXPECT_THAT(r.err, Not(HasSubstr("read 1 pairs"))) << "should fail before reading";
    EXPECT_THAT(NewFiles({input}), ::testing::IsEmpty());
  }
}

TEST_F(BadInputTest, TruncatedCompressedInputIsAnErrorNamingTheFile) {
  std::string text;
  for (int k = 0; k < 3000; ++k) {
    text += "a b c " + std::to_string(k) + " ||| x y z " + std::to_string(k % 97) + "\n";
  }
  const std::string plain = WriteFile("corpus.txt", text);
  Shell("gzip -c " + Quote(plain) + " > " + Quote(Path("corpus.gz")));
  Shell("zstd -q -c " + Quote(plain) + " > " + Quote(Path("corpus.zst")));
  const std::string out = Path("out.align");
  for (const std::string name : {"corpus.gz", "corpus.zst"}) {
    const std::string whole = ReadWholeFile(Path(name));
    for (const size_t keep : {whole.size() / 2, whole.size() - 1, size_t{10}}) {
      const std::string cut = WriteFile("cut_" + name, whole.substr(0, keep));
      const RunResult r = Run("align -i " + Quote(cut) + " --output " + Quote(out));
      EXPECT_EQ(r.exit_code, 1) << name << " cut to " << keep << " bytes: " << r.err;
      EXPECT_THAT(r.err, HasSubstr("error: " + cut + ":"));
      EXPECT_THAT(r.err, HasSubstr("read error"));
      EXPECT_THAT(FilesStartingWith("out"), ::testing::IsEmpty()) << name;
    }
    // The parallel-files reader too.
    const std::string cut = WriteFile("half_" + name, whole.substr(0, whole.size() / 2));
    const RunResult r = Run("align --source " + Quote(cut) + " --target " + Quote(plain) +
                            " --output " + Quote(out));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr("error: " + cut + ":"));
    EXPECT_THAT(FilesStartingWith("out"), ::testing::IsEmpty()) << name;
  }
}

TEST_F(BadInputTest, FullDiskFailsWithAClearError) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  const std::string input = WriteFile("in", "a b ||| x y\nb ||| y\n");
  // As the --output file, the A3 file, the t-table file, and as stdout.
  for (const std::string option : {"--output", "--giza-a3", "-p"}) {
    const RunResult r = Run("align -i " + Quote(input) + " --quiet " + option + " /dev/full");
    EXPECT_EQ(r.exit_code, 1) << option;
    EXPECT_THAT(r.err, HasSubstr("error: cannot write /dev/full: No space left on device"))
        << option;
  }
  RunResult r = Run("align -i " + Quote(input) + " --quiet", "/dev/full");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: cannot write to stdout: No space left on device"));

  // The device is still a device (not replaced by a renamed temporary file).
  struct stat info;
  ASSERT_EQ(::stat("/dev/full", &info), 0);
  EXPECT_TRUE(S_ISCHR(info.st_mode));
  EXPECT_THAT(NewFiles({input}), ::testing::IsEmpty());

  // symmetrize and evaluate.
  const std::string links = WriteFile("links", "0-0 1-1\n0-0\n");
  r = Run("symmetrize -i " + Quote(links) + " -j " + Quote(links), "/dev/full");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot write to stdout: No space left on device"));
  r = Run("symmetrize -i " + Quote(links) + " -j " + Quote(links) + " --output /dev/full");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot write /dev/full: No space left on device"));
  r = Run("evaluate -a " + Quote(links) + " -g " + Quote(links), "/dev/full");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: cannot write to stdout"));
}

TEST_F(BadInputTest, DeviceOutputsAreWrittenInPlace) {
  if (!fs::exists("/dev/null")) GTEST_SKIP() << "no /dev/null";
  const std::string input = WriteFile("in", "a b ||| x y\n");
  const RunResult r = Run("align -i " + Quote(input) + " --quiet --output /dev/null");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  struct stat info;
  ASSERT_EQ(::stat("/dev/null", &info), 0);
  EXPECT_TRUE(S_ISCHR(info.st_mode));
}

// --- Options ----------------------------------------------------------------

TEST_F(BadInputTest, BadOptionsAreUsageErrorsBeforeAnyWork) {
  const std::string input = WriteFile("in", "a b ||| x y\n");
  const std::string out = Path("out.align");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"-I -1", "--iterations must be >= 0"},
      {"--model bogus", "unknown model 'bogus' (expected model1, model2, diagonal or hmm)"},
      {"--posterior-threshold 1.5", "--posterior-threshold must be in [0, 1]"},
      {"--posterior-threshold -0.5", "--posterior-threshold must be in [0, 1]"},
      {"--posterior-threshold -1", "--posterior-threshold must be in [0, 1]"},
      {"--posterior-threshold nan", "--posterior-threshold must be in [0, 1]"},
      {"--threads -1", "--threads must be >= 0"},
      {"--alpha 0 -v", "--alpha must be > 0"},
      {"--alpha -1 -v", "--alpha must be > 0"},
      {"--alpha inf -v", "--alpha must be > 0"},
      {"-d -T 0", "--diagonal-tension must be > 0"},
      {"-d -T -3", "--diagonal-tension must be > 0"},
      {"-d -T inf", "--diagonal-tension must be > 0 (and finite)"},
      {"-d -q 1", "--p0 must be in [0, 1)"},
      {"--max-sentence-length 0", "--max-sentence-length must be in [1, 2147483647]"},
      {"--max-sentence-length -1", "--max-sentence-length must be in [1, 2147483647]"},
      {"--iterations abc", "the argument ('abc') for option '--iterations' is invalid"},
      {"--no-such-option", "unrecognised option '--no-such-option'"},
      {"-I", "the required argument for option '--iterations' is missing"},
      {"--ttable-format xml", "--ttable-format must be fast_align or prob"},
      {"--model1-iterations -5", "--model1-iterations must be >= 0 (or -1"},
      {"--ttable-min-prob 2 -p " + Quote(Path("t")), "--ttable-min-prob must be in [0, 1]"},
      {"stray.align", "too many positional options"},
      {"-d --model hmm", "-d (the diagonal model) contradicts --model hmm"},
  };
  for (const auto& [flags, message] : cases) {
    const RunResult r = Run("align -i " + Quote(input) + " --output " + Quote(out) + " " + flags);
    EXPECT_EQ(r.exit_code, 2) << flags << ": " << r.err;
    EXPECT_THAT(r.err, AllOf(HasSubstr("aligner align: " + message),
                             HasSubstr("Run 'aligner align --help' for the options.")))
        << flags;
    EXPECT_THAT(r.err, Not(HasSubstr("read "))) << flags << ": work started";
    EXPECT_EQ(r.out, "") << flags;
    EXPECT_THAT(NewFiles({input}), ::testing::IsEmpty()) << flags;
  }
  // No input, or both forms of input.
  RunResult r = Run("align");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("give either -i FILE or both --source FILE and --target FILE"));
  r = Run("align -i " + Quote(input) + " --source " + Quote(input));
  EXPECT_EQ(r.exit_code, 2);
  r = Run("align --source " + Quote(input));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--source and --target go together"));
  r = Run("bogus-command");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'bogus-command'"));
}

TEST_F(BadInputTest, ValidThresholdsAndDefaultViterbiStillWork) {
  const std::string input = WriteFile("in", "a b ||| x y\nb ||| y\na ||| x\n");
  for (const std::string flags :
       {"", "--posterior-threshold 0", "--posterior-threshold 1", "--posterior-threshold 0.5",
        "-d -T 1000", "-d -o -T 1e300", "-v --alpha 1e300"}) {
    const RunResult r = Run("align -i " + Quote(input) + " --quiet " + flags);
    EXPECT_EQ(r.exit_code, 0) << flags << ": " << r.err;
    EXPECT_EQ(OutputLines(r.out).size(), 3u) << flags;
  }
}

// --- symmetrize and evaluate ------------------------------------------------

TEST_F(BadInputTest, SymmetrizeAndEvaluateRefusePathMistakesBeforeReading) {
  const std::string links = WriteFile("links", "0-0 1-1\n0-0\n");
  const std::string before = ReadWholeFile(links);
  // stdin read twice.
  RunResult r = Run("symmetrize -i - -j -");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("aligner symmetrize: -i and -j both read stdin ('-'); stdin can "
                               "be read only once"));
  EXPECT_EQ(r.out, "");
  r = Run("evaluate -a - -g -");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("aligner evaluate: -a and -g both read stdin ('-')"));
  // The output is an input.
  r = Run("symmetrize -i " + Quote(links) + " -j " + Quote(links) + " --output " + Quote(links));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("the output --output '" + links + "' is the input -i '" + links +
                               "'; writing it would destroy the input"));
  const std::string other = WriteFile("other", "0-0\n0-0\n");
  fs::create_symlink(links, Path("alias"));
  r = Run("symmetrize -i " + Quote(other) + " -j " + Quote(links) + " --output " +
          Quote(Path("alias")));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("is the input -j '" + links + "'"));
  EXPECT_EQ(ReadWholeFile(links), before);
  // Empty paths.
  r = Run("symmetrize -i " + Quote(links) + " -j " + Quote(other) + " --output ''");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--output was given an empty path"));
  r = Run("evaluate -a '' -g " + Quote(links));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("-a was given an empty path"));
  // A missing directory, before reading anything.
  r = Run("symmetrize -i " + Quote(links) + " -j " + Quote(other) + " --output " +
          Quote(Path("no/dir/out")));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("does not exist"));
  EXPECT_THAT(NewFiles({links, other}), ::testing::ElementsAre("alias"));
  // One input twice is fine (stdin once, too).
  Shell(Quote(kBinary) + " symmetrize -i - -j " + Quote(links) + " < " + Quote(links) + " > " +
        Quote(Path("from-stdin")));
  EXPECT_EQ(ReadWholeFile(Path("from-stdin")), "0-0 1-1\n0-0\n");
}

TEST_F(BadInputTest, SymmetrizeWritesThroughASymlinkAndKeepsPermissions) {
  const std::string links = WriteFile("links", "0-0 1-1\n0-0\n");
  fs::create_directories(Path("data"));
  const std::string target = WriteFile("data/sym", "stale\n");
  ASSERT_EQ(::chmod(target.c_str(), 0600), 0);
  fs::create_symlink(target, Path("sym"));
  const RunResult r = Run("symmetrize -i " + Quote(links) + " -j " + Quote(links) + " --output " +
                          Quote(Path("sym")));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(Path("sym")));
  EXPECT_EQ(ReadWholeFile(target), "0-0 1-1\n0-0\n");
  struct stat info;
  ASSERT_EQ(::stat(target.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
}

TEST_F(BadInputTest, OneBasedGoldWithoutOneBasedIsRefused) {
  const std::string alignment = WriteFile("a", "0-0 1-1 2-2\n0-0 1-1\n");
  const std::string gold = WriteFile("g", "1-1 2-2 3-3\n1-1 2p2\n");
  RunResult r = Run("evaluate -a " + Quote(alignment) + " -g " + Quote(gold));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("aligner evaluate: " + gold +
                                     " looks 1-based: none of its "
                                     "5 links has position 0 on either side (positions 1 to 3), "
                                     "while 2 links of the alignment do"),
                           HasSubstr("Give --one-based if the gold counts from 1")));
  EXPECT_EQ(r.out, "");
  r = Run("evaluate -a " + Quote(alignment) + " -g " + Quote(gold) + " --one-based");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("AER 0.0000"));
  r = Run("evaluate -a " + Quote(alignment) + " -g " + Quote(gold) + " --zero-based");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("AER 0.3333"));
  r = Run("evaluate -a " + Quote(alignment) + " -g " + Quote(gold) + " --zero-based --one-based");
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(BadInputTest, SymmetrizeAndEvaluateNameTheBadFileAndLine) {
  const std::string good = WriteFile("good", "0-0 1-1\n\n0-1\n");
  const std::string shorter = WriteFile("short", "0-0\n");
  const std::string bad = WriteFile("bad", "0-0\n1-x\n0-1\n");
  RunResult r = Run("symmetrize -i " + Quote(good) + " -j " + Quote(shorter));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("alignment files differ in length: " + good + " has 3 lines but " +
                               shorter + " has 1"));
  r = Run("symmetrize -i " + Quote(good) + " -j " + Quote(bad) + " --output " + Quote(Path("sym")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(bad + ":2: bad alignment link '1-x'"));
  EXPECT_FALSE(fs::exists(Path("sym")));
  r = Run("symmetrize -i " + Quote(good) + " -j " + Quote(good) + " -c bogus");
  EXPECT_EQ(r.exit_code, 2);

  r = Run("evaluate -a " + Quote(bad) + " -g " + Quote(good));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(bad + ":2: bad alignment link '1-x'"));
  const std::string bad_gold = WriteFile("gold", "0-0\n0x1\n0-1\n");
  r = Run("evaluate -a " + Quote(good) + " -g " + Quote(bad_gold));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(bad_gold + ":2: bad gold link '0x1'"));
  r = Run("evaluate -a " + Quote(good) + " -g " + Quote(shorter));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(good + " has 3 lines but " + shorter + " has 1"));
}

// Path mistakes around the corpus are refused by the pipeline's output plan
// before any work (exit 2, naming the options), and nothing is written.
TEST_F(BadInputTest, PathMistakesAreRefusedBeforeAnyWork) {
  const std::string input = WriteFile("in", "a b ||| x y\nc ||| z\n");
  const std::string source = WriteFile("src", "a b\nc\n");
  const std::string target = WriteFile("tgt", "x y\nz\n");
  const std::string model = Path("m.model");
  ASSERT_EQ(Run("train --quiet -i " + Quote(input) + " --model-file " + Quote(model)).exit_code, 0);
  const std::string x = Quote(Path("x"));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"align -i " + Quote(input) + " --output " + Quote(input), "is the input -i"},
      {"align -i " + Quote(input) + " --output ''", "--output was given an empty path"},
      {"align -i " + Quote(input) + " --load-model ''", "--load-model was given an empty path"},
      {"align -i " + Quote(input) + " --checkpoint ''", "--checkpoint was given an empty path"},
      {"align -i " + Quote(input) + " --output " + x + " --giza-a3 " + x, "both name"},
      {"align -i " + Quote(input) + " --output " + x + " --model-file " + x, "both name"},
      {"align -i " + Quote(input) + " --giza-a3 -", "stdout"},
      {"align -i " + Quote(input) + " --load-model " + Quote(model) + " --output " + Quote(model),
       "is the input --load-model"},
      {"align -i " + Quote(input) + " --load-model " + Quote(model) + " -d -o -v -I 3",
       "is a training option; --load-model aligns with the model's own options"},
      {"align -i " + Quote(input) + " --load-model " + Quote(model) + " --model hmm",
       "--model is a training option"},
      {"align -i " + Quote(input) + " --load-model " + Quote(model) + " --viterbi-training",
       "--viterbi-training is a training option"},
      {"symmetric --source " + Quote(source) + " --target " + Quote(target) + " --prefix " +
           Quote(Path("src")) + " -c forward",
       "unknown"},
      {"symmetric --source " + Quote(Path("p.forward")) + " --target " + Quote(target) +
           " --prefix " + Quote(Path("p")),
       "is the input --source"},
  };
  WriteFile("p.forward", "a b\nc\n");
  for (const auto& [args, message] : cases) {
    const RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(message)) << args;
    EXPECT_THAT(r.err, Not(HasSubstr("read "))) << args << ": work started";
  }
  EXPECT_EQ(ReadWholeFile(input), "a b ||| x y\nc ||| z\n");
  EXPECT_EQ(ReadWholeFile(Path("p.forward")), "a b\nc\n");
  EXPECT_FALSE(fs::exists(Path("x")));
}

}  // namespace
}  // namespace aligner
