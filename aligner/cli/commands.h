// The subcommands of the `aligner` tool. Each parses its own options and
// calls the library; each returns the process exit code.
#ifndef ALIGNER_CLI_COMMANDS_H_
#define ALIGNER_CLI_COMMANDS_H_

namespace aligner::cli {

int AlignCommand(int argc, char** argv);
int TrainCommand(int argc, char** argv);
int SymmetricCommand(int argc, char** argv);
int SymmetrizeCommand(int argc, char** argv);
int EvaluateCommand(int argc, char** argv);
int ViewCommand(int argc, char** argv);

}  // namespace aligner::cli

#endif  // ALIGNER_CLI_COMMANDS_H_
