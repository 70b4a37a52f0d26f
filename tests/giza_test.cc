// Tests for the GIZA++ formats: A3 alignment files (format, parse, round
// trip) and translation-table dumps.
#include "aligner/io/giza.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "aligner/decode/output_formats.h"
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

class GizaTest : public TempDirTest {
 protected:
};

A3Entry Entry(int64_t n, std::vector<std::string> source, std::vector<std::string> target,
              std::vector<uint32_t> alignment, double score) {
  A3Entry e;
  e.sentence_number = n;
  e.source_words = std::move(source);
  e.target_words = std::move(target);
  e.alignment = std::move(alignment);
  e.score = score;
  return e;
}

TEST_F(GizaTest, FormatMatchesGizaExactly) {
  // alignment[j] = i: target 1 -> source 1, target 2 -> NULL, target 3 ->
  // source 3, target 4 -> source 1; source 2 unaligned.
  const A3Entry entry =
      Entry(1, {"la", "maison", "bleue"}, {"the", "blue", "house", "."}, {1, 0, 3, 1}, 1.5e-05);
  EXPECT_EQ(FormatA3Entry(entry),
            "# Sentence pair (1) source length 3 target length 4 alignment score : 1.5e-05\n"
            "the blue house .\n"
            "NULL ({ 2 }) la ({ 1 4 }) maison ({ }) bleue ({ 3 })\n");
}

TEST_F(GizaTest, HeaderLineForm) {
  const A3Entry entry = Entry(12, {"a", "b", "c"}, {"w", "x", "y", "z"}, {1, 2, 3, 3}, 0.25);
  const std::string text = FormatA3Entry(entry);
  const std::string header = text.substr(0, text.find('\n'));
  EXPECT_EQ(header, "# Sentence pair (12) source length 3 target length 4 alignment score : 0.25");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
}

TEST_F(GizaTest, RoundTripKeepsWordsAndAlignment) {
  const std::vector<A3Entry> entries = {
      // NULL-aligned words, an unaligned source word, a source word with two
      // target words.
      Entry(1, {"la", "maison", "bleue"}, {"the", "blue", "house", "."}, {1, 0, 3, 1}, 1.5e-05),
      // Repeated words on both sides.
      Entry(2, {"de", "la", "de", "la"}, {"of", "the", "of", "the", "of"}, {1, 2, 3, 4, 3}, 0.001),
      // Everything to NULL.
      Entry(3, {"x"}, {"a", "b"}, {0, 0}, 0.5),
      // Every target word to the last source word; first source words unaligned.
      Entry(4, {"p", "q", "r"}, {"s"}, {3}, 1),
      // Tokens that look like the A3 punctuation.
      Entry(5, {"})", "({", "NULL"}, {"({", "})"}, {2, 1}, 0.125),
  };
  std::string text;
  for (const A3Entry& e : entries) text += FormatA3Entry(e);
  const std::string path = WriteFile("round.A3", text);
  auto read = ReadA3File(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), entries.size());
  for (size_t k = 0; k < entries.size(); ++k) {
    const A3Entry& want = entries[k];
    const A3Entry& got = (*read)[k];
    EXPECT_EQ(got.sentence_number, want.sentence_number) << k;
    EXPECT_EQ(got.source_words, want.source_words) << k;
    EXPECT_EQ(got.target_words, want.target_words) << k;
    EXPECT_EQ(got.alignment, want.alignment) << k;
    EXPECT_NEAR(got.score, want.score, 1e-5 * want.score) << k;
    // Formatting what was read gives the same text again.
    EXPECT_EQ(FormatA3Entry(got), FormatA3Entry(want)) << k;
  }
}

TEST_F(GizaTest, EmptyPairRoundTrips) {
  // An empty pair (the CLI writes one for every blank or malformed line).
  const A3Entry empty = Entry(7, {}, {}, {}, 1);
  const std::string text = FormatA3Entry(empty);
  EXPECT_EQ(text,
            "# Sentence pair (7) source length 0 target length 0 alignment score : 1\n"
            "\n"
            "NULL ({ })\n");
  const std::string path =
      WriteFile("empty.A3", text + FormatA3Entry(Entry(8, {"a"}, {"b"}, {1}, 1)));
  auto read = ReadA3File(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_THAT((*read)[0].source_words, IsEmpty());
  EXPECT_THAT((*read)[0].target_words, IsEmpty());
  EXPECT_THAT((*read)[0].alignment, IsEmpty());
  EXPECT_THAT((*read)[1].alignment, ElementsAre(1));
}

TEST_F(GizaTest, ReadsGizaOutput) {
  // As GIZA++ writes A3.final (its spacing, scientific scores).
  const std::string path = WriteFile(
      "giza.A3.final",
      "# Sentence pair (1) source length 4 target length 5 alignment score : 3.43664e-08\n"
      "le chat est noir .\n"
      "NULL ({ }) the ({ 1 }) cat ({ 2 }) is ({ 3 }) black ({ 4 5 }) \n"
      "# Sentence pair (2) source length 2 target length 3 alignment score : 0.0123\n"
      "un deux trois\n"
      "NULL ({ 3 }) one ({ 1 }) two ({ 2 })\n");
  auto read = ReadA3File(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  const A3Entry& e = (*read)[0];
  EXPECT_EQ(e.sentence_number, 1);
  EXPECT_DOUBLE_EQ(e.score, 3.43664e-08);
  EXPECT_THAT(e.source_words, ElementsAre("the", "cat", "is", "black"));
  EXPECT_THAT(e.target_words, ElementsAre("le", "chat", "est", "noir", "."));
  EXPECT_THAT(e.alignment, ElementsAre(1, 2, 3, 4, 4));
  EXPECT_THAT((*read)[1].alignment, ElementsAre(1, 2, 0));
}

TEST_F(GizaTest, MalformedFilesAreErrorsWithFileAndLine) {
  struct Case {
    const char* name;
    std::string text;
    const char* line;
  };
  const std::string good_header =
      "# Sentence pair (1) source length 1 target length 1 alignment score : 1\n";
  const std::vector<Case> cases = {
      {"no_header", "hello\nworld\nNULL ({ })\n", ":1:"},
      {"bad_number",
       "# Sentence pair (x) source length 1 target length 1 alignment score : 1\n"
       "a\nNULL ({ }) b ({ 1 })\n",
       ":1:"},
      {"bad_score",
       "# Sentence pair (1) source length 1 target length 1 alignment score : zz\n"
       "a\nNULL ({ }) b ({ 1 })\n",
       ":1:"},
      {"position_too_big", good_header + "a\nNULL ({ }) b ({ 2 })\n", ":3:"},
      {"position_zero", good_header + "a\nNULL ({ }) b ({ 0 })\n", ":3:"},
      {"position_not_number", good_header + "a\nNULL ({ }) b ({ one })\n", ":3:"},
      {"missing_close", good_header + "a\nNULL ({ }) b ({ 1\n", ":3:"},
      {"missing_open", good_header + "a\nNULL ({ }) b 1 })\n", ":3:"},
      {"missing_alignment_line", good_header + "a\n", ""},
      {"missing_target_line", good_header, ""},
  };
  for (const Case& c : cases) {
    const std::string path = WriteFile(c.name, c.text);
    auto read = ReadA3File(path);
    ASSERT_FALSE(read.ok()) << c.name;
    EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(std::string(read.status().message()), HasSubstr(path + c.line)) << c.name;
  }
  auto missing = ReadA3File(Path("missing.A3"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(GizaTest, MakeA3EntryFromCorpusPair) {
  Vocabulary source, target;
  const std::vector<WordId> s = {source.Intern("la"), source.Intern("maison")};
  const std::vector<WordId> t = {target.Intern("the"), target.Intern("house"), target.Intern("!")};
  const SentencePair pair{absl::MakeConstSpan(s), absl::MakeConstSpan(t)};
  const A3Entry entry = MakeA3Entry(9, pair, source, target, {1, 2, 0}, std::log(0.125));
  EXPECT_EQ(entry.sentence_number, 9);
  EXPECT_THAT(entry.source_words, ElementsAre("la", "maison"));
  EXPECT_THAT(entry.target_words, ElementsAre("the", "house", "!"));
  EXPECT_THAT(entry.alignment, ElementsAre(1, 2, 0));
  EXPECT_NEAR(entry.score, 0.125, 1e-15);
  EXPECT_EQ(FormatA3Entry(entry),
            "# Sentence pair (9) source length 2 target length 3 alignment score : 0.125\n"
            "the house !\n"
            "NULL ({ 3 }) la ({ 1 }) maison ({ 2 })\n");
  // No alignment (posterior decoding): every word to NULL.
  const A3Entry unaligned = MakeA3Entry(1, pair, source, target, {}, 0);
  EXPECT_THAT(unaligned.alignment, ElementsAre(0, 0, 0));
}

// A table with rows NULL: {x, y}, a: {x}, b: {x, y}, c: {} and chosen
// probabilities.
struct SmallTable {
  Vocabulary source, target;
  TranslationTable table;
};

SmallTable MakeSmallTable() {
  SmallTable t;
  const WordId a = t.source.Intern("a"), b = t.source.Intern("b");
  t.source.Intern("c");
  const WordId x = t.target.Intern("x"), y = t.target.Intern("y");
  t.table = TranslationTable::FromRows({{x, y}, {x}, {x, y}, {}});
  auto probs = t.table.mutable_probs();
  probs[t.table.Find(kNullWord, x)] = 0.25f;
  probs[t.table.Find(kNullWord, y)] = 0.75f;
  probs[t.table.Find(a, x)] = 1.0f;
  probs[t.table.Find(b, x)] = 0.5f;
  probs[t.table.Find(b, y)] = 1e-9f;
  return t;
}

TEST_F(GizaTest, WriteTranslationTableFastAlignFormat) {
  const SmallTable t = MakeSmallTable();
  const std::string path = Path("ttable.fast_align");
  ASSERT_TRUE(WriteTranslationTable(t.table, t.source, t.target, TranslationTableFormat::kFastAlign,
                                    1e-7, path)
                  .ok());
  // Tab-separated, natural log, NULL as <eps>, rows in source-id order,
  // entries below the minimum left out.
  EXPECT_EQ(ReadWholeFile(path),
            "<eps>\tx\t-1.38629436\n"
            "<eps>\ty\t-0.287682072\n"
            "a\tx\t0\n"
            "b\tx\t-0.693147181\n");
}

TEST_F(GizaTest, WriteTranslationTableProbabilityFormat) {
  const SmallTable t = MakeSmallTable();
  const std::string path = Path("ttable.prob");
  ASSERT_TRUE(WriteTranslationTable(t.table, t.source, t.target,
                                    TranslationTableFormat::kProbability, 0, path)
                  .ok());
  const std::string text = ReadWholeFile(path);
  // Space-separated, plain probabilities (%.9g of the stored float), NULL
  // spelled NULL.
  EXPECT_EQ(text, "NULL x 0.25\nNULL y 0.75\na x 1\nb x 0.5\nb y 9.99999972e-10\n");
  // Every line parses back to (source, target, probability).
  std::istringstream in(text);
  std::string s, f;
  double p;
  int lines = 0;
  while (in >> s >> f >> p) {
    EXPECT_GT(p, 0);
    EXPECT_LE(p, 1);
    ++lines;
  }
  EXPECT_EQ(lines, 5);
}

TEST_F(GizaTest, WriteTranslationTableToUnwritablePathFails) {
  const SmallTable t = MakeSmallTable();
  const std::string path = Path("no/such/dir/ttable");
  const absl::Status status = WriteTranslationTable(t.table, t.source, t.target,
                                                    TranslationTableFormat::kFastAlign, 0, path);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr(path));
}

}  // namespace
}  // namespace aligner
