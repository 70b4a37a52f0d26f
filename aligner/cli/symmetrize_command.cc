// `aligner symmetrize`: combine a forward and a reverse alignment, with the
// flags of fast_align's atools.
#include <iostream>
#include <string>

#include "aligner/cli/cli_util.h"
#include "aligner/cli/commands.h"
#include "aligner/io/output_plan.h"
#include "aligner/tools/symmetrize.h"
#include "boost/program_options.hpp"

namespace aligner::cli {

int SymmetrizeCommand(int argc, char** argv) {
  namespace po = boost::program_options;
  constexpr char kCommand[] = "symmetrize";
  std::string forward, reverse, heuristic = "grow-diag-final-and", output = "-";
  po::options_description options("Options");
  options.add_options()("input,i", po::value(&forward),
                        "forward alignment (Pharaoh, source-target)")(
      "input2,j", po::value(&reverse),
      "reverse alignment (Pharaoh, also source-target, as 'align -r' writes it)")(
      "command,c", po::value(&heuristic)->default_value(heuristic),
      "intersect, union, grow-diag, grow-diag-final or grow-diag-final-and")(
      "output", po::value(&output)->default_value("-"), "output file; '-' for stdout")(
      "help,h", "show this help");
  po::variables_map vm;
  if (!ParseOptions(kCommand, argc, argv, options, &vm)) return 2;
  if (vm.count("help")) {
    std::cout << "usage: aligner symmetrize -i FORWARD -j REVERSE [-c HEURISTIC] > OUTPUT\n\n"
                 "Combines two directions of word alignment as Moses and fast_align's atools "
                 "do (Koehn et al. 2003).\n\n"
              << options << "\n";
    return 0;
  }
  if (!vm.count("input") || !vm.count("input2")) {
    return UsageError(kCommand, "give both -i FORWARD and -j REVERSE");
  }
  // `-i - -j -` would read stdin twice, `--output f` with `-i f` destroy f.
  if (absl::Status s = CheckRunPaths({{"-i", forward, PathRole::kInput},
                                      {"-j", reverse, PathRole::kInput},
                                      {"--output", output, PathRole::kOutput}});
      !s.ok()) {
    return UsageError(kCommand, std::string(s.message()));
  }
  auto parsed = ParseHeuristic(heuristic);
  if (!parsed.ok()) return UsageError(kCommand, std::string(parsed.status().message()));
  if (absl::Status s = SymmetrizeFiles(forward, reverse, *parsed, output); !s.ok()) {
    return Fail(kCommand, s);
  }
  return 0;
}

}  // namespace aligner::cli
