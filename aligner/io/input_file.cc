#include "aligner/io/input_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/iostreams/categories.hpp"
#include "boost/iostreams/filter/gzip.hpp"
#include "boost/iostreams/filter/zstd.hpp"
#include "boost/iostreams/filtering_stream.hpp"

namespace aligner {
namespace {

namespace bio = boost::iostreams;

// A Boost.Iostreams source over a file descriptor that first replays the few
// bytes already read to sniff the compression format. This works for pipes
// and stdin, which cannot seek back.
class SniffedFdSource {
 public:
  using char_type = char;
  using category = bio::source_tag;

  SniffedFdSource(int fd, std::string prefix) : fd_(fd), prefix_(std::move(prefix)) {}

  std::streamsize read(char* s, std::streamsize n) {
    if (offset_ < prefix_.size()) {
      const std::streamsize k =
          std::min<std::streamsize>(n, static_cast<std::streamsize>(prefix_.size() - offset_));
      std::memcpy(s, prefix_.data() + offset_, k);
      offset_ += k;
      return k;
    }
    for (;;) {
      const ssize_t got = ::read(fd_, s, n);
      if (got > 0) return got;
      if (got == 0) return -1;  // end of file
      if (errno == EINTR) continue;
      throw std::ios_base::failure(std::strerror(errno));
    }
  }

 private:
  int fd_;
  std::string prefix_;
  size_t offset_ = 0;
};

enum class Compression { kNone, kGzip, kZstd };

Compression Sniff(const std::string& head) {
  auto starts = [&](const char* magic, size_t n) {
    return head.size() >= n && std::memcmp(head.data(), magic, n) == 0;
  };
  if (starts("\x1f\x8b", 2)) return Compression::kGzip;
  if (starts("\x28\xb5\x2f\xfd", 4)) return Compression::kZstd;
  return Compression::kNone;
}

}  // namespace

struct LineReader::Impl {
  int fd = -1;
  bool owns_fd = false;
  bio::filtering_istream stream;
  ~Impl() {
    stream.reset();
    if (owns_fd && fd >= 0) ::close(fd);
  }
};

std::string FileLineMessage(const std::string& path, int64_t line, const std::string& message) {
  return absl::StrCat(path == "-" ? "<stdin>" : path, ":", line, ": ", message);
}

absl::StatusOr<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  if (path == "-") {
    impl->fd = STDIN_FILENO;
  } else {
    impl->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (impl->fd < 0) {
      const int err = errno;
      const std::string what = absl::StrCat("cannot open ", path, ": ", std::strerror(err));
      return err == ENOENT ? absl::NotFoundError(what) : absl::PermissionDeniedError(what);
    }
    impl->owns_fd = true;
  }
  // Read up to 4 bytes to recognise the format; short reads are fine.
  std::string head(4, '\0');
  size_t have = 0;
  while (have < head.size()) {
    const ssize_t got = ::read(impl->fd, head.data() + have, head.size() - have);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      return absl::DataLossError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
    }
    have += got;
  }
  head.resize(have);
  switch (Sniff(head)) {
    case Compression::kGzip:
      impl->stream.push(bio::gzip_decompressor());
      break;
    case Compression::kZstd:
      impl->stream.push(bio::zstd_decompressor());
      break;
    case Compression::kNone:
      break;
  }
  impl->stream.push(SniffedFdSource(impl->fd, std::move(head)), 1 << 16);
  return std::unique_ptr<LineReader>(new LineReader(path, std::move(impl)));
}

LineReader::LineReader(std::string path, std::unique_ptr<Impl> impl)
    : path_(std::move(path)), impl_(std::move(impl)) {}

LineReader::~LineReader() = default;

bool LineReader::Next(std::string* line) {
  if (!status_.ok()) return false;
  try {
    if (!std::getline(impl_->stream, *line)) {
      if (impl_->stream.bad()) {
        status_ = absl::DataLossError(FileLineMessage(
            path_, line_number_ + 1, "read error (truncated or corrupt compressed stream?)"));
      }
      return false;
    }
  } catch (const std::exception& e) {
    status_ = absl::DataLossError(FileLineMessage(path_, line_number_ + 1,
                                                  absl::StrCat("read error: ", e.what())));
    return false;
  }
  ++line_number_;
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

}  // namespace aligner
