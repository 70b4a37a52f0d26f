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

// Writes to "<path>.tmp.<pid>" beside the destination and renames it over
// `path` in Commit(), so a crash, an error or Ctrl-C never leaves a file that
// looks complete. "-" writes to stdout; an existing path that is not a
// regular file (/dev/null, /dev/full, a FIFO) is written in place. A file
// destroyed without Commit() is removed.
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
  OutputFile(std::string path, std::string temp_path, std::FILE* file);

  std::string path_;
  std::string temp_path_;  // empty for stdout
  std::FILE* file_;
  bool write_failed_ = false;
  bool committed_ = false;
};

// Removes every temporary file still open; safe to call from a signal handler
// installed by the command-line tool.
void RemovePendingOutputFiles();

}  // namespace aligner

#endif  // ALIGNER_IO_OUTPUT_FILE_H_
