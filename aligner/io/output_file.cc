#include "aligner/io/output_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace aligner {
namespace {

// Temporary names still on disk, kept in fixed storage so that a signal
// handler can unlink them without allocating.
constexpr int kMaxPending = 64;
constexpr int kMaxPath = 4096;
std::array<std::array<char, kMaxPath>, kMaxPending> pending_names;
std::array<std::atomic<bool>, kMaxPending> pending_used;

int RegisterPending(const std::string& name) {
  if (name.size() >= kMaxPath) return -1;
  for (int k = 0; k < kMaxPending; ++k) {
    bool expected = false;
    if (pending_used[k].compare_exchange_strong(expected, true)) {
      std::memcpy(pending_names[k].data(), name.c_str(), name.size() + 1);
      return k;
    }
  }
  return -1;
}

void UnregisterPending(const std::string& name) {
  for (int k = 0; k < kMaxPending; ++k) {
    if (pending_used[k].load() && name == pending_names[k].data()) {
      pending_used[k].store(false);
      return;
    }
  }
}

}  // namespace

void RemovePendingOutputFiles() {
  for (int k = 0; k < kMaxPending; ++k) {
    if (pending_used[k].load()) ::unlink(pending_names[k].data());
  }
}

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::Open(const std::string& path) {
  if (path == "-") return std::unique_ptr<OutputFile>(new OutputFile(path, "", stdout));
  // A device or pipe (/dev/stdout, /dev/null, /dev/full, a FIFO) is written
  // directly: renaming a temporary file over it would replace it.
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
    }
    return std::unique_ptr<OutputFile>(new OutputFile(path, "", file));
  }
  std::string temp = absl::StrCat(path, ".tmp.", ::getpid());
  std::FILE* file = std::fopen(temp.c_str(), "wb");
  if (file == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  RegisterPending(temp);
  return std::unique_ptr<OutputFile>(new OutputFile(path, std::move(temp), file));
}

OutputFile::OutputFile(std::string path, std::string temp_path, std::FILE* file)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), file_(file) {
  if (!temp_path_.empty()) std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
}

OutputFile::~OutputFile() {
  if (committed_) return;
  if (temp_path_.empty()) {
    if (file_ != stdout) std::fclose(file_);
    return;
  }
  std::fclose(file_);
  ::unlink(temp_path_.c_str());
  UnregisterPending(temp_path_);
}

absl::Status OutputFile::Commit() {
  if (committed_) return absl::OkStatus();
  committed_ = true;
  const bool flush_failed = std::fflush(file_) != 0;
  const int flush_errno = errno;
  if (temp_path_.empty()) {
    const bool failed = flush_failed || write_failed_ || std::ferror(file_);
    const bool close_failed = file_ != stdout && std::fclose(file_) != 0;
    if (failed || close_failed) {
      return absl::DataLossError(absl::StrCat("cannot write ", path_ == "-" ? "to stdout" : path_,
                                              ": ", std::strerror(failed ? flush_errno : errno)));
    }
    return absl::OkStatus();
  }
  const bool close_failed = std::fclose(file_) != 0;
  if (flush_failed || close_failed || write_failed_) {
    const int err = flush_failed ? flush_errno : errno;
    ::unlink(temp_path_.c_str());
    UnregisterPending(temp_path_);
    return absl::DataLossError(absl::StrCat("cannot write ", path_, ": ", std::strerror(err)));
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp_path_.c_str());
    UnregisterPending(temp_path_);
    return absl::DataLossError(
        absl::StrCat("cannot rename ", temp_path_, " to ", path_, ": ", std::strerror(err)));
  }
  UnregisterPending(temp_path_);
  return absl::OkStatus();
}

}  // namespace aligner
