// Reading text input line by line from plain, gzip or zstd files, or stdin.
#ifndef ALIGNER_IO_INPUT_FILE_H_
#define ALIGNER_IO_INPUT_FILE_H_

#include <cstdint>
#include <istream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace aligner {

// Reads lines from a file, or from stdin when the path is "-". Compression is
// detected from the first bytes (gzip and zstd magic numbers), not from the
// file name, so `corpus.txt` that is really gzip still reads correctly.
class LineReader {
 public:
  static absl::StatusOr<std::unique_ptr<LineReader>> Open(const std::string& path);
  ~LineReader();

  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Reads the next line into `line`, without its "\n" or "\r\n". Returns false
  // at the end of the input or on a read error; then status() tells which.
  // A final line without a newline is still returned.
  bool Next(std::string* line);

  // OK at a clean end of input; otherwise an error that names the file and
  // the line where reading failed (for example a truncated gzip stream).
  absl::Status status() const { return status_; }

  // 1-based number of the line last returned by Next().
  int64_t line_number() const { return line_number_; }
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  LineReader(std::string path, std::unique_ptr<Impl> impl);

  std::string path_;
  std::unique_ptr<Impl> impl_;
  int64_t line_number_ = 0;
  absl::Status status_;
};

// "file:line: message", the form every input error takes.
std::string FileLineMessage(const std::string& path, int64_t line, const std::string& message);

}  // namespace aligner

#endif  // ALIGNER_IO_INPUT_FILE_H_
