#include "aligner/io/pharaoh.h"

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aligner {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string WriteTempFile(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(PharaohFormatTest, FormatsLinksInGivenOrder) {
  EXPECT_EQ(FormatPharaoh({{0, 0}, {1, 2}}), "0-0 1-2");
  EXPECT_EQ(FormatPharaoh({{5, 3}, {0, 1}, {5, 3}}), "5-3 0-1 5-3");
  EXPECT_EQ(FormatPharaoh({{4294967295u, 7}}), "4294967295-7");
}

TEST(PharaohFormatTest, NoLinksIsEmptyString) { EXPECT_EQ(FormatPharaoh({}), ""); }

TEST(PharaohFormatTest, AppendKeepsExistingText) {
  std::string out = "x ";
  AppendPharaoh({{1, 2}, {3, 4}}, &out);
  EXPECT_EQ(out, "x 1-2 3-4");
}

TEST(PharaohParseTest, ParsesTokensSeparatedByAnyWhitespace) {
  absl::StatusOr<SentenceLinks> links = ParsePharaoh("  0-0\t1-2   10-3\t \r");
  ASSERT_TRUE(links.ok()) << links.status();
  EXPECT_THAT(*links, ElementsAre(Link{0, 0}, Link{1, 2}, Link{10, 3}));
}

TEST(PharaohParseTest, KeepsOrderAndDuplicates) {
  absl::StatusOr<SentenceLinks> links = ParsePharaoh("3-1 0-0 3-1");
  ASSERT_TRUE(links.ok());
  EXPECT_THAT(*links, ElementsAre(Link{3, 1}, Link{0, 0}, Link{3, 1}));
}

TEST(PharaohParseTest, EmptyAndBlankLinesHaveNoLinks) {
  for (const char* line : {"", " ", "\t \t"}) {
    absl::StatusOr<SentenceLinks> links = ParsePharaoh(line);
    ASSERT_TRUE(links.ok()) << "'" << line << "': " << links.status();
    EXPECT_THAT(*links, IsEmpty());
  }
}

TEST(PharaohParseTest, AcceptsLargestPosition) {
  absl::StatusOr<SentenceLinks> links = ParsePharaoh("4294967295-0");
  ASSERT_TRUE(links.ok());
  EXPECT_THAT(*links, ElementsAre(Link{4294967295u, 0}));
}

TEST(PharaohParseTest, RejectsMalformedTokensNamingThem) {
  for (const std::string bad : {"1-", "-1", "a-b", "1--2", "-1-2", "1-+2", "+1-2", "12", "1-2-3",
                                "1:2", "1p2", "-", "4294967296-0", "0-99999999999999999999999"}) {
    absl::StatusOr<SentenceLinks> links = ParsePharaoh("0-0 " + bad + " 1-1");
    ASSERT_FALSE(links.ok()) << bad;
    EXPECT_EQ(links.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(links.status().message()), HasSubstr("'" + bad + "'"));
  }
}

TEST(PharaohParseTest, RoundTrips) {
  const SentenceLinks links = {{0, 0}, {2, 1}, {1, 3}};
  absl::StatusOr<SentenceLinks> parsed = ParsePharaoh(FormatPharaoh(links));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, links);
}

TEST(PharaohParseTest, ReadsTheScoreThatPrintScoresAppends) {
  double score = 0;
  absl::StatusOr<SentenceLinks> links = ParsePharaoh("0-0 2-1 ||| -12.5", &score);
  ASSERT_TRUE(links.ok()) << links.status();
  EXPECT_THAT(*links, ElementsAre(Link{0, 0}, Link{2, 1}));
  EXPECT_EQ(score, -12.5);
  // A pair with no links, as the writers print it, and fast_align's exponent form.
  links = ParsePharaoh(" ||| -3e+02", &score);
  ASSERT_TRUE(links.ok()) << links.status();
  EXPECT_THAT(*links, IsEmpty());
  EXPECT_EQ(score, -300);
  // Without a score field the score is NaN; without the argument the score is dropped.
  links = ParsePharaoh("1-1", &score);
  ASSERT_TRUE(links.ok());
  EXPECT_TRUE(std::isnan(score));
  links = ParsePharaoh("1-1|||-4");
  ASSERT_TRUE(links.ok()) << links.status();
  EXPECT_THAT(*links, ElementsAre(Link{1, 1}));
}

TEST(PharaohParseTest, RejectsBadScoreFields) {
  for (const std::string bad : {"0-0 |||", "0-0 ||| ", "0-0 ||| x", "0-0 ||| 1 2", "0-0 ||| nan",
                                "0-0 ||| inf", "0-0 ||| -1 ||| -2", "0-0 ||| 1-1"}) {
    absl::StatusOr<SentenceLinks> links = ParsePharaoh(bad);
    ASSERT_FALSE(links.ok()) << bad;
    EXPECT_EQ(links.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  // A bad link before a good score is still named.
  absl::StatusOr<SentenceLinks> links = ParsePharaoh("0-x ||| -1");
  ASSERT_FALSE(links.ok());
  EXPECT_THAT(std::string(links.status().message()), HasSubstr("'0-x'"));
}

TEST(PharaohReadFileTest, OneEntryPerLineIncludingBlankOnes) {
  const std::string path = WriteTempFile("pharaoh_read.txt", "0-0 1-1\n\n2-1\r\n\n");
  absl::StatusOr<std::vector<SentenceLinks>> all = ReadPharaohFile(path);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 4u);
  EXPECT_THAT((*all)[0], ElementsAre(Link{0, 0}, Link{1, 1}));
  EXPECT_THAT((*all)[1], IsEmpty());
  EXPECT_THAT((*all)[2], ElementsAre(Link{2, 1}));
  EXPECT_THAT((*all)[3], IsEmpty());
}

TEST(PharaohReadFileTest, LastLineWithoutNewline) {
  const std::string path = WriteTempFile("pharaoh_no_newline.txt", "0-0\n1-1");
  absl::StatusOr<std::vector<SentenceLinks>> all = ReadPharaohFile(path);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST(PharaohReadFileTest, EmptyFileHasNoEntries) {
  const std::string path = WriteTempFile("pharaoh_empty.txt", "");
  absl::StatusOr<std::vector<SentenceLinks>> all = ReadPharaohFile(path);
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, IsEmpty());
}

TEST(PharaohReadFileTest, ErrorNamesFileAndLine) {
  const std::string path = WriteTempFile("pharaoh_bad.txt", "0-0\n0-0 1-x\n");
  absl::StatusOr<std::vector<SentenceLinks>> all = ReadPharaohFile(path);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(all.status().message()), HasSubstr(path + ":2: "));
  EXPECT_THAT(std::string(all.status().message()), HasSubstr("'1-x'"));
}

TEST(PharaohReadFileTest, MissingFileIsAnError) {
  absl::StatusOr<std::vector<SentenceLinks>> all =
      ReadPharaohFile(::testing::TempDir() + "/no_such_pharaoh_file.txt");
  EXPECT_FALSE(all.ok());
}

}  // namespace
}  // namespace aligner
