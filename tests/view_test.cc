#include "aligner/tools/view.h"

#include <sys/wait.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace aligner {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Sure {0-0, 1-1}, possible-only {1-2, 2-0}; predicted {0-0, 1-2, 2-2}: one
// sure hit, one possible hit, one wrong, one missed (1-1), one unused
// possible (2-0). AER = 1 - (1 + 2) / (3 + 2) = 0.4, as in evaluate_test.
ViewPair HandMadePair() {
  ViewPair pair;
  pair.line = 1;
  pair.source_words = {"a", "b", "c"};
  pair.target_words = {"x", "y", "z"};
  pair.links = {{0, 0}, {1, 2}, {2, 2}};
  pair.gold.sure = {{0, 0}, {1, 1}};
  pair.gold.possible = {{1, 2}, {2, 0}};
  return pair;
}

struct CellSummary {
  uint32_t source, target;
  std::string kind;
  friend bool operator==(const CellSummary& a, const CellSummary& b) {
    return a.source == b.source && a.target == b.target && a.kind == b.kind;
  }
  friend std::ostream& operator<<(std::ostream& os, const CellSummary& c) {
    return os << c.source << "-" << c.target << ":" << c.kind;
  }
};

std::vector<CellSummary> Summaries(const std::vector<ViewCell>& cells) {
  std::vector<CellSummary> out;
  for (const ViewCell& c : cells)
    out.push_back({c.source, c.target, std::string(CellKindName(c.kind))});
  return out;
}

TEST(ViewTest, HtmlEscapeEscapesMarkupQuotesAndControls) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("caf\xC3\xA9"), "caf\xC3\xA9");  // UTF-8 passes through
  EXPECT_EQ(HtmlEscape(std::string("a\0b\x01", 4)),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
  EXPECT_EQ(HtmlEscape("&amp;"), "&amp;amp;");  // entities are text, not markup
}

TEST(ViewTest, TokensAreEscapedInThePage) {
  ViewPage page;
  page.title = "t<i>";
  page.inputs = {{"source", "dir/\"odd\" <name>.txt"}};
  ViewPair pair;
  pair.line = 1;
  pair.source_words = {"<script>alert(1)</script>", "a&b"};
  pair.target_words = {"\"quoted\"", "it's"};
  pair.links = {{0, 0}};
  page.pairs.push_back(pair);
  const std::string html = RenderViewPage(page);
  EXPECT_THAT(html, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr(">a&amp;b<"));
  EXPECT_THAT(html, HasSubstr(">&quot;quoted&quot;<"));
  EXPECT_THAT(html, HasSubstr(">it&#39;s<"));
  EXPECT_THAT(html, HasSubstr("<title>t&lt;i&gt;</title>"));
  EXPECT_THAT(html, HasSubstr("dir/&quot;odd&quot; &lt;name&gt;.txt"));
  EXPECT_THAT(html, Not(HasSubstr("t<i>")));
  // Exactly one script element: the page's own.
  size_t scripts = 0;
  for (size_t at = html.find("<script"); at != std::string::npos;
       at = html.find("<script", at + 1)) {
    ++scripts;
  }
  EXPECT_EQ(scripts, 1u);
}

TEST(ViewTest, PageIsSelfContained) {
  ViewPage page;
  page.has_gold = true;
  page.pairs.push_back(HandMadePair());
  std::string html = RenderViewPage(page);
  // The script names the SVG namespace (an identifier, never fetched); no
  // other address may appear.
  const std::string svg_namespace = "\"http://www.w3.org/2000/svg\"";
  for (size_t at; (at = html.find(svg_namespace)) != std::string::npos;) {
    html.erase(at, svg_namespace.size());
  }
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
  EXPECT_THAT(html, Not(HasSubstr(" src=")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  // Links and CSS references point into the page only.
  for (const std::string prefix : {"href=\"", "url("}) {
    for (size_t at = html.find(prefix); at != std::string::npos; at = html.find(prefix, at + 1)) {
      EXPECT_EQ(html[at + prefix.size()], '#') << html.substr(at, 40);
    }
  }
}

TEST(ViewTest, CellKindsAgainstGold) {
  ViewPage page;
  page.has_gold = true;
  EXPECT_THAT(Summaries(ClassifyCells(page, HandMadePair())),
              ElementsAre(CellSummary{0, 0, "sure"}, CellSummary{1, 1, "missed"},
                          CellSummary{1, 2, "possible"}, CellSummary{2, 0, "possible-unused"},
                          CellSummary{2, 2, "wrong"}));
}

TEST(ViewTest, CellKindsWithoutGoldAreLinksOnce) {
  ViewPage page;
  ViewPair pair = HandMadePair();
  pair.links.push_back({0, 0});  // a duplicate is drawn once
  EXPECT_THAT(
      Summaries(ClassifyCells(page, pair)),
      ElementsAre(CellSummary{0, 0, "link"}, CellSummary{1, 2, "link"}, CellSummary{2, 2, "link"}));
}

TEST(ViewTest, CellKindsComparingTwoAlignments) {
  ViewPage page;
  page.has_other = true;
  ViewPair pair = HandMadePair();
  pair.other_links = {{1, 2}, {1, 1}};
  EXPECT_THAT(Summaries(ClassifyCells(page, pair)),
              ElementsAre(CellSummary{0, 0, "only-a"}, CellSummary{1, 1, "only-b"},
                          CellSummary{1, 2, "both"}, CellSummary{2, 2, "only-a"}));
  // With gold too, the kinds stay A/B/both, gold is carried alongside, and a
  // gold link neither has is its own cell.
  page.has_gold = true;
  const std::vector<ViewCell> cells = ClassifyCells(page, pair);
  EXPECT_THAT(Summaries(cells),
              ElementsAre(CellSummary{0, 0, "only-a"}, CellSummary{1, 1, "only-b"},
                          CellSummary{1, 2, "both"}, CellSummary{2, 0, "possible-unused"},
                          CellSummary{2, 2, "only-a"}));
  EXPECT_TRUE(cells[0].gold_sure);
  EXPECT_TRUE(cells[2].gold_possible);
  EXPECT_FALSE(cells[2].gold_sure);
  EXPECT_FALSE(cells[4].gold_sure || cells[4].gold_possible);
}

TEST(ViewTest, PosteriorsFollowLinkOrderAndShadeCells) {
  ViewPage page;
  page.has_posteriors = true;
  ViewPair pair = HandMadePair();
  pair.links = {{2, 2}, {0, 0}, {2, 2}};
  pair.link_posteriors = {0.25, 1.0, 0.5};
  const std::vector<ViewCell> cells = ClassifyCells(page, pair);
  ASSERT_EQ(cells.size(), 2u);
  EXPECT_DOUBLE_EQ(*cells[0].posterior, 1.0);  // 0-0
  EXPECT_DOUBLE_EQ(*cells[1].posterior, 0.5);  // 2-2: the larger of its two
  page.pairs.push_back(pair);
  const std::string html = RenderViewPage(page);
  EXPECT_THAT(html, HasSubstr("data-s=\"2\" data-t=\"2\" data-p=\"0.500\" fill-opacity=\"0.575\""));
  EXPECT_THAT(html, HasSubstr("data-s=\"0\" data-t=\"0\" data-p=\"1.000\" fill-opacity=\"1.000\""));
}

TEST(ViewTest, RenderedCellsCarryTheirClassesAndPositions) {
  ViewPage page;
  page.has_gold = true;
  page.pairs.push_back(HandMadePair());
  const std::string html = RenderViewPage(page);
  // Target position t is the column (x = 20 t), source position s the row.
  EXPECT_THAT(html, HasSubstr("<rect class=\"c sure\" data-kind=\"sure\" data-s=\"0\" data-t=\"0\" "
                              "data-gold=\"sure\" x=\"2\" y=\"2\""));
  EXPECT_THAT(html, HasSubstr("<rect class=\"c possible\" data-kind=\"possible\" data-s=\"1\" "
                              "data-t=\"2\" data-gold=\"possible\" x=\"42\" y=\"22\""));
  EXPECT_THAT(html,
              HasSubstr("<rect class=\"c wrong\" data-kind=\"wrong\" data-s=\"2\" data-t=\"2\" "
                        "x=\"42\" y=\"42\""));
  EXPECT_THAT(html, HasSubstr("<rect class=\"c missed\" data-kind=\"missed\" data-s=\"1\" "
                              "data-t=\"1\" data-gold=\"sure\" x=\"23\" y=\"23\""));
  EXPECT_THAT(html, HasSubstr("class=\"c possible-unused\""));
  EXPECT_THAT(html, HasSubstr("<span class=\"rw\" data-s=\"2\">c</span>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"cw\" data-t=\"1\">y</span>"));
  EXPECT_THAT(html, HasSubstr("<svg class=\"m\" width=\"60\" height=\"60\""));
}

TEST(ViewTest, AerPerSentence) {
  ViewPair pair = HandMadePair();
  ASSERT_TRUE(PairAer(pair).has_value());
  EXPECT_DOUBLE_EQ(*PairAer(pair), 0.4);
  // The -b alignment is scored on its own: {0-0, 1-1} hits both sure links.
  pair.other_links = {{0, 0}, {1, 1}};
  EXPECT_DOUBLE_EQ(*PairAer(pair, /*other=*/true), 0.0);
  // Neither links nor sure gold: no AER rather than evaluate's 1.
  ViewPair empty;
  empty.source_words = {"a"};
  empty.target_words = {"x"};
  empty.gold.possible = {{0, 0}};
  EXPECT_FALSE(PairAer(empty).has_value());
  ViewPage no_aer;
  no_aer.has_gold = true;
  no_aer.pairs.push_back(empty);
  EXPECT_THAT(RenderViewPage(no_aer), HasSubstr("id=\"p0\" data-line=\"0\" data-aer=\"\">"));
  EXPECT_THAT(RenderViewPage(no_aer), HasSubstr("AER <b>n/a</b>"));

  ViewPage page;
  page.has_gold = true;
  page.pairs.push_back(HandMadePair());
  const std::string html = RenderViewPage(page);
  EXPECT_THAT(
      html, HasSubstr("<section class=\"pair\" id=\"p1\" data-line=\"1\" data-aer=\"0.400000\">"));
  EXPECT_THAT(html, HasSubstr("AER <b>0.400</b>"));
  EXPECT_THAT(html, HasSubstr("AER <b>0.4000</b>"));  // the page total
}

TEST(ViewTest, ListIsWorstFirstWithGoldAndByLineWithout) {
  ViewPage page;
  auto add = [&](int64_t line, SentenceLinks links) {
    ViewPair pair;
    pair.line = line;
    pair.source_words = {"a", "b"};
    pair.target_words = {"x", "y"};
    pair.links = std::move(links);
    pair.gold.sure = {{0, 0}, {1, 1}};
    page.pairs.push_back(pair);
  };
  add(1, {{0, 0}, {1, 1}});  // AER 0
  add(2, {{0, 1}});          // AER 1
  add(3, {{0, 0}});          // AER 1/3
  add(4, {{1, 0}});          // AER 1, ties with line 2
  EXPECT_THAT(WorstFirstOrder(page), ElementsAre(0, 1, 2, 3));
  page.has_gold = true;
  EXPECT_THAT(WorstFirstOrder(page), ElementsAre(1, 3, 2, 0));
  const std::string html = RenderViewPage(page);
  const size_t p2 = html.find("<li data-line=\"2\"");
  const size_t p4 = html.find("<li data-line=\"4\"");
  const size_t p3 = html.find("<li data-line=\"3\"");
  const size_t p1 = html.find("<li data-line=\"1\"");
  ASSERT_NE(p1, std::string::npos);
  EXPECT_LT(p2, p4);
  EXPECT_LT(p4, p3);
  EXPECT_LT(p3, p1);
  // The matrices follow the list's order.
  EXPECT_LT(html.find("id=\"p4\""), html.find("id=\"p3\""));
}

TEST(ViewTest, EmptySideShowsNoMatrix) {
  ViewPage page;
  ViewPair pair;
  pair.line = 7;
  pair.target_words = {"x"};
  page.pairs.push_back(pair);
  const std::string html = RenderViewPage(page);
  EXPECT_THAT(html, HasSubstr("source side is empty"));
  EXPECT_THAT(html, Not(HasSubstr("<svg class=\"m\" width=\"20\" height=\"0\"")));
}

TEST(ViewTest, ParseLineRange) {
  auto range = ParseLineRange("1-50");
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->first, 1);
  EXPECT_EQ(range->last, 50);
  range = ParseLineRange("7");
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->first, 7);
  EXPECT_EQ(range->last, 7);
  range = ParseLineRange("10-");
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->first, 10);
  EXPECT_EQ(range->last, std::numeric_limits<int64_t>::max());
  for (const char* bad :
       {"", "0-3", "5-2", "a", "-3", "1-2-3", "1 -2", "+1-2", "99999999999999999999"}) {
    EXPECT_FALSE(ParseLineRange(bad).ok()) << bad;
  }
  EXPECT_THAT(std::string(ParseLineRange("5-2").status().message()), HasSubstr("'5-2'"));
}

class ViewFilesTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    files_.source = WriteFile("s.txt", "a b c\nd e\nf\ng h\n");
    files_.target = WriteFile("t.txt", "x y\nz\nw v\nu\n");
    files_.links = WriteFile("a.txt", "0-0 1-1\n0-0 1-0\n\n1-0\n");
  }

  std::string Error(const LineRange& range = LineRange()) const {
    auto page = ReadViewPage(files_, range);
    if (page.ok()) return "OK";
    return std::string(page.status().message());
  }

  ViewFiles files_;
};

TEST_F(ViewFilesTest, ReadsAllPairsWithLineNumbers) {
  files_.gold = WriteFile("g.txt", "0-0 1p1\n0-0\n0-1\n1-0\n");
  files_.other_links = WriteFile("b.txt", "0-0\n\n0-0\n1-0\n");
  files_.link_posteriors = WriteFile("p.txt", "0.9 0.25\n1 0.5\n\n0.75\n");
  auto page = ReadViewPage(files_, LineRange());
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->pairs.size(), 4u);
  EXPECT_TRUE(page->has_gold && page->has_other && page->has_posteriors);
  EXPECT_EQ(page->pairs[1].line, 2);
  EXPECT_THAT(page->pairs[1].source_words, ElementsAre("d", "e"));
  EXPECT_THAT(page->pairs[0].target_words, ElementsAre("x", "y"));
  EXPECT_EQ(page->pairs[1].links, (SentenceLinks{{0, 0}, {1, 0}}));
  EXPECT_THAT(page->pairs[1].link_posteriors, ElementsAre(1.0, 0.5));
  EXPECT_EQ(page->pairs[2].other_links, (SentenceLinks{{0, 0}}));
  EXPECT_EQ(page->pairs[0].gold.possible, (SentenceLinks{{1, 1}}));
  EXPECT_DOUBLE_EQ(*PairAer(page->pairs[0]), 0.0);
}

TEST_F(ViewFilesTest, LinesRangeSelectsAndClips) {
  auto page = ReadViewPage(files_, *ParseLineRange("2-3"));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->pairs.size(), 2u);
  EXPECT_EQ(page->pairs[0].line, 2);
  EXPECT_EQ(page->pairs[1].line, 3);
  EXPECT_THAT(page->pairs[1].source_words, ElementsAre("f"));
  page = ReadViewPage(files_, *ParseLineRange("3-100"));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->pairs.size(), 2u);
  EXPECT_EQ(page->pairs[1].line, 4);
  EXPECT_THAT(Error(*ParseLineRange("5-9")), HasSubstr("--lines starts at line 5 but"));
  EXPECT_THAT(Error(*ParseLineRange("5-9")), HasSubstr("has 4 lines"));
}

TEST_F(ViewFilesTest, ReadsCompressedInput) {
  const std::string plain = files_.source;
  ASSERT_EQ(std::system(("gzip -k " + plain).c_str()), 0);
  files_.source = plain + ".gz";
  auto page = ReadViewPage(files_, LineRange());
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->pairs[3].source_words, ElementsAre("g", "h"));
}

TEST_F(ViewFilesTest, LineCountsMustAgree) {
  files_.target = WriteFile("t.txt", "x y\nz\nw v\n");
  EXPECT_THAT(Error(), HasSubstr("s.txt has 4 lines but "));
  EXPECT_THAT(Error(), HasSubstr("t.txt has 3"));
  // A differing count is reported rather than the links it puts out of
  // range (line 1's 1-1, with one target word): the count is the cause.
  files_.target = WriteFile("t.txt", "x\n");
  EXPECT_THAT(Error(), HasSubstr("s.txt has 4 lines but "));
  files_.target = WriteFile("t.txt", "x y\nz\nw v\nu\n");
  files_.links = WriteFile("a.txt", "0-0\n\n\n\n\n");
  EXPECT_THAT(Error(), HasSubstr("a.txt has 5"));
  // Also when the range ends before the difference.
  EXPECT_THAT(Error(*ParseLineRange("1-2")), HasSubstr("a.txt has 5"));
  files_.links = WriteFile("a.txt", "0-0\n\n\n\n");
  files_.gold = WriteFile("g.txt", "0-0\n\n\n");
  EXPECT_THAT(Error(), HasSubstr("s.txt has 4 lines but "));
  EXPECT_THAT(Error(), HasSubstr("g.txt has 3"));
  files_.gold = WriteFile("g.txt", "0-0\n\n\n\n\n");
  EXPECT_THAT(Error(), HasSubstr("g.txt has 5"));
  files_.gold.clear();
  files_.link_posteriors = WriteFile("p.txt", "1\n\n\n\n\n");
  EXPECT_THAT(Error(), HasSubstr("p.txt has 5"));
}

TEST_F(ViewFilesTest, BadLinksNameFileAndLine) {
  files_.links = WriteFile("a.txt", "0-0\n0-x\n\n\n");
  EXPECT_THAT(Error(), HasSubstr("a.txt:2: bad alignment link '0-x'"));
  files_.links = WriteFile("a.txt", "0-0\n\n1-0\n\n");  // line 3 has one source word
  EXPECT_THAT(Error(), HasSubstr("a.txt:3: alignment link 1-0 is outside the pair, which has 1 "
                                 "source and 2 target words"));
  // Lines outside --lines are not shown, but their line count still counts.
  EXPECT_EQ(Error(*ParseLineRange("1-2")), "OK");
  files_.links = WriteFile("a.txt", "0-0\n\n\n\n");
  files_.other_links = WriteFile("b.txt", "\n\n\n3-0\n");
  EXPECT_THAT(Error(), HasSubstr("b.txt:4: alignment link 3-0 is outside"));
}

TEST_F(ViewFilesTest, BadPosteriorsNameFileAndLine) {
  files_.link_posteriors = WriteFile("p.txt", "0.5 0.5\n0.5\n\n1\n");
  EXPECT_THAT(Error(), HasSubstr("p.txt:2: 1 posteriors, but the line of "));
  files_.link_posteriors = WriteFile("p.txt", "0.5 0.5\n0.5 1.5\n\n1\n");
  EXPECT_THAT(Error(), HasSubstr("p.txt:2: bad posterior '1.5'"));
  files_.link_posteriors = WriteFile("p.txt", "0.5 nan\n0.5 1\n\n1\n");
  EXPECT_THAT(Error(), HasSubstr("p.txt:1: bad posterior 'nan'"));
}

TEST_F(ViewFilesTest, BadGoldNamesFileAndLine) {
  files_.gold = WriteFile("g.txt", "0-0\n0-q\n\n\n");
  EXPECT_THAT(Error(), HasSubstr("g.txt:2:"));
  files_.gold = WriteFile("g.txt", "0-0\n\n\n1p1\n");
  EXPECT_THAT(Error(), HasSubstr("g.txt:4: gold link 1-1 is outside the pair"));
  // One-based gold shifts every position down by one.
  files_.gold = WriteFile("g.txt", "1-1\n\n\n2p1\n");
  files_.gold_options.one_based = true;
  auto page = ReadViewPage(files_, LineRange());
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->pairs[3].gold.possible, (SentenceLinks{{1, 0}}));
}

TEST_F(ViewFilesTest, MissingFileIsAnError) {
  files_.gold = Path("nonexistent.gold");
  EXPECT_THAT(Error(), HasSubstr("nonexistent.gold"));
}

// The command writes its page atomically: a bad input leaves no page.
TEST_F(ViewFilesTest, CommandWritesPageOrNothing) {
  const std::string page = Path("page.html");
  const std::string base = std::string(ALIGNER_BINARY) + " view --source " + files_.source +
                           " --target " + files_.target + " --output " + page;
  ASSERT_EQ(std::system((base + " -a " + files_.links + " 2>/dev/null").c_str()), 0);
  EXPECT_THAT(ReadWholeFile(page), HasSubstr("<svg class=\"m\""));
  std::filesystem::remove(page);
  const std::string bad = WriteFile("bad.txt", "0-0\n9-9\n\n\n");
  const int status = std::system((base + " -a " + bad + " 2>" + Path("err.txt")).c_str());
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_THAT(ReadWholeFile(Path("err.txt")), HasSubstr("bad.txt:2: alignment link 9-9"));
  EXPECT_FALSE(std::filesystem::exists(page));
  for (const std::string& name : ListDir()) EXPECT_THAT(name, Not(HasSubstr(".tmp")));
  // --help lists only view's options.
  const std::string help = Path("help.txt");
  ASSERT_EQ(std::system((std::string(ALIGNER_BINARY) + " view --help > " + help).c_str()), 0);
  EXPECT_THAT(ReadWholeFile(help), HasSubstr("--link-posteriors"));
  EXPECT_THAT(ReadWholeFile(help), Not(HasSubstr("--iterations")));
}

}  // namespace
}  // namespace aligner
