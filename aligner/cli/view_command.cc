// `aligner view`: write an alignment (optionally with gold, posteriors or a
// second alignment) as one self-contained HTML page.
#include <iostream>
#include <memory>
#include <string>

#include "aligner/cli/cli_util.h"
#include "aligner/cli/commands.h"
#include "aligner/cli/gold_flags.h"
#include "aligner/io/output_file.h"
#include "aligner/tools/view.h"
#include "boost/program_options.hpp"

namespace aligner::cli {

int ViewCommand(int argc, char** argv) {
  namespace po = boost::program_options;
  constexpr char kCommand[] = "view";
  ViewFiles files;
  std::string output_path, lines, title, label_a, label_b;
  GoldFlags gold_flags;
  po::options_description options("Options");
  // One option per line reads better than clang-format's chained layout.
  // clang-format off
  options.add_options()
      ("source", po::value(&files.source), "source text, one sentence per line")
      ("target", po::value(&files.target), "target text, line-parallel to the source")
      ("alignment,a", po::value(&files.links), "alignment to show (Pharaoh 'i-j', source-target)")
      ("gold,g", po::value(&files.gold),
       "gold alignment: colours links as sure, possible, wrong and missed, with AER per pair")
      ("other,b", po::value(&files.other_links),
       "a second alignment to compare with -a (e.g. reverse against forward): cells in both, "
       "only in -a, only in -b")
      ("link-posteriors", po::value(&files.link_posteriors),
       "posteriors of -a's links, as 'aligner align --link-posteriors' writes them; shades the "
       "cells")
      ("lines", po::value(&lines), "show only lines FIRST-LAST (or FIRST-, or LINE), 1-based")
      ("output", po::value(&output_path), "the HTML page to write ('-' for stdout)")
      ("title", po::value(&title), "page title (default: 'aligner view: ' and the alignment's name)")
      ("label-a", po::value(&label_a), "name of -a in the legend (default: its file name)")
      ("label-b", po::value(&label_b), "name of -b in the legend (default: its file name)");
  // clang-format on
  AddGoldFlags(&gold_flags, &options);
  options.add_options()("help,h", "show this help");
  po::variables_map vm;
  if (!ParseOptions(kCommand, argc, argv, options, &vm)) return 2;
  if (vm.count("help")) {
    std::cout << "usage: aligner view --source S --target T -a LINKS [-g GOLD] [-b LINKS2]\n"
                 "                    [--link-posteriors P] [--lines 1-50] --output page.html\n\n"
                 "Writes one self-contained HTML page (nothing is fetched from the network):\n"
                 "per sentence pair the alignment matrix with the words on both axes, and a\n"
                 "list of the pairs, worst AER first when there is a gold alignment.\n\n"
              << options << "\n";
    return 0;
  }
  if (files.source.empty() || files.target.empty() || files.links.empty()) {
    return UsageError(kCommand, "give --source, --target and -a ALIGNMENT");
  }
  if (output_path.empty()) return UsageError(kCommand, "give --output page.html");
  LineRange range;
  if (!lines.empty()) {
    auto parsed = ParseLineRange(lines);
    if (!parsed.ok()) return UsageError(kCommand, std::string(parsed.status().message()));
    range = *parsed;
  }
  if (absl::Status s = ApplyGoldFlags(gold_flags, &files.gold_format, &files.gold_options);
      !s.ok()) {
    return UsageError(kCommand, std::string(s.message()));
  }

  auto page = ReadViewPage(files, range);
  if (!page.ok()) return Fail(kCommand, page.status());
  // Every matrix is in the page, so a whole corpus makes a page no browser
  // opens in reasonable time (515 pairs: 3.8 MB, 4 s to render).
  constexpr size_t kLargePage = 5000;
  if (page->pairs.size() > kLargePage) {
    Log(kCommand, "warning: %d pairs make a large, slow page; --lines picks a range",
        page->pairs.size());
  }
  auto base_name = [](const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
  };
  page->links_label = label_a.empty() ? base_name(files.links) : label_a;
  page->other_label = label_b.empty() ? base_name(files.other_links) : label_b;
  if (page->has_other && page->links_label == page->other_label) {
    page->links_label = "A";
    page->other_label = "B";
  }
  page->title = title.empty() ? "aligner view: " + page->links_label : title;
  page->inputs = {{"source", files.source}, {"target", files.target}, {"alignment", files.links}};
  if (page->has_other) page->inputs.push_back({"compared with", files.other_links});
  if (page->has_gold) page->inputs.push_back({"gold", files.gold});
  if (page->has_posteriors) page->inputs.push_back({"posteriors", files.link_posteriors});
  if (!lines.empty()) page->inputs.push_back({"lines", lines});

  auto output = OutputFile::Open(output_path);
  if (!output.ok()) return Fail(kCommand, output.status());
  (*output)->Write(RenderViewPage(*page));
  if (absl::Status status = (*output)->Commit(); !status.ok()) return Fail(kCommand, status);
  return 0;
}

}  // namespace aligner::cli
