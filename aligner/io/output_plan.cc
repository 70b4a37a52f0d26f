#include "aligner/io/output_plan.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "aligner/io/output_file.h"

namespace aligner {
namespace {

// What a path turned out to be once resolved.
struct ResolvedPath {
  const NamedPath* named = nullptr;
  bool stdio = false;   // "-"
  bool exists = false;  // stat succeeded (for stdio: fstat of fd 0 or 1)
  struct stat info {};
  std::string real;  // absolute, links followed; "" for stdio
};

bool IsOutput(PathRole role) { return role != PathRole::kInput; }

std::string Quoted(const std::string& path) { return absl::StrCat("'", path, "'"); }

// Outputs that may share a file: the null device discards whatever anyone
// writes.
bool IsNullDevice(const struct stat& info) {
  struct stat null_info;
  return S_ISCHR(info.st_mode) && ::stat("/dev/null", &null_info) == 0 &&
         info.st_rdev == null_info.st_rdev;
}

bool SameFile(const ResolvedPath& a, const ResolvedPath& b) {
  if (a.exists && b.exists) {
    return a.info.st_dev == b.info.st_dev && a.info.st_ino == b.info.st_ino;
  }
  // A file to be created is identified by its resolved name.
  return !a.exists && !b.exists && !a.stdio && !b.stdio && a.real == b.real;
}

std::string Describe(const ResolvedPath& p) {
  return absl::StrCat(p.named->flag, " ", Quoted(*p.named->path));
}

// "--output and --giza-a3 both name 'x'" when typed alike, else both paths
// and the file they resolve to.
std::string SameFileMessage(const ResolvedPath& a, const ResolvedPath& b) {
  if (*a.named->path == *b.named->path) {
    return absl::StrCat(a.named->flag, " and ", b.named->flag, " both name ",
                        Quoted(*a.named->path));
  }
  std::string where = a.real.empty() ? b.real : a.real;
  return absl::StrCat(Describe(a), " and ", Describe(b), " are the same file",
                      where.empty() ? "" : absl::StrCat(" (", where, ")"));
}

absl::Status ResolveInput(ResolvedPath* p) {
  const std::string& path = *p->named->path;
  if (path == "-") {
    p->stdio = true;
    p->exists = ::fstat(STDIN_FILENO, &p->info) == 0;
    return absl::OkStatus();
  }
  // A missing or unreadable input is its reader's to report, with its name.
  p->exists = ::stat(path.c_str(), &p->info) == 0;
  if (p->exists) {
    char* real = ::realpath(path.c_str(), nullptr);
    if (real != nullptr) {
      p->real = real;
      std::free(real);
    }
  }
  return absl::OkStatus();
}

std::string Directory(const std::string& resolved) {
  const size_t slash = resolved.rfind('/');
  return slash == 0 ? "/" : resolved.substr(0, slash);
}

absl::Status ResolveOutput(ResolvedPath* p) {
  const std::string& path = *p->named->path;
  const std::string& flag = p->named->flag;
  if (path == "-") {
    p->stdio = true;
    p->exists = ::fstat(STDOUT_FILENO, &p->info) == 0;
    return absl::OkStatus();
  }
  // A device, FIFO or pipe (/dev/null, /dev/stdout) is written in place;
  // stat() follows /proc's links to pipes, which have no name to resolve.
  if (::stat(path.c_str(), &p->info) == 0 && !S_ISREG(p->info.st_mode) &&
      !S_ISDIR(p->info.st_mode)) {
    p->exists = true;
    p->real = path;
    if (::access(path.c_str(), W_OK) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot write ", Quoted(path), " (", flag, "): ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> target = ResolveOutputTarget(path);
  if (!target.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", Quoted(path), ": ", target.status().message()));
  }
  p->real = *target;
  p->exists = ::stat(p->real.c_str(), &p->info) == 0;
  if (p->exists && S_ISDIR(p->info.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", Quoted(path), " is a directory; give a file name"));
  }
  if (p->exists && !S_ISREG(p->info.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", Quoted(path), " is not a regular file"));
  }
  if (p->exists && ::access(p->real.c_str(), W_OK) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", Quoted(path), " is not writable (",
                                                   std::strerror(errno), "); not replacing it"));
  }
  // The output is written to a temporary file beside it and renamed.
  const std::string directory = Directory(p->real);
  if (::access(directory.c_str(), W_OK | X_OK) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot write ", Quoted(path), " (", flag,
                                                   "): directory ", Quoted(directory), ": ",
                                                   std::strerror(errno)));
  }
  return absl::OkStatus();
}

bool MayReplace(const OutputPlanOptions& options, const NamedPath& input, const NamedPath& output) {
  for (const auto& [input_flag, output_flag] : options.output_may_replace_input) {
    if (input_flag == input.flag && output_flag == output.flag) return true;
  }
  return false;
}

}  // namespace

absl::Status CheckRunPaths(const std::vector<NamedPath>& paths, const OutputPlanOptions& options) {
  std::vector<ResolvedPath> inputs, outputs;
  for (const NamedPath& named : paths) {
    if (!named.path.has_value()) {
      if (named.role == PathRole::kOutput) {
        return absl::InvalidArgumentError(absl::StrCat(named.flag, " needs a path"));
      }
      continue;
    }
    if (named.path->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(named.flag, " was given an empty path; give a file name, or '-' for ",
                       IsOutput(named.role) ? "stdout" : "stdin"));
    }
    ResolvedPath resolved;
    resolved.named = &named;
    (IsOutput(named.role) ? outputs : inputs).push_back(resolved);
  }

  // stdin can be read once, stdout can carry one output: checked before
  // anything touches the file system.
  for (size_t a = 0; a < inputs.size(); ++a) {
    for (size_t b = a + 1; b < inputs.size(); ++b) {
      if (*inputs[a].named->path == "-" && *inputs[b].named->path == "-") {
        return absl::InvalidArgumentError(
            absl::StrCat(inputs[a].named->flag, " and ", inputs[b].named->flag,
                         " both read stdin ('-'); stdin can be read only once, so give at "
                         "least one of them a file"));
      }
    }
  }
  for (size_t a = 0; a < outputs.size(); ++a) {
    for (size_t b = a + 1; b < outputs.size(); ++b) {
      if (*outputs[a].named->path == "-" && *outputs[b].named->path == "-") {
        return absl::InvalidArgumentError(
            absl::StrCat(outputs[a].named->flag, " and ", outputs[b].named->flag,
                         " both write to stdout ('-'); only one output can go to stdout"));
      }
    }
  }

  for (ResolvedPath& p : inputs) {
    if (absl::Status s = ResolveInput(&p); !s.ok()) return s;
  }
  for (ResolvedPath& p : outputs) {
    if (absl::Status s = ResolveOutput(&p); !s.ok()) return s;
  }

  for (size_t a = 0; a < outputs.size(); ++a) {
    for (size_t b = a + 1; b < outputs.size(); ++b) {
      if (!SameFile(outputs[a], outputs[b])) continue;
      if (outputs[a].exists && IsNullDevice(outputs[a].info)) continue;
      return absl::InvalidArgumentError(absl::StrCat(SameFileMessage(outputs[a], outputs[b]),
                                                     "; each output needs a file of its own"));
    }
  }
  for (const ResolvedPath& out : outputs) {
    for (const ResolvedPath& in : inputs) {
      // Only a regular file can be clobbered; a terminal is often both stdin
      // and stdout.
      if (!in.exists || !out.exists || !S_ISREG(in.info.st_mode) || !SameFile(in, out)) continue;
      if (MayReplace(options, *in.named, *out.named)) continue;
      const std::string where = out.real.empty() ? in.real : out.real;
      return absl::InvalidArgumentError(
          absl::StrCat("the output ", Describe(out), " is the input ", Describe(in),
                       *out.named->path == *in.named->path || where.empty()
                           ? ""
                           : absl::StrCat(" (both are ", where, ")"),
                       "; writing it would destroy the input"));
    }
  }
  return absl::OkStatus();
}

}  // namespace aligner
