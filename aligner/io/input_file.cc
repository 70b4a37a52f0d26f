#include "aligner/io/input_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/iostreams/categories.hpp"
#include "boost/iostreams/filter/gzip.hpp"
#include "boost/iostreams/filter/zstd.hpp"
#include "boost/iostreams/filtering_stream.hpp"

namespace aligner {
namespace {

namespace bio = boost::iostreams;

// Follows the frame structure of a zstd stream (RFC 8878: frame header,
// block headers, optional checksum; skippable frames) without decompressing
// it, to tell a stream cut short from a complete one: Boost 1.74's
// zstd_decompressor ends a truncated stream as if it were complete. Bytes it
// does not recognise stop the tracking and are left to the decompressor.
class ZstdFrameTracker {
 public:
  ZstdFrameTracker() { Expect(State::kMagic, 4); }

  void Consume(const char* data, size_t n) {
    for (size_t i = 0; i < n && state_ != State::kUnknown;) {
      if (IsSkip()) {
        const uint64_t k = std::min<uint64_t>(remaining_, n - i);
        remaining_ -= k;
        i += k;
      } else {
        value_ |= uint64_t{static_cast<unsigned char>(data[i++])} << (8 * (width_ - remaining_));
        --remaining_;
      }
      while (remaining_ == 0 && state_ != State::kUnknown) Next();
    }
  }

  // True between frames (or when the bytes were not understood).
  bool Complete() const {
    return state_ == State::kUnknown || (state_ == State::kMagic && remaining_ == 4);
  }

 private:
  enum class State {
    kMagic,
    kDescriptor,
    kHeaderRest,
    kBlockHeader,
    kBlockBody,
    kChecksum,
    kSkippableSize,
    kSkippableBody,
    kUnknown
  };

  bool IsSkip() const {
    return state_ == State::kHeaderRest || state_ == State::kBlockBody ||
           state_ == State::kChecksum || state_ == State::kSkippableBody;
  }
  void Expect(State state, uint64_t bytes) {
    state_ = state;
    remaining_ = width_ = bytes;
    value_ = 0;
  }
  void Next() {
    switch (state_) {
      case State::kMagic:
        if (value_ == 0xFD2FB528u) {
          Expect(State::kDescriptor, 1);
        } else if ((value_ & 0xFFFFFFF0u) == 0x184D2A50u) {
          Expect(State::kSkippableSize, 4);
        } else {
          state_ = State::kUnknown;
        }
        return;
      case State::kDescriptor: {
        const bool single_segment = (value_ & 0x20) != 0;
        const uint64_t fcs_flag = value_ >> 6;
        const uint64_t dictionary_bytes[4] = {0, 1, 2, 4};
        checksum_ = (value_ & 0x04) != 0;
        Expect(State::kHeaderRest, (single_segment ? 0 : 1) + dictionary_bytes[value_ & 3] +
                                       (fcs_flag == 0 ? (single_segment ? 1 : 0) : 1u << fcs_flag));
        return;
      }
      case State::kHeaderRest:
      case State::kChecksum:
      case State::kSkippableBody:
        Expect(state_ == State::kHeaderRest ? State::kBlockHeader : State::kMagic,
               state_ == State::kHeaderRest ? 3 : 4);
        return;
      case State::kBlockHeader: {
        last_block_ = (value_ & 1) != 0;
        const uint64_t type = (value_ >> 1) & 3;
        if (type == 3) {
          state_ = State::kUnknown;
          return;
        }
        Expect(State::kBlockBody, type == 1 ? 1 : value_ >> 3);
        return;
      }
      case State::kBlockBody:
        if (!last_block_) {
          Expect(State::kBlockHeader, 3);
        } else if (checksum_) {
          Expect(State::kChecksum, 4);
        } else {
          Expect(State::kMagic, 4);
        }
        return;
      case State::kSkippableSize:
        Expect(State::kSkippableBody, value_);
        return;
      case State::kUnknown:
        return;
    }
  }

  State state_ = State::kMagic;
  uint64_t remaining_ = 0;
  uint64_t width_ = 0;
  uint64_t value_ = 0;
  bool checksum_ = false;
  bool last_block_ = false;
};

// A Boost.Iostreams source over a file descriptor that first replays the few
// bytes already read to sniff the compression format. This works for pipes
// and stdin, which cannot seek back.
class SniffedFdSource {
 public:
  using char_type = char;
  using category = bio::source_tag;

  SniffedFdSource(int fd, std::string prefix, bool zstd)
      : fd_(fd), prefix_(std::move(prefix)), zstd_(zstd) {}

  std::streamsize read(char* s, std::streamsize n) {
    if (offset_ < prefix_.size()) {
      const std::streamsize k =
          std::min<std::streamsize>(n, static_cast<std::streamsize>(prefix_.size() - offset_));
      std::memcpy(s, prefix_.data() + offset_, k);
      offset_ += k;
      if (zstd_) frames_.Consume(s, k);
      return k;
    }
    for (;;) {
      const ssize_t got = ::read(fd_, s, n);
      if (got > 0) {
        if (zstd_) frames_.Consume(s, got);
        return got;
      }
      if (got == 0) {  // end of file
        if (zstd_ && !frames_.Complete()) throw std::ios_base::failure("truncated zstd stream");
        return -1;
      }
      if (errno == EINTR) continue;
      throw std::ios_base::failure(std::strerror(errno));
    }
  }

 private:
  int fd_;
  std::string prefix_;
  size_t offset_ = 0;
  bool zstd_;
  ZstdFrameTracker frames_;
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
  // Lines are cut from blocks read in bulk: std::getline on the stream went
  // a character at a time, and reading a corpus took a tenth of `align -d`.
  std::vector<char> buffer = std::vector<char>(1 << 20);
  size_t begin = 0, end = 0;  // the bytes not returned yet
  bool at_end = false;        // the stream has no more bytes
  bool failed = false;        // the stream reported a read error

  // Reads more bytes after `end`, first moving the unreturned ones to the
  // front (and growing the buffer when they fill it). False at the end of
  // the stream or on a read error (`failed`); a source may also throw.
  bool Refill() {
    if (at_end) return false;
    if (begin > 0) {
      std::memmove(buffer.data(), buffer.data() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    if (end == buffer.size()) buffer.resize(2 * buffer.size());
    stream.read(buffer.data() + end, static_cast<std::streamsize>(buffer.size() - end));
    const std::streamsize got = stream.gcount();
    if (stream.bad()) {
      failed = at_end = true;
      return false;
    }
    if (got <= 0) {
      at_end = true;
      return false;
    }
    end += static_cast<size_t>(got);
    return true;
  }
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
  const Compression compression = Sniff(head);
  switch (compression) {
    case Compression::kGzip:
      impl->stream.push(bio::gzip_decompressor());
      break;
    case Compression::kZstd:
      impl->stream.push(bio::zstd_decompressor());
      break;
    case Compression::kNone:
      break;
  }
  impl->stream.push(SniffedFdSource(impl->fd, std::move(head), compression == Compression::kZstd),
                    1 << 16);
  return std::unique_ptr<LineReader>(new LineReader(path, std::move(impl)));
}

LineReader::LineReader(std::string path, std::unique_ptr<Impl> impl)
    : path_(std::move(path)), impl_(std::move(impl)) {}

LineReader::~LineReader() = default;

bool LineReader::Next(std::string* line) {
  if (!status_.ok()) return false;
  Impl& in = *impl_;
  try {
    for (;;) {
      const char* first = in.buffer.data() + in.begin;
      const void* newline = std::memchr(first, '\n', in.end - in.begin);
      if (newline != nullptr) {
        const char* last = static_cast<const char*>(newline);
        line->assign(first, last);
        in.begin += static_cast<size_t>(last - first) + 1;
        break;
      }
      if (!in.Refill()) {
        if (in.failed) {
          status_ = absl::DataLossError(FileLineMessage(
              path_, line_number_ + 1, "read error (truncated or corrupt compressed stream?)"));
          return false;
        }
        // A final line without a newline is still a line.
        if (in.begin == in.end) return false;
        line->assign(in.buffer.data() + in.begin, in.buffer.data() + in.end);
        in.begin = in.end;
        break;
      }
    }
  } catch (const std::exception& e) {
    status_ = absl::DataLossError(
        FileLineMessage(path_, line_number_ + 1, absl::StrCat("read error: ", e.what())));
    return false;
  }
  ++line_number_;
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

}  // namespace aligner
