// Output files that appear under their final name only once complete.
#ifndef ALIGNER_IO_OUTPUT_FILE_H_
#define ALIGNER_IO_OUTPUT_FILE_H_

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace aligner {

// Writes to "<target>.tmp.<pid>" beside the destination and renames it over
// the target in Commit(), so a crash, an error or Ctrl-C never leaves a file
// that looks complete. "-" writes to stdout; an existing path that is not a
// regular file (/dev/null, /dev/full, a FIFO) is written in place. A file
// destroyed without Commit() is removed.
//
// The target is the file `path` leads to: a symlink is followed (and stays a
// link to the new content), and a file that already exists keeps its
// permission bits; a new file gets 0666 less the umask. Opening also removes
// the temporaries "<target>.tmp.<pid>" that a killed run left, when no
// process <pid> is alive.
class OutputFile {
 public:
  static absl::StatusOr<std::unique_ptr<OutputFile>> Open(const std::string& path);
  ~OutputFile();

  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void Write(std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) write_failed_ = true;
  }

  // Flushes, checks every write (a full disk shows up here), and moves the
  // file to its final name.
  absl::Status Commit();

  const std::string& path() const { return path_; }

 private:
  OutputFile(std::string path, std::string target, std::string temp_path, std::FILE* file);

  std::string path_;       // as given, for messages
  std::string target_;     // the file renamed over: `path` with symlinks followed
  std::string temp_path_;  // empty for stdout
  std::FILE* file_;
  bool write_failed_ = false;
  bool committed_ = false;
};

// The file that writing `path` should replace: symlinks in its last
// component followed (a dangling link leads to the file it names), the
// directory made absolute by realpath. Errors name the missing directory or
// a symlink loop. "-" is returned as is.
absl::StatusOr<std::string> ResolveOutputTarget(const std::string& path);

// Removes "<target>.tmp.<pid>" files beside `target` whose process <pid> is
// no longer alive (left by a run killed with SIGKILL or a power cut); returns
// how many it removed. Files of live processes, and any other name, are left.
// (A process in another PID namespace writing to the same directory, e.g. in
// another container, looks dead here.)
int RemoveStaleTemporaries(const std::string& target);

// Removes every temporary file still open; safe to call from a signal handler
// installed by the command-line tool.
void RemovePendingOutputFiles();

}  // namespace aligner

#endif  // ALIGNER_IO_OUTPUT_FILE_H_
