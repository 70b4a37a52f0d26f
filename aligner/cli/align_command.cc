// `aligner align`: train on a corpus (or load a model) and write its
// alignment, with fast_align's flags.
#include "aligner/cli/cli_util.h"
#include "aligner/cli/commands.h"
#include "aligner/cli/flags.h"
#include "aligner/pipeline/pipeline.h"

namespace aligner::cli {

int AlignCommand(int argc, char** argv) {
  return RunParsed("align", ParseAlign(argc, argv), RunAlign);
}

}  // namespace aligner::cli
