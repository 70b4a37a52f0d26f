#include "aligner/io/output_file.h"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace aligner {
namespace {

// Temporary names still on disk, kept in fixed storage so that a signal
// handler can unlink them without allocating.
constexpr int kMaxPending = 64;
constexpr int kMaxPath = 4096;
std::array<std::array<char, kMaxPath>, kMaxPending> pending_names;
std::array<std::atomic<bool>, kMaxPending> pending_used;

// Linux's own limit (MAXSYMLINKS).
constexpr int kMaxSymlinkHops = 40;

// "a/b" -> "a", "b" -> ".", "/b" -> "/".
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

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

absl::StatusOr<std::string> ResolveOutputTarget(const std::string& path) {
  if (path == "-") return path;
  if (path.empty()) return absl::InvalidArgumentError("empty path");
  if (path.back() == '/') return absl::InvalidArgumentError("names a directory");
  // Follow the last component's links ourselves: realpath() refuses a link
  // to a file that does not exist yet.
  std::string current = path;
  for (int hops = 0;; ++hops) {
    struct stat info;
    if (::lstat(current.c_str(), &info) != 0 || !S_ISLNK(info.st_mode)) break;
    if (hops == kMaxSymlinkHops) {
      return absl::InvalidArgumentError(std::strerror(ELOOP));
    }
    std::vector<char> link(PATH_MAX + 1);
    const ssize_t n = ::readlink(current.c_str(), link.data(), PATH_MAX);
    if (n <= 0) return absl::InvalidArgumentError(std::strerror(errno));
    std::string next(link.data(), n);
    current = next[0] == '/' ? next : absl::StrCat(DirectoryOf(current), "/", next);
  }
  const size_t slash = current.rfind('/');
  const std::string base = slash == std::string::npos ? current : current.substr(slash + 1);
  if (base.empty() || base == "." || base == "..") {
    return absl::InvalidArgumentError("names a directory");
  }
  const std::string directory = DirectoryOf(current);
  char* real = ::realpath(directory.c_str(), nullptr);
  if (real == nullptr) {
    const int err = errno;
    return absl::NotFoundError(absl::StrCat(std::strerror(err), " (directory '", directory, "'",
                                            err == ENOENT ? " does not exist)" : ")"));
  }
  std::string resolved = real;
  std::free(real);
  return resolved == "/" ? absl::StrCat("/", base) : absl::StrCat(resolved, "/", base);
}

int RemoveStaleTemporaries(const std::string& target) {
  const size_t slash = target.rfind('/');
  const std::string directory = DirectoryOf(target);
  const std::string prefix =
      absl::StrCat(slash == std::string::npos ? target : target.substr(slash + 1), ".tmp.");
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return 0;
  int removed = 0;
  while (const struct dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) continue;
    const std::string_view digits = name.substr(prefix.size());
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string_view::npos) {
      continue;
    }
    const pid_t pid = static_cast<pid_t>(std::stol(std::string(digits)));
    // kill(pid, 0) fails with ESRCH only when no such process exists; EPERM
    // means alive but someone else's.
    if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    const std::string stale = absl::StrCat(directory, "/", std::string(name));
    struct stat info;
    if (::lstat(stale.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
        ::unlink(stale.c_str()) == 0) {
      ++removed;
    }
  }
  ::closedir(dir);
  return removed;
}

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::Open(const std::string& path) {
  if (path == "-") return std::unique_ptr<OutputFile>(new OutputFile(path, path, "", stdout));
  // A device or pipe (/dev/stdout, /dev/null, /dev/full, a FIFO) is written
  // directly: renaming a temporary file over it would replace it. (stat()
  // follows /proc's links to pipes, which have no name to resolve.)
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
    }
    return std::unique_ptr<OutputFile>(new OutputFile(path, path, "", file));
  }
  absl::StatusOr<std::string> target = ResolveOutputTarget(path);
  if (!target.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write ", path, ": ", target.status().message()));
  }
  const bool exists = ::stat(target->c_str(), &info) == 0;
  RemoveStaleTemporaries(*target);
  std::string temp = absl::StrCat(*target, ".tmp.", ::getpid());
  std::FILE* file = std::fopen(temp.c_str(), "wb");
  if (file == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  RegisterPending(temp);
  if (exists) {
    // The replacement keeps the replaced file's owner (where we may set it)
    // and mode, as an in-place write would. chown first: it can clear the
    // set-id bits that chmod then restores.
    const int fd = ::fileno(file);
    if (::fchown(fd, info.st_uid, info.st_gid) != 0) { /* not ours to give away */
    }
    if (::fchmod(fd, info.st_mode & 07777) != 0) { /* keeps the umask's mode */
    }
  }
  return std::unique_ptr<OutputFile>(
      new OutputFile(path, *std::move(target), std::move(temp), file));
}

OutputFile::OutputFile(std::string path, std::string target, std::string temp_path, std::FILE* file)
    : path_(std::move(path)),
      target_(std::move(target)),
      temp_path_(std::move(temp_path)),
      file_(file) {
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
  if (std::rename(temp_path_.c_str(), target_.c_str()) != 0) {
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
