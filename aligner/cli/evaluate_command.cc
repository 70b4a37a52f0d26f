// `aligner evaluate`: score an alignment against a human gold alignment.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "aligner/cli/cli_util.h"
#include "aligner/cli/commands.h"
#include "aligner/cli/gold_flags.h"
#include "aligner/io/gold.h"
#include "aligner/io/output_plan.h"
#include "aligner/io/pharaoh.h"
#include "aligner/tools/evaluate.h"
#include "boost/program_options.hpp"

namespace aligner::cli {

int EvaluateCommand(int argc, char** argv) {
  namespace po = boost::program_options;
  constexpr char kCommand[] = "evaluate";
  std::string alignment_path, gold_path;
  GoldFlags gold_flags;
  bool zero_based = false;
  int64_t offset = -1;
  po::options_description options("Options");
  options.add_options()("alignment,a", po::value(&alignment_path),
                        "alignment to score (Pharaoh 'i-j')")("gold,g", po::value(&gold_path),
                                                              "gold alignment");
  AddGoldFlags(&gold_flags, &options);
  options.add_options()(
      "zero-based", po::bool_switch(&zero_based),
      "pharaoh gold links are 0-based even though none has position 0 (without it such a "
      "gold is refused as looking 1-based when the alignment has position 0)")(
      "offset", po::value(&offset),
      "score alignment lines offset+1 .. offset+n against the n gold lines (for a corpus "
      "trained with the test pairs first or last); without it the line counts must match")(
      "help,h", "show this help");
  po::variables_map vm;
  if (!ParseOptions(kCommand, argc, argv, options, &vm)) return 2;
  if (vm.count("help")) {
    std::cout << "usage: aligner evaluate -a ALIGNMENT -g GOLD [options]\n\n"
                 "Prints AER (Och and Ney 2003), precision, recall and F1.\n\n"
              << options << "\n";
    return 0;
  }
  if (!vm.count("alignment") || !vm.count("gold")) {
    return UsageError(kCommand, "give both -a ALIGNMENT and -g GOLD");
  }
  // `-a - -g -` would read stdin twice.
  if (absl::Status s = CheckRunPaths(
          {{"-a", alignment_path, PathRole::kInput}, {"-g", gold_path, PathRole::kInput}});
      !s.ok()) {
    return UsageError(kCommand, std::string(s.message()));
  }
  if (gold_flags.one_based && zero_based)
    return UsageError(kCommand, "give --one-based or --zero-based, not both");
  GoldFormat format;
  GoldOptions gold_options;
  if (absl::Status s = ApplyGoldFlags(gold_flags, &format, &gold_options); !s.ok()) {
    return UsageError(kCommand, std::string(s.message()));
  }
  auto predicted = ReadPharaohFile(alignment_path);
  if (!predicted.ok()) return Fail(kCommand, predicted.status());
  auto gold = ReadGoldFile(gold_path, format, gold_options, offset >= 0 ? 0 : predicted->size());
  if (!gold.ok()) return Fail(kCommand, gold.status());
  if (offset >= 0) {
    if (static_cast<size_t>(offset) + gold->size() > predicted->size()) {
      return Fail(kCommand, absl::InvalidArgumentError(absl::StrFormat(
                                "%s has %d lines, fewer than --offset %d plus the %d gold lines",
                                alignment_path, predicted->size(), offset, gold->size())));
    }
    predicted->erase(predicted->begin(), predicted->begin() + offset);
    predicted->resize(gold->size());
  } else if (predicted->size() != gold->size()) {
    return Fail(kCommand, absl::InvalidArgumentError(absl::StrFormat(
                              "%s has %d lines but %s has %d (use --offset to score a slice)",
                              alignment_path, predicted->size(), gold_path, gold->size())));
  }
  if (format == GoldFormat::kPharaohSurePossible && !gold_flags.one_based && !zero_based) {
    if (absl::Status s = CheckGoldLooksZeroBased(*gold, *predicted, gold_path); !s.ok()) {
      return UsageError(kCommand, std::string(s.message()));
    }
  }
  auto scores = Evaluate(*predicted, *gold);
  if (!scores.ok()) return Fail(kCommand, scores.status());
  std::cout << absl::StrFormat(
      "AER %.4f  precision %.4f  recall %.4f  F1 %.4f  (links %d, sure %d, possible %d)\n",
      scores->aer(), scores->precision(), scores->recall(), scores->f1(), scores->predicted,
      scores->sure, scores->possible);
  // A full disk or closed pipe must not look like success.
  if (!std::cout.flush()) {
    return Fail(kCommand, absl::DataLossError("cannot write to stdout"));
  }
  return 0;
}

}  // namespace aligner::cli
