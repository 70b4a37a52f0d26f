#include "aligner/cli/gold_flags.h"

namespace aligner::cli {

void AddGoldFlags(GoldFlags* flags, boost::program_options::options_description* options) {
  namespace po = boost::program_options;
  options->add_options()(
      "gold-format", po::value(&flags->format)->default_value(flags->format),
      "pharaoh: one line per pair, 'i-j' sure and 'ipj' possible links; naacl: the NAACL "
      "2003 shared-task lines 'sentence i j [S|P]', 1-based")(
      "reverse-gold", po::bool_switch(&flags->reverse),
      "the gold's first index is the alignment's target side")(
      "one-based", po::bool_switch(&flags->one_based), "pharaoh gold links are 1-based");
}

absl::Status ApplyGoldFlags(const GoldFlags& flags, GoldFormat* format, GoldOptions* options) {
  if (flags.format == "pharaoh") {
    *format = GoldFormat::kPharaohSurePossible;
  } else if (flags.format == "naacl") {
    *format = GoldFormat::kNaacl;
  } else {
    return absl::InvalidArgumentError("--gold-format must be pharaoh or naacl");
  }
  options->reverse = flags.reverse;
  options->one_based = flags.one_based;
  return absl::OkStatus();
}

}  // namespace aligner::cli
