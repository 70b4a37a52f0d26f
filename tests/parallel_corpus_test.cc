// Tests for reading parallel corpora: ReadBitext, ReadParallelFiles,
// ParallelCorpusBuilder (sentences in memory), CorpusReport, SplitBitextLine,
// SplitTokens, LowercaseUtf8, SwapSides, NumberWordsByFrequency.
#include "aligner/corpus/parallel_corpus.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class CorpusFileTest : public TempDirTest {
 protected:
};

// The words of one side of pair k.
std::vector<std::string> Words(const Vocabulary& vocab, absl::Span<const WordId> ids) {
  std::vector<std::string> words;
  for (WordId id : ids) words.push_back(vocab.word(id));
  return words;
}
std::vector<std::string> SourceWords(const ParallelCorpus& c, size_t k) {
  return Words(c.source_vocabulary(), c.pair(k).source);
}
std::vector<std::string> TargetWords(const ParallelCorpus& c, size_t k) {
  return Words(c.target_vocabulary(), c.pair(k).target);
}

std::vector<WordId> Ids(absl::Span<const WordId> ids) { return {ids.begin(), ids.end()}; }

void ExpectSameCorpus(const ParallelCorpus& a, const ParallelCorpus& b) {
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.source_vocabulary().size(), b.source_vocabulary().size());
  ASSERT_EQ(a.target_vocabulary().size(), b.target_vocabulary().size());
  for (WordId id = 0; id < a.source_vocabulary().size(); ++id) {
    EXPECT_EQ(a.source_vocabulary().word(id), b.source_vocabulary().word(id)) << id;
  }
  for (WordId id = 0; id < a.target_vocabulary().size(); ++id) {
    EXPECT_EQ(a.target_vocabulary().word(id), b.target_vocabulary().word(id)) << id;
  }
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(Ids(a.pair(k).source), Ids(b.pair(k).source)) << "pair " << k;
    EXPECT_EQ(Ids(a.pair(k).target), Ids(b.pair(k).target)) << "pair " << k;
  }
}

using ReadCorpusTest = CorpusFileTest;

TEST_F(ReadCorpusTest, BitextAndParallelFilesGiveSameIdsAndTokens) {
  const std::string bitext = WriteFile("corpus.txt",
                                       "la maison ||| the house\n"
                                       "la maison bleue ||| the blue house\n"
                                       "  la   fleur\t||| the\tflower  \n"
                                       "maison ||| house\n");
  const std::string fr =
      WriteFile("corpus.fr", "la maison\nla maison bleue\n  la   fleur\t\nmaison\n");
  const std::string en =
      WriteFile("corpus.en", "the house\nthe blue house\n the\tflower  \nhouse\n");
  CorpusReport bitext_report, files_report;
  auto from_bitext = ReadBitext(bitext, {}, &bitext_report);
  auto from_files = ReadParallelFiles(fr, en, {}, &files_report);
  ASSERT_TRUE(from_bitext.ok()) << from_bitext.status();
  ASSERT_TRUE(from_files.ok()) << from_files.status();
  ExpectSameCorpus(*from_bitext, *from_files);

  const ParallelCorpus& c = *from_bitext;
  ASSERT_EQ(c.size(), 4u);
  EXPECT_THAT(SourceWords(c, 2), ElementsAre("la", "fleur"));
  EXPECT_THAT(TargetWords(c, 2), ElementsAre("the", "flower"));
  // Ids in order of first appearance, 0 reserved for NULL.
  EXPECT_THAT(Ids(c.pair(0).source), ElementsAre(1, 2));
  EXPECT_THAT(Ids(c.pair(1).source), ElementsAre(1, 2, 3));
  EXPECT_THAT(Ids(c.pair(2).source), ElementsAre(1, 4));
  EXPECT_THAT(Ids(c.pair(3).source), ElementsAre(2));
  EXPECT_THAT(Ids(c.pair(1).target), ElementsAre(1, 3, 2));
  EXPECT_EQ(c.source_vocabulary().size(), 5u);
  EXPECT_EQ(c.target_vocabulary().size(), 5u);
  EXPECT_EQ(c.source_vocabulary().word(kNullWord), "NULL");
  EXPECT_EQ(c.source_vocabulary().Find("bleue"), 3u);
  EXPECT_EQ(c.source_vocabulary().Find("blue"), std::nullopt);

  for (const CorpusReport* r : {&bitext_report, &files_report}) {
    EXPECT_EQ(r->pairs, 4);
    EXPECT_EQ(r->malformed_lines, 0);
    EXPECT_EQ(r->first_malformed_line, 0);
    EXPECT_EQ(r->empty_pairs, 0);
    EXPECT_EQ(r->too_long_pairs, 0);
  }
}

TEST_F(ReadCorpusTest, GzipAndZstdInputsGiveSameCorpus) {
  const std::string text = "a b ||| x y\nc ||| z\n";
  const std::string plain = WriteFile("c.txt", text);
  ASSERT_EQ(std::system(("gzip -c '" + plain + "' > '" + Path("c.gz") + "'").c_str()), 0);
  ASSERT_EQ(std::system(("zstd -q -c '" + plain + "' > '" + Path("c.zst") + "'").c_str()), 0);
  CorpusReport report;
  auto a = ReadBitext(plain, {}, &report);
  auto b = ReadBitext(Path("c.gz"), {}, &report);
  auto c = ReadBitext(Path("c.zst"), {}, &report);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ExpectSameCorpus(*a, *b);
  ExpectSameCorpus(*a, *c);
  EXPECT_EQ(a->size(), 2u);
}

TEST_F(ReadCorpusTest, TabSeparatedBitextLines) {
  const std::string path = WriteFile("tab.txt", "la maison\tthe house\nbleue\tblue\n");
  CorpusReport report;
  auto corpus = ReadBitext(path, {}, &report);
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  ASSERT_EQ(corpus->size(), 2u);
  EXPECT_THAT(SourceWords(*corpus, 0), ElementsAre("la", "maison"));
  EXPECT_THAT(TargetWords(*corpus, 0), ElementsAre("the", "house"));
  EXPECT_THAT(SourceWords(*corpus, 1), ElementsAre("bleue"));
  EXPECT_THAT(TargetWords(*corpus, 1), ElementsAre("blue"));
  EXPECT_EQ(report.malformed_lines, 0);
}

TEST_F(ReadCorpusTest, MalformedLinesAreKeptAsEmptyPairsAndReported) {
  const std::string path = WriteFile("bad.txt",
                                     "a b ||| x y\n"        // 1 ok
                                     "no separator here\n"  // 2 malformed
                                     "a ||| x ||| y\n"      // 3 two separators
                                     "c ||| z\n"            // 4 ok
                                     "\n"                   // 5 blank: no separator
                                     "one\ttwo\tthree\n"    // 6 two TABs
                                     "d|||w\n");            // 7 '|||' not a token
  CorpusReport report;
  auto corpus = ReadBitext(path, {}, &report);
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  ASSERT_EQ(corpus->size(), 7u);
  EXPECT_EQ(report.pairs, 7);
  EXPECT_EQ(report.malformed_lines, 5);
  EXPECT_EQ(report.first_malformed_line, 2);
  EXPECT_EQ(report.empty_pairs, 0);
  for (size_t k : {1, 2, 4, 5, 6}) {
    EXPECT_THAT(Ids(corpus->pair(k).source), IsEmpty()) << k;
    EXPECT_THAT(Ids(corpus->pair(k).target), IsEmpty()) << k;
  }
  EXPECT_THAT(SourceWords(*corpus, 0), ElementsAre("a", "b"));
  EXPECT_THAT(TargetWords(*corpus, 3), ElementsAre("z"));
}

TEST_F(ReadCorpusTest, FirstMalformedLineIsOneBased) {
  const std::string path = WriteFile("bad.txt", "oops\na ||| b\n");
  CorpusReport report;
  auto corpus = ReadBitext(path, {}, &report);
  ASSERT_TRUE(corpus.ok());
  EXPECT_EQ(report.malformed_lines, 1);
  EXPECT_EQ(report.first_malformed_line, 1);
}

TEST_F(ReadCorpusTest, EmptySideGivesEmptyPairCounted) {
  const std::string path = WriteFile("empty.txt", "a ||| x\n ||| y\nb |||\n   |||   \nc ||| z\n");
  CorpusReport report;
  auto corpus = ReadBitext(path, {}, &report);
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  ASSERT_EQ(corpus->size(), 5u);
  EXPECT_EQ(report.empty_pairs, 3);
  EXPECT_EQ(report.malformed_lines, 0);
  for (size_t k : {1, 2, 3}) {
    // Both sides are cleared, not just the empty one.
    EXPECT_THAT(Ids(corpus->pair(k).source), IsEmpty()) << k;
    EXPECT_THAT(Ids(corpus->pair(k).target), IsEmpty()) << k;
  }
  EXPECT_THAT(SourceWords(*corpus, 4), ElementsAre("c"));
}

TEST_F(ReadCorpusTest, EmptyLinesInParallelFilesAreEmptyPairs) {
  const std::string fr = WriteFile("c.fr", "a\n\nb\nc\n");
  const std::string en = WriteFile("c.en", "x\ny\n\nz\n");
  CorpusReport report;
  auto corpus = ReadParallelFiles(fr, en, {}, &report);
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  ASSERT_EQ(corpus->size(), 4u);
  EXPECT_EQ(report.empty_pairs, 2);
  EXPECT_EQ(report.malformed_lines, 0);
  EXPECT_THAT(Ids(corpus->pair(1).target), IsEmpty());
  EXPECT_THAT(Ids(corpus->pair(2).source), IsEmpty());
  EXPECT_THAT(TargetWords(*corpus, 3), ElementsAre("z"));
}

TEST_F(ReadCorpusTest, OverLongPairsAreEmptiedAndCounted) {
  const std::string path = WriteFile("long.txt",
                                     "a b c ||| x y z\n"  // 3 and 3: fine
                                     "a b c d ||| x\n"    // source too long
                                     "a ||| w x y z\n"    // target too long
                                     "a b ||| x y\n");
  CorpusReadOptions options;
  options.max_sentence_length = 3;
  CorpusReport report;
  auto corpus = ReadBitext(path, options, &report);
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  ASSERT_EQ(corpus->size(), 4u);
  EXPECT_EQ(report.too_long_pairs, 2);
  EXPECT_EQ(report.first_too_long_line, 2);
  EXPECT_THAT(SourceWords(*corpus, 0), ElementsAre("a", "b", "c"));
  for (size_t k : {1, 2}) {
    EXPECT_THAT(Ids(corpus->pair(k).source), IsEmpty());
    EXPECT_THAT(Ids(corpus->pair(k).target), IsEmpty());
  }
  EXPECT_THAT(TargetWords(*corpus, 3), ElementsAre("x", "y"));

  // The same through ReadParallelFiles.
  const std::string fr = WriteFile("l.fr", "a b c\na b c d\na\na b\n");
  const std::string en = WriteFile("l.en", "x y z\nx\nw x y z\nx y\n");
  CorpusReport files_report;
  auto files = ReadParallelFiles(fr, en, options, &files_report);
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files_report.too_long_pairs, 2);
  EXPECT_EQ(files_report.first_too_long_line, 2);
  ExpectSameCorpus(*corpus, *files);
}

TEST_F(ReadCorpusTest, WordsOfOverLongPairsStayOutOfTheVocabularies) {
  // "big" and "huge" appear only in over-long pairs; "late" first appears
  // beside an over-long side, then in a usable pair.
  const std::string bitext = WriteFile("long.txt",
                                       "a b ||| x y\n"
                                       "big big big big ||| late\n"
                                       "a ||| huge huge huge huge\n"
                                       "b ||| late\n");
  CorpusReadOptions options;
  options.max_sentence_length = 3;
  CorpusReport report;
  auto corpus = ReadBitext(bitext, options, &report);
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  EXPECT_EQ(report.too_long_pairs, 2);
  EXPECT_EQ(report.too_large_pairs, 0);
  EXPECT_EQ(corpus->source_vocabulary().size(), 3u);  // NULL a b
  EXPECT_EQ(corpus->target_vocabulary().size(), 4u);  // NULL x y late
  EXPECT_FALSE(corpus->source_vocabulary().Find("big").has_value());
  EXPECT_FALSE(corpus->target_vocabulary().Find("huge").has_value());

  // Two files: each side is read without the other, so the short side of an
  // over-long pair is interned first and forgotten afterwards; the ids are
  // those of the bitext.
  const std::string fr = WriteFile("l.fr", "a b\nbig big big big\na\nb\n");
  const std::string en = WriteFile("l.en", "x y\nlate\nhuge huge huge huge\nlate\n");
  CorpusReport files_report;
  auto files = ReadParallelFiles(fr, en, options, &files_report);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(files_report.too_long_pairs, 2);
  ExpectSameCorpus(*corpus, *files);

  // Words a loaded model knows keep their ids, even if only skipped pairs use
  // them now.
  Vocabulary known_target;
  known_target.Intern("huge");
  known_target.Intern("zebra");
  CorpusReadOptions loaded = options;
  loaded.target_vocabulary = &known_target;
  auto with_model = ReadParallelFiles(fr, en, loaded, &files_report);
  ASSERT_TRUE(with_model.ok()) << with_model.status();
  EXPECT_EQ(with_model->target_vocabulary().Find("huge"), std::optional<WordId>(1));
  EXPECT_EQ(with_model->target_vocabulary().Find("zebra"), std::optional<WordId>(2));
  EXPECT_EQ(with_model->target_vocabulary().size(), 6u);  // + x y late
  EXPECT_THAT(TargetWords(*with_model, 3), ElementsAre("late"));
}

TEST_F(ReadCorpusTest, PairsOverTheMemoryBoundAreSkippedAndCountedApart) {
  EXPECT_EQ(MaxSideLengthForCells(kDefaultMaxPairCells), 5791u);
  EXPECT_EQ(MaxSideLengthForCells(16), 3u);
  EXPECT_EQ(MaxSideLengthForCells(15), 2u);
  EXPECT_EQ(MaxSideLengthForCells(1001 * 1001), 1000u);
  EXPECT_EQ(MaxSideLengthForCells(1), 0u);
  const std::string path = WriteFile("big.txt",
                                     "a b ||| x y\n"
                                     "a b c d ||| x\n"          // over the cell bound
                                     "a b c d e f g ||| x y\n"  // over both bounds
                                     "a ||| x y z w\n");        // over the cell bound
  CorpusReadOptions options;
  options.max_sentence_length = 6;
  options.max_pair_cells = 16;  // sides of at most 3 tokens
  CorpusReport report;
  auto corpus = ReadBitext(path, options, &report);
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  EXPECT_EQ(report.too_long_pairs, 3);
  EXPECT_EQ(report.first_too_long_line, 2);
  EXPECT_EQ(report.too_large_pairs, 2);
  EXPECT_EQ(report.first_too_large_line, 2);
  for (size_t k : {1, 2, 3}) EXPECT_THAT(Ids(corpus->pair(k).source), IsEmpty()) << k;
  EXPECT_FALSE(corpus->source_vocabulary().Find("d").has_value());
  EXPECT_THAT(UnusablePairWarnings(report, options),
              ElementsAre("warning: 1 pairs have a side longer than --max-sentence-length; they "
                          "are not trained on and their output lines are empty",
                          "warning: 2 pairs have a side longer than 3 tokens, too large to hold "
                          "in memory whatever --max-sentence-length says, first at line 2; they "
                          "are not trained on and their output lines are empty"));
}

TEST_F(ReadCorpusTest, UnusablePairWarningsOnePerKind) {
  CorpusReport report;
  EXPECT_THAT(UnusablePairWarnings(report, {}), IsEmpty());
  report.malformed_lines = 2;
  report.first_malformed_line = 5;
  report.empty_pairs = 1;
  report.too_long_pairs = 3;
  report.first_too_long_line = 7;
  EXPECT_THAT(UnusablePairWarnings(report, {}),
              ElementsAre("warning: 2 lines have no ' ||| ' separator (or more than one), first "
                          "at line 5; their output lines are empty",
                          "warning: 1 pairs have an empty side; their output lines are empty",
                          "warning: 3 pairs have a side longer than --max-sentence-length, first "
                          "at line 7; they are not trained on and their output lines are empty"));
}

TEST_F(ReadCorpusTest, CorpusWithoutAUsableLineIsAnErrorNamingTheFile) {
  const std::string bitext = WriteFile("bad.txt", "no separator\n ||| x\na b c d ||| x\n");
  CorpusReadOptions options;
  options.max_sentence_length = 3;
  CorpusReport report;
  auto corpus = ReadBitext(bitext, options, &report);
  ASSERT_FALSE(corpus.ok());
  EXPECT_EQ(corpus.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(corpus.status().message(),
            bitext +
                ": none of its 3 lines can be aligned (1 without one ' ||| ' separator, 1 "
                "with an empty side, 1 with a side longer than --max-sentence-length 3); "
                "there is nothing to train on or align");
  const std::string fr = WriteFile("e.fr", "a\n\n");
  const std::string en = WriteFile("e.en", "\nx\n");
  auto files = ReadParallelFiles(fr, en, {}, &report);
  ASSERT_FALSE(files.ok());
  EXPECT_THAT(files.status().message(),
              AllOf(HasSubstr(fr + " and " + en + ": none of their 2 lines can be aligned"),
                    HasSubstr("2 with an empty side")));
  // One usable line is enough.
  const std::string one = WriteFile("one.txt", "oops\na ||| x\n");
  EXPECT_TRUE(ReadBitext(one, {}, &report).ok());
}

TEST_F(ReadCorpusTest, LineRangeKeepsOnlyItsLinesNumberedAsInTheFile) {
  // Lines 3-5 (0-based 2..4) of a file: the first too-long and malformed
  // lines are reported by their line in the whole file.
  CorpusReadOptions options;
  options.first_line = 2;
  options.end_line = 5;
  options.max_sentence_length = 2;
  const std::string fr = WriteFile("r.fr", "a\nb\nc d e\nf\ng\nh\n");
  const std::string en = WriteFile("r.en", "x\ny\nz\nw\nv\nu\n");
  CorpusReport report;
  auto files = ReadParallelFiles(fr, en, options, &report);
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 3u);
  EXPECT_THAT(SourceWords(*files, 0), ElementsAre());
  EXPECT_THAT(SourceWords(*files, 1), ElementsAre("f"));
  EXPECT_THAT(TargetWords(*files, 2), ElementsAre("v"));
  EXPECT_EQ(report.too_long_pairs, 1);
  EXPECT_EQ(report.first_too_long_line, 3);
  // Words of the skipped lines are never seen.
  EXPECT_FALSE(files->source_vocabulary().Find("a").has_value());
  EXPECT_FALSE(files->source_vocabulary().Find("h").has_value());

  const std::string bitext = WriteFile("r.txt", "a ||| x\nb ||| y\nc\nf ||| w\ng ||| v\nh ||| u\n");
  auto from_bitext = ReadBitext(bitext, options, &report);
  ASSERT_TRUE(from_bitext.ok()) << from_bitext.status();
  ASSERT_EQ(from_bitext->size(), 3u);
  EXPECT_EQ(report.malformed_lines, 1);
  EXPECT_EQ(report.first_malformed_line, 3);
  EXPECT_THAT(TargetWords(*from_bitext, 2), ElementsAre("v"));

  // A block without a usable line is no error (the whole file is checked
  // by whoever reads the blocks); the whole file's report is.
  options.first_line = 2;
  options.end_line = 3;
  auto unusable = ReadParallelFiles(fr, en, options, &report);
  ASSERT_TRUE(unusable.ok()) << unusable.status();
  EXPECT_EQ(report.pairs, 1);
  EXPECT_EQ(report.usable_pairs, 0);
  const absl::Status whole = CheckSomePairUsable(report, options, fr, en);
  EXPECT_EQ(whole.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(whole.message(), HasSubstr(fr + " and " + en + ": none of their 1 lines"));
  report.usable_pairs = 1;
  EXPECT_TRUE(CheckSomePairUsable(report, options, fr, en).ok());
}

TEST_F(ReadCorpusTest, DifferentLineCountsNameBothFilesAndCounts) {
  const std::string fr = WriteFile("short.fr", "a\nb\nc\n");
  const std::string en = WriteFile("long.en", "x\ny\nz\nw\nv\n");
  CorpusReport report;
  auto corpus = ReadParallelFiles(fr, en, {}, &report);
  ASSERT_FALSE(corpus.ok());
  EXPECT_EQ(corpus.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(corpus.status().message());
  EXPECT_THAT(message, AllOf(HasSubstr(fr), HasSubstr(en), HasSubstr("3"), HasSubstr("5")));
}

TEST_F(ReadCorpusTest, MissingFilesAreNotFoundNamingThePath) {
  const std::string fr = WriteFile("ok.fr", "a\n");
  const std::string missing = Path("missing.en");
  CorpusReport report;
  auto files = ReadParallelFiles(fr, missing, {}, &report);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(files.status().message()), HasSubstr(missing));

  auto swapped = ReadParallelFiles(missing, fr, {}, &report);
  ASSERT_FALSE(swapped.ok());
  EXPECT_THAT(std::string(swapped.status().message()), HasSubstr(missing));

  auto bitext = ReadBitext(missing, {}, &report);
  ASSERT_FALSE(bitext.ok());
  EXPECT_EQ(bitext.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(bitext.status().message()), HasSubstr(missing));
}

TEST_F(ReadCorpusTest, BothSidesFromStdinIsAnError) {
  CorpusReport report;
  auto corpus = ReadParallelFiles("-", "-", {}, &report);
  ASSERT_FALSE(corpus.ok());
  EXPECT_EQ(corpus.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ReadCorpusTest, ReportIsResetBetweenReads) {
  const std::string bad = WriteFile("bad.txt", "oops\na ||| b\n");
  const std::string good = WriteFile("good.txt", "a ||| b\n");
  CorpusReport report;
  ASSERT_TRUE(ReadBitext(bad, {}, &report).ok());
  EXPECT_EQ(report.malformed_lines, 1);
  ASSERT_TRUE(ReadBitext(good, {}, &report).ok());
  EXPECT_EQ(report.malformed_lines, 0);
  EXPECT_EQ(report.first_malformed_line, 0);
  EXPECT_EQ(report.pairs, 1);
}

TEST_F(ReadCorpusTest, EmptyFileIsAnEmptyCorpus) {
  const std::string path = WriteFile("empty.txt", "");
  CorpusReport report;
  auto corpus = ReadBitext(path, {}, &report);
  ASSERT_TRUE(corpus.ok());
  EXPECT_EQ(corpus->size(), 0u);
  EXPECT_EQ(report.pairs, 0);
}

TEST_F(ReadCorpusTest, CrlfLinesAndMissingFinalNewline) {
  const std::string path = WriteFile("crlf.txt", "a ||| x\r\nb ||| y");
  CorpusReport report;
  auto corpus = ReadBitext(path, {}, &report);
  ASSERT_TRUE(corpus.ok());
  ASSERT_EQ(corpus->size(), 2u);
  EXPECT_THAT(TargetWords(*corpus, 0), ElementsAre("x"));  // not "x\r"
  EXPECT_THAT(TargetWords(*corpus, 1), ElementsAre("y"));
}

TEST_F(ReadCorpusTest, LowercaseOptionMergesCasedWords) {
  const std::string path =
      WriteFile("case.txt", "La MAISON ||| The House\nla maison ||| the house\n");
  CorpusReadOptions options;
  options.lowercase = true;
  CorpusReport report;
  auto corpus = ReadBitext(path, options, &report);
  ASSERT_TRUE(corpus.ok());
  EXPECT_EQ(Ids(corpus->pair(0).source), Ids(corpus->pair(1).source));
  EXPECT_EQ(Ids(corpus->pair(0).target), Ids(corpus->pair(1).target));
  EXPECT_THAT(SourceWords(*corpus, 0), ElementsAre("la", "maison"));
  EXPECT_EQ(corpus->source_vocabulary().size(), 3u);
}

// --stem-length: words cut to their first N characters, after lowercasing,
// in every reader; forms that share the stem share one id.
TEST_F(ReadCorpusTest, StemLengthPoolsTheFormsOfAWord) {
  const std::string fr = "Maisons maison MAIS été étés ||| Houses housing house a";
  const std::string path = WriteFile("stems.txt", fr + "\n");
  CorpusReadOptions options;
  options.lowercase = true;
  options.stem_length = 4;
  CorpusReport report;
  auto bitext = ReadBitext(path, options, &report);
  ASSERT_TRUE(bitext.ok()) << bitext.status();
  EXPECT_THAT(SourceWords(*bitext, 0), ElementsAre("mais", "mais", "mais", "été", "étés"));
  EXPECT_THAT(TargetWords(*bitext, 0), ElementsAre("hous", "hous", "hous", "a"));
  EXPECT_EQ(bitext->source_vocabulary().size(), 4u);  // NULL, mais, été, étés
  auto files =
      ReadParallelFiles(WriteFile("stems.fr", "Maisons maison MAIS été étés\n"),
                        WriteFile("stems.en", "Houses housing house a\n"), options, &report);
  ASSERT_TRUE(files.ok()) << files.status();
  ExpectSameCorpus(*bitext, *files);
  ParallelCorpusBuilder builder(options);
  builder.AddPair("Maisons maison MAIS été étés", "Houses housing house a");
  auto built = builder.Finish("in memory: none of its ", &report);
  ASSERT_TRUE(built.ok()) << built.status();
  ExpectSameCorpus(*bitext, *built);
  // Without lowercasing, "MAIS" stays apart; 0 keeps whole words.
  options.lowercase = false;
  auto cased = ReadBitext(path, options, &report);
  ASSERT_TRUE(cased.ok());
  EXPECT_THAT(SourceWords(*cased, 0), ElementsAre("Mais", "mais", "MAIS", "été", "étés"));
  options.stem_length = 0;
  auto whole = ReadBitext(path, options, &report);
  ASSERT_TRUE(whole.ok());
  EXPECT_THAT(TargetWords(*whole, 0), ElementsAre("Houses", "housing", "house", "a"));
}

TEST(StemUtf8Test, CutsAtCharactersNotBytes) {
  using namespace std::string_literals;
  EXPECT_EQ(StemUtf8("houses", 4), "hous");
  EXPECT_EQ(StemUtf8("hous", 4), "hous");
  EXPECT_EQ(StemUtf8("a", 4), "a");
  EXPECT_EQ(StemUtf8("", 4), "");
  EXPECT_EQ(StemUtf8("houses", 0), "houses");
  EXPECT_EQ(StemUtf8("été", 2), "ét");                   // two-byte characters
  EXPECT_EQ(StemUtf8("中华人民共和国", 4), "中华人民");  // three-byte characters
  EXPECT_EQ(StemUtf8("ab😀cd", 3), "ab😀");                // a four-byte character
  // Bytes that are not UTF-8: a stray continuation byte belongs to the
  // character before it (or starts the word), and nothing is split inside.
  EXPECT_EQ(StemUtf8("\x80\x80"
                     "ab"s,
                     1),
            "\x80\x80"
            "a"s);
  EXPECT_EQ(StemUtf8("a\xff"
                     "b"s,
                     2),
            "a\xff"s);
}

TEST_F(ReadCorpusTest, InvalidUtf8AndNulBytesPassThroughAsTokens) {
  using namespace std::string_literals;
  const std::string bad1 = "a\xff\xfe"s;
  const std::string bad2 = "\xc3"s;  // truncated two-byte sequence
  const std::string nul = "b\0c"s;
  const std::string line = bad1 + " " + nul + " " + bad2 + " ||| x\0"s + " \x80y\n"s;
  const std::string path = WriteFile("bytes.txt", line + line);
  for (bool lowercase : {false, true}) {
    CorpusReadOptions options;
    options.lowercase = lowercase;
    CorpusReport report;
    auto corpus = ReadBitext(path, options, &report);
    ASSERT_TRUE(corpus.ok()) << corpus.status();
    ASSERT_EQ(corpus->size(), 2u);
    EXPECT_EQ(report.malformed_lines, 0);
    EXPECT_THAT(SourceWords(*corpus, 0), ElementsAre(bad1, nul, bad2));
    EXPECT_THAT(TargetWords(*corpus, 0), ElementsAre("x\0"s, "\x80y"s));
    EXPECT_EQ(Ids(corpus->pair(0).source), Ids(corpus->pair(1).source));
  }
  // Same through the two-file reader.
  const std::string fr = WriteFile("b.fr", bad1 + " " + nul + "\n");
  const std::string en = WriteFile("b.en", "x\0y\n"s);
  CorpusReport report;
  auto files = ReadParallelFiles(fr, en, {}, &report);
  ASSERT_TRUE(files.ok());
  EXPECT_THAT(SourceWords(*files, 0), ElementsAre(bad1, nul));
  EXPECT_THAT(TargetWords(*files, 0), ElementsAre("x\0y"s));
}

TEST_F(ReadCorpusTest, WordSpelledNullIsAnOrdinaryWord) {
  const std::string path = WriteFile("null.txt", "NULL a ||| NULL\n");
  CorpusReport report;
  auto corpus = ReadBitext(path, {}, &report);
  ASSERT_TRUE(corpus.ok());
  EXPECT_NE(corpus->pair(0).source[0], kNullWord);
  EXPECT_NE(corpus->pair(0).target[0], kNullWord);
  EXPECT_THAT(SourceWords(*corpus, 0), ElementsAre("NULL", "a"));
}

TEST_F(ReadCorpusTest, SwapSidesExchangesVocabulariesAndText) {
  const std::string path = WriteFile("c.txt", "a b ||| x\nc ||| y z w\n");
  CorpusReport report;
  auto corpus = ReadBitext(path, {}, &report);
  ASSERT_TRUE(corpus.ok());
  corpus->SwapSides();
  EXPECT_THAT(SourceWords(*corpus, 0), ElementsAre("x"));
  EXPECT_THAT(TargetWords(*corpus, 0), ElementsAre("a", "b"));
  EXPECT_THAT(SourceWords(*corpus, 1), ElementsAre("y", "z", "w"));
  EXPECT_THAT(TargetWords(*corpus, 1), ElementsAre("c"));
  EXPECT_EQ(corpus->source_vocabulary().size(), 5u);
  EXPECT_EQ(corpus->target_vocabulary().size(), 4u);
  EXPECT_EQ(corpus->source_text().num_tokens(), 4u);
  corpus->SwapSides();
  EXPECT_THAT(SourceWords(*corpus, 1), ElementsAre("c"));
}

TEST_F(ReadCorpusTest, NumberWordsByFrequencyKeepsTheWords) {
  const std::string path = WriteFile("c.txt", "b a b ||| y x\nc b ||| x x\n\nd ||| y\n");
  CorpusReport report;
  auto corpus = ReadBitext(path, {}, &report);
  ASSERT_TRUE(corpus.ok());
  // First appearance: b=1 a=2 c=3 d=4; x and y.
  EXPECT_EQ(corpus->pair(0).source[0], 1u);
  corpus->NumberWordsByFrequency();
  // Counts b 3, a c d 1 (ties keep their order); x 3, y 2.
  EXPECT_THAT(Ids(corpus->pair(0).source), ElementsAre(1, 2, 1));
  EXPECT_THAT(Ids(corpus->pair(1).source), ElementsAre(3, 1));
  EXPECT_THAT(Ids(corpus->pair(3).source), ElementsAre(4));
  EXPECT_THAT(Ids(corpus->pair(0).target), ElementsAre(2, 1));
  EXPECT_THAT(Ids(corpus->pair(1).target), ElementsAre(1, 1));
  // The same words, line for line, and the vocabularies agree both ways.
  EXPECT_THAT(SourceWords(*corpus, 0), ElementsAre("b", "a", "b"));
  EXPECT_THAT(TargetWords(*corpus, 1), ElementsAre("x", "x"));
  EXPECT_THAT(SourceWords(*corpus, 2), IsEmpty());
  EXPECT_THAT(SourceWords(*corpus, 3), ElementsAre("d"));
  EXPECT_EQ(corpus->source_vocabulary().word(kNullWord), "NULL");
  for (const Vocabulary* vocab : {&corpus->source_vocabulary(), &corpus->target_vocabulary()}) {
    for (WordId id = 1; id < vocab->size(); ++id) EXPECT_EQ(vocab->Find(vocab->word(id)), id);
  }
  EXPECT_EQ(corpus->source_vocabulary().size(), 5u);
  EXPECT_EQ(corpus->target_vocabulary().size(), 3u);
}

// The in-memory builder gives what the file readers give for the same
// sentences: ids, vocabularies, and the empty, over-long, over the memory
// bound and cased pairs handled alike (the words of skipped pairs, "big",
// "huge", "wide", are not interned).
TEST_F(ReadCorpusTest, BuilderGivesTheFileReadersCorpus) {
  const std::vector<std::string> fr = {
      "La maison", "  la   maison bleue\t", "",        "Fleur", "big big big big big",
      "a",         "wide wide wide wide",   "la fleur"};
  const std::vector<std::string> en = {"the house", "the blue house", "nothing",
                                       "",          "late",           "huge huge huge huge huge",
                                       "x",         "The flower late"};
  std::string fr_text, en_text, bitext;
  for (size_t k = 0; k < fr.size(); ++k) {
    fr_text += fr[k] + "\n";
    en_text += en[k] + "\n";
    bitext += fr[k] + " ||| " + en[k] + "\n";
  }
  CorpusReadOptions options;
  options.lowercase = true;
  options.max_sentence_length = 4;
  options.max_pair_cells = 16;  // sides of at most 3 tokens
  CorpusReport file_report, bitext_report, text_report, token_report;
  auto from_files = ReadParallelFiles(WriteFile("c.fr", fr_text), WriteFile("c.en", en_text),
                                      options, &file_report);
  ASSERT_TRUE(from_files.ok()) << from_files.status();
  auto from_bitext = ReadBitext(WriteFile("c.txt", bitext), options, &bitext_report);
  ASSERT_TRUE(from_bitext.ok()) << from_bitext.status();

  ParallelCorpusBuilder from_text(options), from_tokens(options);
  for (size_t k = 0; k < fr.size(); ++k) {
    from_text.AddPair(fr[k], en[k]);
    std::vector<std::string_view> f, e;
    SplitTokens(fr[k], &f);
    SplitTokens(en[k], &e);
    ASSERT_TRUE(from_tokens
                    .AddTokenizedPair(std::vector<std::string>(f.begin(), f.end()),
                                      std::vector<std::string>(e.begin(), e.end()))
                    .ok());
  }
  EXPECT_EQ(from_text.size(), fr.size());
  auto text = from_text.Finish("in memory: none of its ", &text_report);
  auto tokens = from_tokens.Finish("in memory: none of its ", &token_report);
  ASSERT_TRUE(text.ok()) << text.status();
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ExpectSameCorpus(*from_files, *from_bitext);
  ExpectSameCorpus(*from_files, *text);
  ExpectSameCorpus(*from_files, *tokens);
  EXPECT_THAT(SourceWords(*text, 0), ElementsAre("la", "maison"));
  EXPECT_THAT(TargetWords(*text, 7), ElementsAre("the", "flower", "late"));
  EXPECT_THAT(SourceWords(*text, 4), IsEmpty());  // over --max-sentence-length
  EXPECT_THAT(SourceWords(*text, 6), IsEmpty());  // over the memory bound
  for (const char* word : {"big", "wide"}) {
    EXPECT_FALSE(text->source_vocabulary().Find(word).has_value()) << word;
  }
  EXPECT_FALSE(text->target_vocabulary().Find("huge").has_value());
  for (const CorpusReport* r : {&file_report, &bitext_report, &text_report, &token_report}) {
    EXPECT_EQ(r->pairs, 8);
    EXPECT_EQ(r->empty_pairs, 2);
    EXPECT_EQ(r->too_long_pairs, 3);
    EXPECT_EQ(r->first_too_long_line, 5);
    EXPECT_EQ(r->too_large_pairs, 1);
    EXPECT_EQ(r->first_too_large_line, 7);
  }
  // Numbered by frequency alike.
  from_files->NumberWordsByFrequency();
  text->NumberWordsByFrequency();
  ExpectSameCorpus(*from_files, *text);
}

// ReadBitext encodes lines in batches of thousands, in parallel, and numbers
// their words afterwards: over many batches, with malformed, empty and
// over-long lines among them and a block of the file, it gives the corpus,
// ids and report of adding the same lines one by one.
TEST_F(ReadCorpusTest, BitextOfManyBatchesGivesTheCorpusOfOneLineAtATime) {
  std::string bitext;
  std::vector<std::string> lines;
  uint32_t x = 7;
  auto next = [&x] { return x = x * 1103515245u + 12345u; };
  for (int k = 0; k < 20000; ++k) {
    std::string source, target;
    // Zipf-like words, so that batches share words and each brings new ones.
    const int source_length = k % 1999 == 5 ? 9 : 1 + next() % 7;  // some over the bound
    for (int w = 0; w < source_length; ++w) {
      source += (w ? " " : "") + std::string(next() % 3 ? "w" : "W") +
                std::to_string((next() >> 8) % (1 + (next() >> 8) % 30000));
    }
    const int target_length = k % 1777 == 3 ? 0 : 1 + next() % 6;  // some empty
    for (int w = 0; w < target_length; ++w) {
      target += (w ? " " : "") + std::string("e") + std::to_string((next() >> 8) % 20000);
    }
    lines.push_back(k % 1333 == 11 ? source : source + " ||| " + target);  // some malformed
    bitext += lines.back() + "\n";
  }
  const std::string path = WriteFile("many.txt", bitext);
  for (const auto& [first, end] : {std::pair<int64_t, int64_t>{0, -1}, {4321, 15000}}) {
    CorpusReadOptions options;
    options.lowercase = true;
    options.max_sentence_length = 8;
    options.first_line = first;
    options.end_line = end;
    CorpusReport read_report, one_by_one_report;
    auto read = ReadBitext(path, options, &read_report);
    ASSERT_TRUE(read.ok()) << read.status();
    ParallelCorpusBuilder builder(options);
    for (int64_t k = first; k < (end < 0 ? static_cast<int64_t>(lines.size()) : end); ++k) {
      std::string_view source, target;
      if (SplitBitextLine(lines[k], &source, &target)) {
        builder.AddPair(source, target);
      } else {
        builder.AddMalformedPair(k + 1);
      }
    }
    auto one_by_one = builder.Finish("in memory: none of its ", &one_by_one_report);
    ASSERT_TRUE(one_by_one.ok()) << one_by_one.status();
    ASSERT_EQ(read->size(), (end < 0 ? 20000 : end) - first);
    ExpectSameCorpus(*read, *one_by_one);
    EXPECT_GT(read->source_vocabulary().size(), 10000u);
    EXPECT_EQ(read_report.pairs, one_by_one_report.pairs);
    EXPECT_EQ(read_report.usable_pairs, one_by_one_report.usable_pairs);
    EXPECT_EQ(read_report.malformed_lines, one_by_one_report.malformed_lines);
    EXPECT_EQ(read_report.first_malformed_line, one_by_one_report.first_malformed_line);
    EXPECT_EQ(read_report.empty_pairs, one_by_one_report.empty_pairs);
    EXPECT_EQ(read_report.too_long_pairs, one_by_one_report.too_long_pairs);
    EXPECT_EQ(read_report.first_too_long_line, one_by_one_report.first_too_long_line);
    EXPECT_GE(read_report.malformed_lines, 5);
    EXPECT_GE(read_report.empty_pairs, 5);
    EXPECT_GE(read_report.too_long_pairs, 5);
    // An unusable pair keeps no words, whichever side had them.
    for (size_t k = 0; k < read->size(); ++k) {
      EXPECT_EQ(read->pair(k).source.empty(), read->pair(k).target.empty()) << "pair " << k;
    }
  }
}

// As the file readers, pairs of which none can be aligned are an error, with
// the caller's name for them and the reasons; no pair at all is an empty
// corpus.
// Giving back the arrays' spare capacity keeps every sentence; arrays a
// copy shares stay shared.
TEST(EncodedTextTest, ShrinkToFitKeepsTheSentences) {
  EncodedText text;
  for (WordId w = 1; w <= 100; ++w) text.AddSentence(std::vector<WordId>(w % 7 + 1, w));
  text.ShrinkToFit();
  const EncodedText copy = text;
  text.ShrinkToFit();
  EXPECT_TRUE(text.SharesWordsWith(copy));
  for (const EncodedText* t : {static_cast<const EncodedText*>(&text), &copy}) {
    ASSERT_EQ(t->num_sentences(), 100u);
    for (WordId w = 1; w <= 100; ++w) {
      EXPECT_THAT(t->sentence(w - 1), ::testing::Each(w));
      EXPECT_EQ(t->sentence(w - 1).size(), w % 7 + 1u);
    }
  }
}

// The reverse corpus is a copy with its sides swapped: it shares the
// arrays of words until either changes, and a change to one leaves the
// other as it was.
TEST(EncodedTextTest, CopiesShareTheWordsUntilOneChanges) {
  EncodedText text;
  const std::vector<WordId> first = {1, 2, 3}, second = {4, 5};
  text.AddSentence(first);
  EncodedText copy = text;
  EXPECT_TRUE(copy.SharesWordsWith(text));
  copy.AddSentence(second);
  EXPECT_FALSE(copy.SharesWordsWith(text));
  EXPECT_EQ(text.num_sentences(), 1u);
  EXPECT_EQ(copy.num_sentences(), 2u);
  EncodedText renumbered = text;
  renumbered.Renumber({0, 9, 8, 7});
  EXPECT_THAT(renumbered.sentence(0), ElementsAre(9, 8, 7));
  EXPECT_THAT(text.sentence(0), ElementsAre(1, 2, 3));

  ParallelCorpus corpus;
  corpus.mutable_source_text().AddSentence(first);
  corpus.mutable_target_text().AddSentence(second);
  ParallelCorpus reverse = corpus;
  reverse.SwapSides();
  EXPECT_TRUE(reverse.source_text().SharesWordsWith(corpus.target_text()));
  EXPECT_TRUE(reverse.target_text().SharesWordsWith(corpus.source_text()));
  EXPECT_THAT(reverse.pair(0).source, ElementsAre(4, 5));
  // Pairs name their corpus: the copy's are not the original's.
  EXPECT_NE(reverse.pair(0).corpus_id, corpus.pair(0).corpus_id);
  EXPECT_EQ(corpus.pair(0).corpus_id, corpus.id());
  EXPECT_EQ(corpus.pair(0).index, 0u);
}

TEST(ParallelCorpusBuilderTest, NoUsablePairIsAnError) {
  CorpusReadOptions options;
  options.max_sentence_length = 2;
  ParallelCorpusBuilder builder(options);
  builder.AddPair("a", "");
  builder.AddPair("a b c", "x");
  builder.AddMalformedPair(3);
  CorpusReport report;
  auto corpus = builder.Finish("the sentences: none of its ", &report);
  ASSERT_FALSE(corpus.ok());
  EXPECT_EQ(corpus.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(corpus.status().message(),
            "the sentences: none of its 3 lines can be aligned (1 without one ' ||| ' separator, "
            "1 with an empty side, 1 with a side longer than --max-sentence-length 2); there is "
            "nothing to train on or align");
  ParallelCorpusBuilder empty(options);
  auto none = empty.Finish("unused", &report);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->size(), 0u);
}

TEST(ParallelCorpusBuilderTest, StartsFromGivenVocabularies) {
  CorpusReadOptions first;
  ParallelCorpusBuilder a(first);
  a.AddPair("x y", "p q");
  CorpusReport report;
  const ParallelCorpus known = *a.Finish("", &report);
  CorpusReadOptions options;
  options.source_vocabulary = &known.source_vocabulary();
  options.target_vocabulary = &known.target_vocabulary();
  ParallelCorpusBuilder b(options);
  b.AddPair("y z", "q");
  const ParallelCorpus c = *b.Finish("", &report);
  EXPECT_THAT(Ids(c.pair(0).source), ElementsAre(2, 3));  // y keeps 2, z is new
  EXPECT_THAT(Ids(c.pair(0).target), ElementsAre(2));
}

TEST(ParallelCorpusBuilderTest, TokensAFileCouldNotHoldAreErrors) {
  ParallelCorpusBuilder builder{CorpusReadOptions()};
  builder.AddPair("a", "b");
  const absl::Status space = builder.AddTokenizedPair({"a b"}, {"c"});
  EXPECT_EQ(space.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(space.message(), AllOf(HasSubstr("pair 1"), HasSubstr("source"), HasSubstr("\"a b\""),
                                     HasSubstr("whitespace")));
  const absl::Status empty = builder.AddTokenizedPair({"a"}, {"c", ""});
  EXPECT_THAT(empty.message(), AllOf(HasSubstr("target"), HasSubstr("empty")));
  // A rejected pair is not added.
  EXPECT_EQ(builder.size(), 1u);
}

TEST(ParallelCorpusBuilderTest, MalformedPairsAreKeptEmptyAndReported) {
  ParallelCorpusBuilder builder{CorpusReadOptions()};
  builder.AddPair("a", "b");
  builder.AddMalformedPair(2);
  builder.AddMalformedPair(3);
  CorpusReport report;
  const ParallelCorpus c = *builder.Finish("", &report);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_THAT(Ids(c.pair(1).source), IsEmpty());
  EXPECT_EQ(report.malformed_lines, 2);
  EXPECT_EQ(report.first_malformed_line, 2);
  EXPECT_EQ(report.empty_pairs, 0);
}

TEST(SplitBitextLineTest, Separators) {
  std::string_view s, t;
  ASSERT_TRUE(SplitBitextLine("a b ||| c", &s, &t));
  EXPECT_EQ(s, "a b ");
  EXPECT_EQ(t, " c");
  ASSERT_TRUE(SplitBitextLine("|||", &s, &t));
  EXPECT_EQ(s, "");
  EXPECT_EQ(t, "");
  ASSERT_TRUE(SplitBitextLine("a\t|||\tb", &s, &t));
  EXPECT_EQ(s, "a\t");
  ASSERT_TRUE(SplitBitextLine("a b\tc", &s, &t));  // one TAB, no '|||'
  EXPECT_EQ(s, "a b");
  EXPECT_EQ(t, "c");
  // '|||' wins over TABs.
  ASSERT_TRUE(SplitBitextLine("a\tb ||| c\td", &s, &t));
  EXPECT_EQ(s, "a\tb ");
  EXPECT_EQ(t, " c\td");
  // '||||' and 'a|||' are words, not separators.
  ASSERT_TRUE(SplitBitextLine("a|||b |||| ||| c", &s, &t));
  EXPECT_EQ(s, "a|||b |||| ");
  EXPECT_EQ(t, " c");
}

TEST(SplitBitextLineTest, MalformedLines) {
  std::string_view s, t;
  EXPECT_FALSE(SplitBitextLine("", &s, &t));
  EXPECT_FALSE(SplitBitextLine("a b c", &s, &t));
  EXPECT_FALSE(SplitBitextLine("a ||| b ||| c", &s, &t));
  EXPECT_FALSE(SplitBitextLine("a\tb\tc", &s, &t));
  EXPECT_FALSE(SplitBitextLine("a|||b", &s, &t));
}

TEST(SplitTokensTest, AsciiWhitespaceOnly) {
  std::vector<std::string_view> tokens;
  SplitTokens("  a\tb\v\fc  d\r", &tokens);
  EXPECT_THAT(tokens, ElementsAre("a", "b", "c", "d"));
  SplitTokens("", &tokens);
  EXPECT_THAT(tokens, IsEmpty());
  SplitTokens(" \t ", &tokens);
  EXPECT_THAT(tokens, IsEmpty());
  // U+00A0 (no-break space) is not ASCII whitespace: it stays in the token.
  SplitTokens(
      "a\xc2\xa0"
      "b c",
      &tokens);
  EXPECT_THAT(tokens, ElementsAre("a\xc2\xa0"
                                  "b",
                                  "c"));
}

TEST(LowercaseUtf8Test, AsciiLatinGreekCyrillic) {
  EXPECT_EQ(LowercaseUtf8("ÉCOLE Ça ΑΒΓ Straße"), "école ça αβγ straße");
  EXPECT_EQ(LowercaseUtf8("ABCXYZ abc 123 !@[`{"), "abcxyz abc 123 !@[`{");
  EXPECT_EQ(LowercaseUtf8("ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞ"), "àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþ");
  EXPECT_EQ(LowercaseUtf8("×"), "×");  // U+00D7 is not a letter
  EXPECT_EQ(LowercaseUtf8("ß ÿ"), "ß ÿ");
  EXPECT_EQ(LowercaseUtf8("ŁÓDŹ ŻÓŁW ŚĆŃ ĄĘ Ÿ Œ Š Ž Ğ Ő"), "łódź żółw śćń ąę ÿ œ š ž ğ ő");
  EXPECT_EQ(LowercaseUtf8("ΣΟΦΙΑ ΩΜΕΓΑ"), "σοφια ωμεγα");
  EXPECT_EQ(LowercaseUtf8("МОСКВА ЁЖ ЇЖАК Ђ"), "москва ёж їжак ђ");
  // Already lowercase stays the same.
  EXPECT_EQ(LowercaseUtf8("école αβγ москва"), "école αβγ москва");
}

TEST(LowercaseUtf8Test, GreekCapitalsWithTonosAndDialytika) {
  // Sentence-initial accented capitals are everywhere in Greek text ("Όταν",
  // "Έχει", "Άρης"); without them --lowercase keeps "Όταν" and "όταν" apart.
  EXPECT_EQ(LowercaseUtf8("Ά Έ Ή Ί Ό Ύ Ώ"), "ά έ ή ί ό ύ ώ");
  EXPECT_EQ(LowercaseUtf8("Ϊ Ϋ"), "ϊ ϋ");
  EXPECT_EQ(LowercaseUtf8("Όταν"), LowercaseUtf8("όταν"));
}

TEST(LowercaseUtf8Test, OtherBytesPassThrough) {
  using namespace std::string_literals;
  // Three- and four-byte characters are unchanged.
  EXPECT_EQ(LowercaseUtf8("中文 € 😀"), "中文 € 😀");
  // Invalid UTF-8 is unchanged, byte for byte.
  EXPECT_EQ(LowercaseUtf8("\xff\xfe"s), "\xff\xfe"s);
  EXPECT_EQ(LowercaseUtf8("A\xc3"s), "a\xc3"s);        // truncated sequence at the end
  EXPECT_EQ(LowercaseUtf8("\xc3Z"s), "\xc3z"s);        // lead byte followed by ASCII
  EXPECT_EQ(LowercaseUtf8("\x80\x80"s), "\x80\x80"s);  // lone continuation bytes
  EXPECT_EQ(LowercaseUtf8("\xc1\x81"s), "\xc1\x81"s);  // overlong 'A' stays as is
  EXPECT_EQ(LowercaseUtf8("A\0B"s), "a\0b"s);
  EXPECT_EQ(LowercaseUtf8(""), "");
}

}  // namespace
}  // namespace aligner
