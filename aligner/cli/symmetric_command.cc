// `aligner symmetric`: both directions, their symmetrization and, by
// agreement (the default), the links both agree on.
#include "aligner/cli/cli_util.h"
#include "aligner/cli/commands.h"
#include "aligner/cli/flags.h"
#include "aligner/pipeline/pipeline.h"

namespace aligner::cli {

int SymmetricCommand(int argc, char** argv) {
  return RunParsed("symmetric", ParseSymmetric(argc, argv), RunSymmetric);
}

}  // namespace aligner::cli
