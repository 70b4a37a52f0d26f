#include "aligner/io/gold.h"

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

TEST(GoldParseLineTest, SplitsSureAndPossible) {
  absl::StatusOr<GoldAlignment> gold = ParseGoldLine("0-0 1p1\t2p2  3-1", GoldOptions());
  ASSERT_TRUE(gold.ok()) << gold.status();
  EXPECT_THAT(gold->sure, ElementsAre(Link{0, 0}, Link{3, 1}));
  EXPECT_THAT(gold->possible, ElementsAre(Link{1, 1}, Link{2, 2}));
}

TEST(GoldParseLineTest, SortsDeduplicatesAndKeepsPossibleOnly) {
  // 2-0 is listed both ways: sure wins, since every sure link is possible.
  absl::StatusOr<GoldAlignment> gold = ParseGoldLine("2-0 1-1 2p0 1-1 0p3 0p3", GoldOptions());
  ASSERT_TRUE(gold.ok());
  EXPECT_THAT(gold->sure, ElementsAre(Link{1, 1}, Link{2, 0}));
  EXPECT_THAT(gold->possible, ElementsAre(Link{0, 3}));
}

TEST(GoldParseLineTest, BlankLineHasNoLinks) {
  absl::StatusOr<GoldAlignment> gold = ParseGoldLine("  ", GoldOptions());
  ASSERT_TRUE(gold.ok());
  EXPECT_THAT(gold->sure, IsEmpty());
  EXPECT_THAT(gold->possible, IsEmpty());
}

TEST(GoldParseLineTest, OneBasedAndReverse) {
  GoldOptions options;
  options.one_based = true;
  options.reverse = true;
  absl::StatusOr<GoldAlignment> gold = ParseGoldLine("1-3 2p1", options);
  ASSERT_TRUE(gold.ok());
  EXPECT_THAT(gold->sure, ElementsAre(Link{2, 0}));
  EXPECT_THAT(gold->possible, ElementsAre(Link{0, 1}));
}

TEST(GoldParseLineTest, OneBasedRejectsZero) {
  GoldOptions options;
  options.one_based = true;
  absl::StatusOr<GoldAlignment> gold = ParseGoldLine("1-1 0-2", options);
  ASSERT_FALSE(gold.ok());
  EXPECT_THAT(std::string(gold.status().message()), HasSubstr("'0-2'"));
}

TEST(GoldParseLineTest, RejectsMalformedTokens) {
  for (const std::string bad :
       {"1-", "p1", "1p", "a-b", "1--2", "1pp2", "1-2-3", "1x2", "-1-2", "1P2", "4294967296-0"}) {
    absl::StatusOr<GoldAlignment> gold = ParseGoldLine("0-0 " + bad, GoldOptions());
    ASSERT_FALSE(gold.ok()) << bad;
    EXPECT_EQ(gold.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(gold.status().message()), HasSubstr("'" + bad + "'"));
  }
}

TEST(GoldReadFileTest, PharaohFormatOneEntryPerLine) {
  const std::string path = WriteTempFile("gold_a.txt", "0-0 1p1\n\n2-2\n");
  absl::StatusOr<std::vector<GoldAlignment>> gold =
      ReadGoldFile(path, GoldFormat::kPharaohSurePossible, GoldOptions(), /*hint=*/100);
  ASSERT_TRUE(gold.ok()) << gold.status();
  ASSERT_EQ(gold->size(), 3u);  // the hint is ignored for this format
  EXPECT_THAT((*gold)[0].sure, ElementsAre(Link{0, 0}));
  EXPECT_THAT((*gold)[0].possible, ElementsAre(Link{1, 1}));
  EXPECT_THAT((*gold)[1].sure, IsEmpty());
  EXPECT_THAT((*gold)[2].sure, ElementsAre(Link{2, 2}));
}

TEST(GoldReadFileTest, PharaohFormatErrorNamesFileAndLine) {
  const std::string path = WriteTempFile("gold_a_bad.txt", "0-0\n1-1\n2+2\n");
  absl::StatusOr<std::vector<GoldAlignment>> gold =
      ReadGoldFile(path, GoldFormat::kPharaohSurePossible, GoldOptions(), 0);
  ASSERT_FALSE(gold.ok());
  EXPECT_THAT(std::string(gold.status().message()), HasSubstr(path + ":3: "));
  EXPECT_THAT(std::string(gold.status().message()), HasSubstr("'2+2'"));
}

TEST(GoldReadFileTest, TrialHansardsGold) {
  absl::StatusOr<std::vector<GoldAlignment>> gold =
      ReadGoldFile(std::string(ALIGNER_TEST_DATA_DIR) + "/trial.gold",
                   GoldFormat::kPharaohSurePossible, GoldOptions(), 0);
  ASSERT_TRUE(gold.ok()) << gold.status();
  ASSERT_EQ(gold->size(), 37u);
  size_t sure = 0;
  size_t possible = 0;
  for (const GoldAlignment& g : *gold) {
    sure += g.sure.size();
    possible += g.possible.size();
  }
  // The counts given with the data set.
  EXPECT_EQ(sure, 338u);
  EXPECT_EQ(possible, 1446u);
  EXPECT_EQ((*gold)[0].sure.front(), (Link{0, 0}));
  EXPECT_EQ((*gold)[0].possible.front(), (Link{1, 1}));
}

TEST(GoldReadFileTest, NaaclFormat) {
  const std::string path = WriteTempFile("gold_b.wa",
                                         "1 1 1 S\n"
                                         "1 2 3 P\n"
                                         "1 0 2 S\n"  // NULL: skipped
                                         "1 3 0\n"    // NULL: skipped
                                         "1 3 2\n"    // no type: sure
                                         "3 1 2 P 0.5\n"
                                         "\n"
                                         "3\t2\t2\ts\n");
  absl::StatusOr<std::vector<GoldAlignment>> gold =
      ReadGoldFile(path, GoldFormat::kNaacl, GoldOptions(), /*num_sentences_hint=*/5);
  ASSERT_TRUE(gold.ok()) << gold.status();
  ASSERT_EQ(gold->size(), 5u);
  EXPECT_THAT((*gold)[0].sure, ElementsAre(Link{0, 0}, Link{2, 1}));
  EXPECT_THAT((*gold)[0].possible, ElementsAre(Link{1, 2}));
  EXPECT_THAT((*gold)[1].sure, IsEmpty());
  EXPECT_THAT((*gold)[2].sure, ElementsAre(Link{1, 1}));
  EXPECT_THAT((*gold)[2].possible, ElementsAre(Link{0, 1}));
  EXPECT_THAT((*gold)[4].sure, IsEmpty());
}

TEST(GoldReadFileTest, NaaclSizeIsMaxOfHintAndLargestId) {
  const std::string path = WriteTempFile("gold_b_size.wa", "4 1 1\n");
  absl::StatusOr<std::vector<GoldAlignment>> gold =
      ReadGoldFile(path, GoldFormat::kNaacl, GoldOptions(), 2);
  ASSERT_TRUE(gold.ok());
  ASSERT_EQ(gold->size(), 4u);
  EXPECT_THAT((*gold)[3].sure, ElementsAre(Link{0, 0}));
}

TEST(GoldReadFileTest, NaaclReverseAndFirstSentenceId) {
  const std::string path = WriteTempFile("gold_b_rev.wa", "0 1 3 S\n1 2 1 P\n");
  GoldOptions options;
  options.reverse = true;
  options.first_sentence_id = 0;
  absl::StatusOr<std::vector<GoldAlignment>> gold =
      ReadGoldFile(path, GoldFormat::kNaacl, options, 0);
  ASSERT_TRUE(gold.ok()) << gold.status();
  ASSERT_EQ(gold->size(), 2u);
  EXPECT_THAT((*gold)[0].sure, ElementsAre(Link{2, 0}));
  EXPECT_THAT((*gold)[1].possible, ElementsAre(Link{0, 1}));
}

TEST(GoldReadFileTest, NaaclErrorsNameFileAndLine) {
  const struct {
    const char* contents;
    const char* expected;
  } cases[] = {
      {"1 1 1 S\n1 1 1 X\n", ":2: "},  // bad type
      {"1 1 1 S\n1 1\n", ":2: "},      // too few fields
      {"1 1 1 S 1.0 x\n", ":1: "},     // too many fields
      {"0 1 1\n", ":1: "},             // below first_sentence_id
      {"1 1 -1\n", ":1: "},            // negative position
      {"1 1 1 P abc\n", ":1: "},       // bad confidence
      {"x 1 1\n", ":1: "},             // bad sentence number
      {"99999999999 1 1\n", ":1: "},   // absurd sentence number
  };
  int k = 0;
  for (const auto& c : cases) {
    const std::string path = WriteTempFile("gold_b_bad" + std::to_string(k++) + ".wa", c.contents);
    absl::StatusOr<std::vector<GoldAlignment>> gold =
        ReadGoldFile(path, GoldFormat::kNaacl, GoldOptions(), 0);
    ASSERT_FALSE(gold.ok()) << c.contents;
    EXPECT_EQ(gold.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(gold.status().message()), HasSubstr(path + c.expected)) << c.contents;
  }
}

TEST(GoldReadFileTest, MissingFileIsAnError) {
  EXPECT_FALSE(
      ReadGoldFile(::testing::TempDir() + "/no_such_gold", GoldFormat::kNaacl, GoldOptions(), 0)
          .ok());
}

// The gold lines "1-1 2p3" etc. read 0-based.
std::vector<GoldAlignment> Gold(const std::vector<std::string>& lines) {
  std::vector<GoldAlignment> gold;
  for (const std::string& line : lines) gold.push_back(*ParseGoldLine(line, GoldOptions()));
  return gold;
}

TEST(GoldLooksZeroBasedTest, OneBasedGoldAgainstZeroBasedAlignmentIsRefused) {
  const std::vector<SentenceLinks> predicted = {{{0, 0}, {1, 1}}, {{1, 0}}};
  const absl::Status s = CheckGoldLooksZeroBased(Gold({"1-1 2-2", "2p1 3-3"}), predicted, "g.txt");
  ASSERT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "g.txt looks 1-based: none of its 4 links has position 0 on either side (positions 1 "
            "to 3), while 2 links of the alignment do; scored as 0-based it would give a "
            "meaningless AER. Give --one-based if the gold counts from 1, or --zero-based if it "
            "really is 0-based");
}

TEST(GoldLooksZeroBasedTest, ZeroAnywhereOrNoEvidencePasses) {
  const std::vector<SentenceLinks> predicted = {{{0, 0}, {1, 1}}, {{1, 0}}};
  // One 0 on either side, in any sentence, is a 0-based gold.
  EXPECT_TRUE(CheckGoldLooksZeroBased(Gold({"1-1 2-2", "0p1"}), predicted, "g").ok());
  EXPECT_TRUE(CheckGoldLooksZeroBased(Gold({"1-0", "2-2"}), predicted, "g").ok());
  // No gold links, or an alignment that never says 0 either: they agree.
  EXPECT_TRUE(CheckGoldLooksZeroBased(Gold({"", ""}), predicted, "g").ok());
  EXPECT_TRUE(CheckGoldLooksZeroBased(Gold({"1-1", "2-2"}), {{{1, 1}}, {{2, 3}}}, "g").ok());
  // The shipped 0-based trial gold against itself.
  auto trial = ReadGoldFile(std::string(ALIGNER_TEST_DATA_DIR) + "/trial.gold",
                            GoldFormat::kPharaohSurePossible, GoldOptions(), 0);
  ASSERT_TRUE(trial.ok());
  std::vector<SentenceLinks> trial_links;
  for (const GoldAlignment& g : *trial) trial_links.push_back(g.sure);
  EXPECT_TRUE(CheckGoldLooksZeroBased(*trial, trial_links, "trial.gold").ok());
}

TEST(GoldLooksZeroBasedTest, ShiftedTrialGoldIsRefused) {
  // The trial gold written 1-based, as some tools do.
  auto trial = ReadGoldFile(std::string(ALIGNER_TEST_DATA_DIR) + "/trial.gold",
                            GoldFormat::kPharaohSurePossible, GoldOptions(), 0);
  ASSERT_TRUE(trial.ok());
  std::vector<GoldAlignment> shifted = *trial;
  std::vector<SentenceLinks> predicted;
  for (GoldAlignment& g : shifted) {
    predicted.push_back(g.sure);
    for (SentenceLinks* links : {&g.sure, &g.possible}) {
      for (Link& link : *links) link = {link.source + 1, link.target + 1};
    }
  }
  EXPECT_EQ(CheckGoldLooksZeroBased(shifted, predicted, "shifted").code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace aligner
