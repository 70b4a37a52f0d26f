// Checks a run's input and output paths together, before any work: the one
// place that refuses path mistakes which would otherwise lose data (an output
// written over an input, two outputs sharing one file, several outputs
// interleaved on stdout, stdin read twice, an empty path).
#ifndef ALIGNER_IO_OUTPUT_PLAN_H_
#define ALIGNER_IO_OUTPUT_PLAN_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace aligner {

enum class PathRole {
  kInput,           // read; "-" is stdin; std::nullopt: the flag was not given
  kOutput,          // written; "-" is stdout; must be given
  kOptionalOutput,  // written if given; std::nullopt: not requested
};

// One path of a run, under the flag that named it (as the user typed it, e.g.
// "--giza-a3", so that messages point at the command line).
struct NamedPath {
  std::string flag;
  std::optional<std::string> path;  // std::nullopt: the flag was not given
  PathRole role = PathRole::kInput;
};

struct OutputPlanOptions {
  // Pairs {input flag, output flag} allowed to name one file: the input is
  // read completely before the output replaces it (--resume F --checkpoint F).
  std::vector<std::pair<std::string, std::string>> output_may_replace_input;
};

// Resolves every path (realpath of an existing file, following symlinks; of
// the parent directory for a new one; hard links compared by device and
// inode) and returns InvalidArgument, naming both flags and the path, for:
// an empty path; two outputs on one file; more than one output on stdout; an
// output that is one of the inputs; two inputs both stdin; an output whose
// directory is missing or not writable, or that is a directory or a
// read-only file. Device outputs such as /dev/null may be shared. Reads
// nothing and creates nothing. Inputs that do not exist are left to their
// readers, which name them.
absl::Status CheckRunPaths(const std::vector<NamedPath>& paths,
                           const OutputPlanOptions& options = {});

}  // namespace aligner

#endif  // ALIGNER_IO_OUTPUT_PLAN_H_
