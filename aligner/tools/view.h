// `aligner view`: an alignment as one self-contained HTML page. Per sentence
// pair the page draws the alignment matrix (source words as rows, target
// words as columns) and colours each cell by what it is: a link, a link
// checked against gold (sure, possible, wrong, missed), or a link of one of
// two compared alignments (only A, only B, both); link posteriors shade the
// cells. A side list orders the pairs by AER, worst first.
//
// The page is built from in-memory data (ViewPage) so that it can be tested
// without files; ReadViewPage() fills a ViewPage from the files the command
// line names, checking them line by line.
#ifndef ALIGNER_TOOLS_VIEW_H_
#define ALIGNER_TOOLS_VIEW_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "aligner/base/types.h"
#include "aligner/io/gold.h"
#include "aligner/tools/evaluate.h"

namespace aligner {

// One sentence pair as the viewer shows it.
struct ViewPair {
  int64_t line = 0;  // 1-based line number in the input files
  std::vector<std::string> source_words;
  std::vector<std::string> target_words;
  SentenceLinks links;  // the alignment (-a), in file order
  // Empty, or one posterior per entry of `links` (the file `aligner align
  // --link-posteriors` writes).
  std::vector<double> link_posteriors;
  SentenceLinks other_links;  // the second alignment (-b), when ViewPage::has_other
  GoldAlignment gold;         // when ViewPage::has_gold
};

struct ViewPage {
  std::string title = "aligner view";
  // Shown in the page header as "name: value", e.g. {"source", "corpus.cs"}.
  std::vector<std::pair<std::string, std::string>> inputs;
  std::string links_label = "A";  // names of the two alignments in the legend
  std::string other_label = "B";
  bool has_gold = false;
  bool has_other = false;
  bool has_posteriors = false;
  std::vector<ViewPair> pairs;
};

// What a matrix cell shows. Each kind is also the cell's CSS class.
enum class CellKind {
  kLink,            // a link, no gold and no second alignment
  kSure,            // with gold: a predicted link that is sure
  kPossible,        // with gold: a predicted link that is possible (not sure)
  kWrong,           // with gold: a predicted link outside sure and possible
  kMissed,          // with gold: a sure link that was not predicted
  kPossibleUnused,  // with gold: a possible-only link not predicted (no AER cost)
  kOnlyA,           // with -b: a link of the first alignment only
  kOnlyB,           // with -b: a link of the second alignment only
  kBoth,            // with -b: a link of both
};

// "link", "sure", "possible", "wrong", "missed", "possible-unused", "only-a",
// "only-b", "both".
const char* CellKindName(CellKind kind);

struct ViewCell {
  uint32_t source = 0;
  uint32_t target = 0;
  CellKind kind = CellKind::kLink;
  // The first alignment's posterior for this link (the largest, if the link
  // is listed twice), when the page has posteriors and the cell is one of its
  // links; otherwise unset.
  std::optional<double> posterior;
  // With both gold and -b, the cells keep the A/B/both kinds and carry the
  // gold here (drawn as a ring around the cell); a gold link that neither
  // alignment has is a cell of its own with kind kMissed or kPossibleUnused.
  bool gold_sure = false;
  bool gold_possible = false;
};

// The non-empty cells of a pair's matrix, sorted by (source, target), one per
// cell: duplicate links are drawn once.
std::vector<ViewCell> ClassifyCells(const ViewPage& page, const ViewPair& pair);

// The pair's scores against its gold; `other` scores the -b alignment.
AlignmentScores PairScores(const ViewPair& pair, bool other = false);

// AER of a pair, or nullopt when it has neither predicted nor sure links
// (AER is then undefined; evaluate's convention of 1 would put such pairs
// first in the worst-first list).
std::optional<double> PairAer(const ViewPair& pair, bool other = false);

// The order of the side list: by AER of the first alignment, worst first
// (pairs without AER last), ties by line; by line without gold. Indices into
// page.pairs.
std::vector<size_t> WorstFirstOrder(const ViewPage& page);

// Text made safe for HTML element content and quoted attribute values: & < >
// " ' become entities, and control characters (which HTML forbids) U+FFFD.
std::string HtmlEscape(std::string_view text);

// The whole page: HTML with its CSS, SVG and script inline; it fetches
// nothing.
std::string RenderViewPage(const ViewPage& page);

// --lines: "A-B", "A-" (to the end) or "A", 1-based and inclusive.
struct LineRange {
  int64_t first = 1;
  int64_t last = std::numeric_limits<int64_t>::max();
};
absl::StatusOr<LineRange> ParseLineRange(std::string_view text);

// The files ReadViewPage() reads; empty optional ones are not used. Any file
// may be gzip- or zstd-compressed, or "-" (stdin) for one of them.
struct ViewFiles {
  std::string source;
  std::string target;
  std::string links;
  std::string other_links;
  std::string gold;
  std::string link_posteriors;
  GoldFormat gold_format = GoldFormat::kPharaohSurePossible;
  GoldOptions gold_options;
};

// Reads the pairs in `range` from the files. All files must have the same
// number of lines (a naacl gold file may name fewer sentences); every link
// must lie inside its pair's words, every posterior line must have one value
// in [0, 1] per link. Errors name the file and line ("file:line: message").
// A range past the last line is an error; a range end past it is clipped.
absl::StatusOr<ViewPage> ReadViewPage(const ViewFiles& files, const LineRange& range);

}  // namespace aligner

#endif  // ALIGNER_TOOLS_VIEW_H_
