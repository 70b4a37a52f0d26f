// Small helpers shared by the subcommands.
#ifndef ALIGNER_CLI_CLI_UTIL_H_
#define ALIGNER_CLI_CLI_UTIL_H_

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aligner/base/progress.h"
#include "aligner/cli/flags.h"
#include "aligner/pipeline/pipeline.h"
#include "boost/program_options.hpp"

namespace aligner::cli {

// Prints "aligner <command>: <message>" on stderr.
template <typename... Args>
void Log(const char* command, const absl::FormatSpec<Args...>& format, const Args&... args) {
  std::fprintf(stderr, "aligner %s: %s\n", command, absl::StrFormat(format, args...).c_str());
}

// Prints an error and returns the exit code for it.
inline int Fail(const char* command, const absl::Status& status) {
  std::fprintf(stderr, "aligner %s: error: %s\n", command, std::string(status.message()).c_str());
  return 1;
}

// Exit code for bad usage, after printing the reason.
inline int UsageError(const char* command, const std::string& message) {
  std::fprintf(stderr, "aligner %s: %s\nRun 'aligner %s --help' for the options.\n", command,
               message.c_str(), command);
  return 2;
}

// Parses argv into `vm`; on a bad option prints why and returns false.
inline bool ParseOptions(const char* command, int argc, char** argv,
                         const boost::program_options::options_description& options,
                         boost::program_options::variables_map* vm) {
  namespace po = boost::program_options;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).run(), *vm);
    po::notify(*vm);
  } catch (const po::error& e) {
    UsageError(command, e.what());
    return false;
  }
  return true;
}

// The columns of the terminal on stderr; 0 when unknown.
inline size_t TerminalColumns() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 0;
}

// Runs a parsed command: prints its help, or its usage error (exit 2), or
// runs it with progress on stderr ("aligner <command>: ..."; --quiet keeps
// only warnings) and returns 0, or 1 after printing its error. When stderr
// is a terminal, the E-steps and decoding passes also show their progress on
// a status line redrawn in place (a log file or a pipe gets only the lines).
template <typename Options, typename RunFn>
int RunParsed(const char* command, const Parsed<Options>& parsed, RunFn run) {
  if (parsed.help) {
    std::cout << parsed.help_text;
    return 0;
  }
  if (!parsed.status.ok()) return UsageError(command, std::string(parsed.status.message()));
  const bool quiet = parsed.quiet;
  Options options = parsed.options;
  std::unique_ptr<ProgressLine> status_line;
  if (!quiet && ::isatty(STDERR_FILENO)) {
    status_line = std::make_unique<ProgressLine>(
        [](std::string_view text) {
          std::fwrite(text.data(), 1, text.size(), stderr);
          std::fflush(stderr);
        },
        absl::StrCat("aligner ", command, ": "), TerminalColumns());
    options.progress = status_line->callback();
  }
  const Logger log = [command, quiet, &status_line](const std::string& line) {
    if (quiet && line.rfind("warning: ", 0) != 0) return;
    if (status_line) {
      status_line->PrintLine(absl::StrCat("aligner ", command, ": ", line));
    } else {
      Log(command, "%s", line);
    }
  };
  WarnIfThreadsExceedCpus(options.threads, log);
  const absl::Status status = run(options, log);
  if (status_line) status_line->Clear();
  return status.ok() ? 0 : Fail(command, status);
}

class Stopwatch {
 public:
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace aligner::cli

#endif  // ALIGNER_CLI_CLI_UTIL_H_
