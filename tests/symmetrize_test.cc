#include "aligner/tools/symmetrize.h"

#include <fstream>
#include <sstream>
#include <string>

#include "aligner/io/pharaoh.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aligner {
namespace {

using ::testing::HasSubstr;

using H = SymmetrizationHeuristic;

SentenceLinks Parse(const std::string& line) {
  absl::StatusOr<SentenceLinks> links = ParsePharaoh(line);
  EXPECT_TRUE(links.ok()) << links.status();
  return links.ok() ? *links : SentenceLinks();
}

// Symmetrizes two Pharaoh lines and formats the result, so expectations read
// like atools' output.
std::string Sym(const std::string& forward, const std::string& reverse, H heuristic) {
  return FormatPharaoh(Symmetrize(Parse(forward), Parse(reverse), heuristic));
}

std::string WriteTempFile(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

TEST(SymmetrizeHeuristicTest, ParsesAtoolsNames) {
  for (const H h :
       {H::kIntersect, H::kUnion, H::kGrowDiag, H::kGrowDiagFinal, H::kGrowDiagFinalAnd}) {
    absl::StatusOr<H> parsed = ParseHeuristic(HeuristicName(h));
    ASSERT_TRUE(parsed.ok()) << HeuristicName(h);
    EXPECT_EQ(*parsed, h);
  }
  EXPECT_EQ(*ParseHeuristic("grow-diag-final-and"), H::kGrowDiagFinalAnd);
  EXPECT_EQ(HeuristicName(H::kGrowDiag), "grow-diag");
}

TEST(SymmetrizeHeuristicTest, RejectsOtherNames) {
  for (const char* name : {"", "invert", "grow", "Grow-Diag", "gdfa", "grow-diag-final-and "}) {
    absl::StatusOr<H> parsed = ParseHeuristic(name);
    ASSERT_FALSE(parsed.ok()) << name;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("grow-diag-final-and"));
  }
}

TEST(SymmetrizeTest, EmptyInputs) {
  for (const H h :
       {H::kIntersect, H::kUnion, H::kGrowDiag, H::kGrowDiagFinal, H::kGrowDiagFinalAnd}) {
    EXPECT_EQ(Sym("", "", h), "") << HeuristicName(h);
  }
}

TEST(SymmetrizeTest, OneSideEmpty) {
  // No intersection means nothing to grow from; only the final passes add.
  EXPECT_EQ(Sym("0-0 1-1", "", H::kIntersect), "");
  EXPECT_EQ(Sym("0-0 1-1", "", H::kUnion), "0-0 1-1");
  EXPECT_EQ(Sym("0-0 1-1", "", H::kGrowDiag), "");
  EXPECT_EQ(Sym("0-0 1-1", "", H::kGrowDiagFinal), "0-0 1-1");
  EXPECT_EQ(Sym("0-0 1-1", "", H::kGrowDiagFinalAnd), "0-0 1-1");
  EXPECT_EQ(Sym("", "1-1 0-0", H::kGrowDiagFinalAnd), "0-0 1-1");
}

TEST(SymmetrizeTest, OutputIsSortedAndDeduplicated) {
  // atools prints by walking its grid row by row.
  EXPECT_EQ(Sym("2-0 0-1 2-0", "1-1 0-1 2-0", H::kUnion), "0-1 1-1 2-0");
  EXPECT_EQ(Sym("2-0 0-1 1-1", "1-1 2-0 2-0", H::kIntersect), "1-1 2-0");
}

TEST(SymmetrizeTest, GrowDiagAddsDiagonalNeighbour) {
  // Intersection {0-0}; 1-1 touches it only diagonally and its words are free.
  EXPECT_EQ(Sym("0-0 1-1", "0-0", H::kGrowDiag), "0-0 1-1");
  // A link not adjacent to the alignment is not grown.
  EXPECT_EQ(Sym("0-0 2-2", "0-0", H::kGrowDiag), "0-0");
}

TEST(SymmetrizeTest, GrowDiagRepeatsPassesUntilNothingIsAdded) {
  // Candidates 0-0 and 1-1 around seed 2-2: 0-0 comes first but only becomes
  // adjacent once 1-1 has been added, so it needs a second pass.
  EXPECT_EQ(Sym("0-0 1-1 2-2", "2-2", H::kGrowDiag), "0-0 1-1 2-2");
  // Additions count at once within a pass: 2-2 grows off 1-1 added just
  // before it.
  EXPECT_EQ(Sym("0-0 1-1 2-2", "0-0", H::kGrowDiag), "0-0 1-1 2-2");
}

TEST(SymmetrizeTest, GrowDiagNeedsAnUnalignedWord) {
  // 0-1 would join two words that are both aligned already.
  EXPECT_EQ(Sym("0-0 1-1 0-1", "0-0 1-1", H::kGrowDiag), "0-0 1-1");
  EXPECT_EQ(Sym("0-0 1-1 0-1", "0-0 1-1", H::kGrowDiagFinal), "0-0 1-1");
}

TEST(SymmetrizeTest, GrowDiagVisitsCandidatesInSourceTargetOrder) {
  // Candidates 0-1, 1-0, 1-1 around seed 0-0. In (source, target) order 0-1
  // and 1-0 are added first, which aligns source 1 and target 1, so 1-1 is
  // blocked. (Visiting 1-1 first would instead block the other two.)
  EXPECT_EQ(Sym("0-0 0-1 1-1", "0-0 1-0", H::kGrowDiag), "0-0 0-1 1-0");
}

TEST(SymmetrizeTest, FinalAddsLinkWithOneUnalignedWord) {
  // 2-0 is not adjacent to 0-0, so grow-diag skips it. Its source word is
  // unaligned, enough for "final"; its target word is aligned, which
  // "final-and" does not allow.
  EXPECT_EQ(Sym("0-0 2-0", "0-0", H::kGrowDiag), "0-0");
  EXPECT_EQ(Sym("0-0 2-0", "0-0", H::kGrowDiagFinal), "0-0 2-0");
  EXPECT_EQ(Sym("0-0 2-0", "0-0", H::kGrowDiagFinalAnd), "0-0");
  // The same from the reverse side.
  EXPECT_EQ(Sym("0-0", "0-0 0-2", H::kGrowDiagFinal), "0-0 0-2");
  EXPECT_EQ(Sym("0-0", "0-0 0-2", H::kGrowDiagFinalAnd), "0-0");
}

TEST(SymmetrizeTest, FinalAndAddsLinkWithBothWordsUnaligned) {
  EXPECT_EQ(Sym("0-0 2-2", "0-0", H::kGrowDiagFinalAnd), "0-0 2-2");
  EXPECT_EQ(Sym("0-0 2-2", "0-0", H::kGrowDiagFinal), "0-0 2-2");
}

TEST(SymmetrizeTest, FinalPassesRunForwardFirstAndUpdateAtOnce) {
  // After grow-diag only 0-0 is aligned. final-and takes forward 2-2 first,
  // which then blocks reverse 2-3 (source 2 aligned); final's weaker test
  // still admits 2-3 because target 3 is free.
  EXPECT_EQ(Sym("0-0 2-2", "0-0 2-3", H::kGrowDiagFinalAnd), "0-0 2-2");
  EXPECT_EQ(Sym("0-0 2-2", "0-0 2-3", H::kGrowDiagFinal), "0-0 2-2 2-3");
  // Swapping the inputs swaps which one wins.
  EXPECT_EQ(Sym("0-0 2-3", "0-0 2-2", H::kGrowDiagFinalAnd), "0-0 2-3");
  // Within one direction: 2-2 then blocks 3-2 under final-and.
  EXPECT_EQ(Sym("0-0 2-2 3-2", "0-0", H::kGrowDiagFinalAnd), "0-0 2-2");
  EXPECT_EQ(Sym("0-0 2-2 3-2", "0-0", H::kGrowDiagFinal), "0-0 2-2 3-2");
}

TEST(SymmetrizeTest, LargerExampleMatchesAtools) {
  // Expected strings are atools' output for the same input.
  const std::string forward = "0-0 1-2 2-1 3-3 4-3 5-5 2-4";
  const std::string reverse = "0-0 1-1 2-1 3-2 3-3 5-4 4-5";
  EXPECT_EQ(Sym(forward, reverse, H::kIntersect), "0-0 2-1 3-3");
  EXPECT_EQ(Sym(forward, reverse, H::kUnion), "0-0 1-1 1-2 2-1 2-4 3-2 3-3 4-3 4-5 5-4 5-5");
  // 4-5 stays out: when visited in the first pass its neighbour 5-4 was not
  // yet aligned, and by the second pass 5-5 had aligned target 5.
  const std::string grown = "0-0 1-1 1-2 2-1 2-4 3-3 4-3 5-4 5-5";
  EXPECT_EQ(Sym(forward, reverse, H::kGrowDiag), grown);
  EXPECT_EQ(Sym(forward, reverse, H::kGrowDiagFinal), grown);
  EXPECT_EQ(Sym(forward, reverse, H::kGrowDiagFinalAnd), grown);
}

TEST(SymmetrizeTest, HugePositionsNeedNoHugeGrid) {
  EXPECT_EQ(Sym("4294967295-4294967295 0-0", "4294967294-4294967294 0-0", H::kGrowDiag), "0-0");
  EXPECT_EQ(
      Sym("4294967295-4294967295", "4294967294-4294967294 4294967295-4294967295", H::kGrowDiag),
      "4294967294-4294967294 4294967295-4294967295");
}

TEST(SymmetrizeFilesTest, WritesOneLinePerPair) {
  const std::string forward = WriteTempFile("sym_fwd.txt", "0-0 1-1\n\n0-0 2-0\n");
  const std::string reverse = WriteTempFile("sym_rev.txt", "0-0\n0-0\n0-0\n");
  const std::string output = ::testing::TempDir() + "/sym_out.txt";
  ASSERT_TRUE(SymmetrizeFiles(forward, reverse, H::kGrowDiagFinal, output).ok());
  EXPECT_EQ(ReadFile(output), "0-0 1-1\n0-0\n0-0 2-0\n");
}

TEST(SymmetrizeFilesTest, EmptyFilesGiveEmptyOutput) {
  const std::string forward = WriteTempFile("sym_empty_fwd.txt", "");
  const std::string reverse = WriteTempFile("sym_empty_rev.txt", "");
  const std::string output = ::testing::TempDir() + "/sym_empty_out.txt";
  ASSERT_TRUE(SymmetrizeFiles(forward, reverse, H::kUnion, output).ok());
  EXPECT_EQ(ReadFile(output), "");
}

TEST(SymmetrizeFilesTest, LineCountMismatchNamesBothFiles) {
  const std::string forward = WriteTempFile("sym_long.txt", "0-0\n0-0\n0-0\n0-0\n");
  const std::string reverse = WriteTempFile("sym_short.txt", "0-0\n0-0\n");
  const std::string output = ::testing::TempDir() + "/sym_mismatch_out.txt";
  for (const bool swap : {false, true}) {
    const absl::Status status = swap ? SymmetrizeFiles(reverse, forward, H::kUnion, output)
                                     : SymmetrizeFiles(forward, reverse, H::kUnion, output);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    const std::string message(status.message());
    EXPECT_THAT(message, HasSubstr(forward + " has 4"));
    EXPECT_THAT(message, HasSubstr(reverse + " has 2"));
  }
  // Nothing appears under the output name after a failure.
  EXPECT_FALSE(std::ifstream(output).good());
}

TEST(SymmetrizeFilesTest, ParseErrorNamesFileAndLine) {
  const std::string forward = WriteTempFile("sym_ok.txt", "0-0\n0-0\n");
  const std::string reverse = WriteTempFile("sym_bad.txt", "0-0\n0:0\n");
  const absl::Status status =
      SymmetrizeFiles(forward, reverse, H::kGrowDiag, ::testing::TempDir() + "/sym_bad_out.txt");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr(reverse + ":2: "));
}

}  // namespace
}  // namespace aligner
