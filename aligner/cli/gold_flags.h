// The options that say how to read a gold alignment, shared by `evaluate`
// and `view`.
#ifndef ALIGNER_CLI_GOLD_FLAGS_H_
#define ALIGNER_CLI_GOLD_FLAGS_H_

#include <string>

#include "absl/status/status.h"
#include "aligner/io/gold.h"
#include "boost/program_options.hpp"

namespace aligner::cli {

struct GoldFlags {
  std::string format = "pharaoh";
  bool reverse = false;
  bool one_based = false;
};

// --gold-format, --reverse-gold and --one-based, bound to `flags`.
void AddGoldFlags(GoldFlags* flags, boost::program_options::options_description* options);

// The reader's format and options from the flags; a usage error for an
// unknown format.
absl::Status ApplyGoldFlags(const GoldFlags& flags, GoldFormat* format, GoldOptions* options);

}  // namespace aligner::cli

#endif  // ALIGNER_CLI_GOLD_FLAGS_H_
