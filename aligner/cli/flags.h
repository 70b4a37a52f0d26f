// Command-line options bound straight onto the pipeline's options structs:
// every default the help shows is the struct's own, so a default exists in
// one place. Shared by the `aligner` tool, the MPI driver and the tests.
#ifndef ALIGNER_CLI_FLAGS_H_
#define ALIGNER_CLI_FLAGS_H_

#include <string>

#include "absl/status/status.h"
#include "aligner/pipeline/pipeline.h"

namespace aligner::cli {

// What parsing one command's arguments gave: the options to run with, the
// help text when --help was asked for, or a usage error.
template <typename Options>
struct Parsed {
  Options options;
  bool help = false;
  std::string help_text;
  bool quiet = false;   // --quiet: warnings only on stderr
  absl::Status status;  // not OK: a usage error
};

// argv[0] is the command's name ("align", ...). The command line, joined, is
// recorded as the options' command_line.
Parsed<AlignOptions> ParseAlign(int argc, char** argv);
Parsed<AlignOptions> ParseTrain(int argc, char** argv);
Parsed<SymmetricOptions> ParseSymmetric(int argc, char** argv);

// `train`'s and `symmetric`'s options for a front end that holds the
// sentences and returns the links itself (the Python module): the same
// names, defaults and messages, checked by ValidateAlignSettings and
// ValidateSymmetricSettings; an option naming a file or an output format
// (--input, --output, --model-file, --prefix, ...) is refused.
Parsed<AlignOptions> ParseTrainSettings(int argc, char** argv);
Parsed<SymmetricOptions> ParseSymmetricSettings(int argc, char** argv);

// The options `train` runs with when given none but the corpus and the model
// file: AlignOptions' own, except that it writes no links unless --output
// asks for them.
AlignOptions TrainDefaults();

}  // namespace aligner::cli

#endif  // ALIGNER_CLI_FLAGS_H_
