// `aligner train`: train a model and save it, for `align --load-model`.
#include "aligner/cli/cli_util.h"
#include "aligner/cli/commands.h"
#include "aligner/cli/flags.h"
#include "aligner/pipeline/pipeline.h"

namespace aligner::cli {

int TrainCommand(int argc, char** argv) {
  return RunParsed("train", ParseTrain(argc, argv), RunAlign);
}

}  // namespace aligner::cli
