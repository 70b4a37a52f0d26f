// aligner: unsupervised word alignment for machine translation.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "aligner/base/huge_pages.h"
#include "aligner/cli/commands.h"
#include "aligner/io/output_file.h"
#include "aligner/version.h"

namespace {

constexpr char kUsage[] =
    "usage: aligner <command> [options]\n"
    "\n"
    "Commands:\n"
    "  align       train on a parallel corpus and write its word alignment\n"
    "              (fast_align's flags: aligner align -i corpus -d -o -v [-r])\n"
    "  train       train a model and save it (align new text with align --load-model)\n"
    "  symmetric   train both directions at once and write forward, reverse and\n"
    "              symmetrized alignments\n"
    "  symmetrize  combine forward and reverse alignments (atools' flags)\n"
    "  evaluate    score an alignment against a gold alignment (AER, P, R, F1)\n"
    "  view        write an alignment as an HTML page (matrices, gold, comparison)\n"
    "\n"
    "Run 'aligner <command> --help' for the options of a command, 'aligner --version' for\n"
    "the version.\n";

// On Ctrl-C or termination, remove half-written outputs, then die as the
// signal would have killed us.
void OnFatalSignal(int signal) {
  aligner::RemovePendingOutputFiles();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  if (command == "--version" || command == "-V") {
    std::printf("aligner %s\n", aligner::kVersion);
    return 0;
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  aligner::MapLargeBlocksOnTheirOwn();
  std::signal(SIGINT, OnFatalSignal);
  std::signal(SIGTERM, OnFatalSignal);
  std::signal(SIGHUP, OnFatalSignal);
  // Subcommands see their own name as argv[0].
  if (command == "align") return aligner::cli::AlignCommand(argc - 1, argv + 1);
  if (command == "train") return aligner::cli::TrainCommand(argc - 1, argv + 1);
  if (command == "symmetric") return aligner::cli::SymmetricCommand(argc - 1, argv + 1);
  if (command == "symmetrize") return aligner::cli::SymmetrizeCommand(argc - 1, argv + 1);
  if (command == "evaluate") return aligner::cli::EvaluateCommand(argc - 1, argv + 1);
  if (command == "view") return aligner::cli::ViewCommand(argc - 1, argv + 1);
  std::fprintf(stderr, "aligner: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
